"""Seed: how the initial dictionary is obtained, and the settings of the mapping and retrieval."""

import pandas as pd
import streamlit as st

from app import actions, charts, ui
from app.state import DIRECTION_LABELS, NORMALIZATION_PRESETS, SEED_LABELS
from app.state import lab as get_lab
from core.seeds import MAX_GROMOV_WASSERSTEIN_N, MAX_SECOND_ORDER_N



def _schedule_for_strategy() -> None:
    """Runs before the widgets are drawn: the schedule widgets take the strategy's preset values."""
    data = get_lab().data
    largest = max(len(data.src), len(data.tgt)) if data is not None else int(st.session_state["w_cutoff"])
    st.session_state.update(actions.preset_widgets(st.session_state["w_seed_strategy"], largest))


lab = get_lab()
st.header("Seed dictionary and settings")
if lab.data is None:
    st.info("Load data on the Data page first.")
    st.stop()

left, right = st.columns([1, 1])
with left:
    st.subheader("Seed strategy")
    strategy = st.selectbox("Strategy", list(SEED_LABELS), key="w_seed_strategy", format_func=SEED_LABELS.get,
                            on_change=_schedule_for_strategy,
                            help="The unsupervised seed sets the schedule to the unsupervised preset (VecMap's "
                                 "slow stochastic search); picking another strategy restores the lab's defaults")
    if strategy == "random":
        st.number_input("Number of pairs (drawn from the training dictionary)", 2, 20000, step=5, key="w_seed_n")
    elif strategy == "unsupervised":
        st.number_input("Most frequent words compared (Artetxe et al. use 4,000)", 100, MAX_SECOND_ORDER_N,
                        step=500, key="w_seed_unsup_n")
    elif strategy == "adversarial":
        st.number_input("Epochs", 1, 50, step=1, key="w_seed_epochs")
        st.number_input("Samples per epoch (fewer = faster, noisier)", 1000, 1_000_000, step=1000,
                        key="w_seed_epoch_size")
    elif strategy == "gromov-wasserstein":
        st.number_input("Most frequent words matched", 100, MAX_GROMOV_WASSERSTEIN_N, step=100, key="w_seed_gw_n")
    st.number_input("Random seed", 0, 10_000, step=1, key="w_seed_random_state")
with right:
    st.subheader("Mapping and retrieval")
    st.selectbox("Vector normalisation", list(NORMALIZATION_PRESETS), key="w_norm",
                 help="Steps applied to both spaces first (core.normalize): 'length 1' = unit length, 'centred' = "
                      "mean centring, 'each dimension scaled' = unitdim. VecMap's default is unit, center, unit.")
    c1, c2 = st.columns(2)
    c1.selectbox("Mapping", ["procrustes", "least_squares", "multistep"], key="w_mapping",
                 format_func={"procrustes": "Rotation only (Procrustes)", "least_squares": "Any linear map (Mikolov)",
                              "multistep": "Multi-step (Artetxe 2018)"}.get,
                 help="Procrustes: the best orthogonal map; least squares: an unconstrained linear map; multi-step: "
                      "whitening, rotation, re-weighting, de-whitening")
    c2.selectbox("How a word finds its partner", ["csls", "nn"], key="w_retrieval",
                 format_func={"csls": "CSLS (hub-corrected)", "nn": "Nearest neighbour"}.get,
                 help="Retrieval used for dictionary induction. CSLS (Conneau et al. 2018) lowers the score of "
                      "'hub' words that are close to everything; nearest neighbour takes the plain cosine.")
    c1.selectbox("Who looks for a partner", list(DIRECTION_LABELS), key="w_direction",
                 format_func=DIRECTION_LABELS.get,
                 help="Induction direction: forward (source words), backward (target words) or union (both)")
    c2.number_input("Neighbours in the hub penalty", 1, 100, step=1, key="w_csls_k",
                    help="CSLS k: a word's 'hubness' is its mean similarity to its k nearest neighbours in the "
                         "other language (Conneau et al. use 10)")
    c2.selectbox("Final mapping", ["multistep", "procrustes", "least_squares", "rcsls"], key="w_final_mapping",
                 format_func={"multistep": "Multi-step (Artetxe 2018)", "procrustes": "Rotation only (Procrustes)",
                              "least_squares": "Any linear map (Mikolov)",
                              "rcsls": "Retrieval-tuned (RCSLS, Joulin et al. 2018; slower)"}.get,
                 help="Fitted once on the last (or kept) dictionary by 'Fit the final mapping'. RCSLS maximises "
                      "the CSLS retrieval criterion directly instead of the fit of the dictionary pairs.")
    largest = max(len(lab.data.src), len(lab.data.tgt))
    st.session_state["w_cutoff"] = min(int(st.session_state["w_cutoff"]), largest)
    st.number_input("Words that take part (most frequent first)", min(100, largest), largest,
                    step=1000 if largest > 5000 else 100, key="w_cutoff",
                    help="Frequency cutoff of dictionary induction: only the N most frequent words of each language "
                         f"are paired (at most the vocabulary, {largest:,} here)")
    c1, c2, c3 = st.columns(3)
    c1.number_input("Share of candidate pairs kept at first", 0.01, 1.0, step=0.05, key="w_keep_prob",
                    help="Initial keep probability of stochastic dictionary induction (Artetxe et al. 2018): each "
                         "candidate pair is kept at random with this probability, doubled whenever the objective "
                         "stalls. 1.0 = keep all (deterministic).")
    c2.number_input("Patience (iterations)", 1, 50, step=1, key="w_stoch_interval",
                    help="Stall interval: iterations without improvement before the kept share doubles (or, at "
                         "1.0, before the run counts as converged)")
    c3.number_input("Max iterations", 1, 500, step=5, key="w_max_iter", help="Safety stop of Run until converged")
    if strategy == "unsupervised":
        st.caption(ui.md(actions.unsupervised_schedule_text(lab.data)))

slow = strategy in ("unsupervised", "adversarial", "gromov-wasserstein")
if st.button("Build seed and restart self-learning", key="b_build_seed", type="primary",
             help="Replaces the current run" + (" (this strategy takes a while)" if slow else "")):
    strat, params, settings = actions.settings_from_widgets()
    bar = st.progress(0.0, text="Building the seed…") if strat == "adversarial" else None

    def on_epoch(epoch, info=None):
        if bar is not None:
            n = int(st.session_state["w_seed_epochs"])
            bar.progress(min((epoch + 1) / n, 1.0), text=f"Adversarial training: epoch {epoch + 1} of {n}")

    with st.spinner(f"{SEED_LABELS[strat]}…"), ui.guard("Seed", (lab, "seed_error")):
        actions.start_run(lab, strat, params, settings, progress=on_epoch if strat == "adversarial" else None)
        st.rerun()
ui.show_stored_error(lab, "seed_error")

run = lab.run
if run is None:
    st.info(lab.seed_pending or "No seed yet: choose a strategy and click Build.")
    st.stop()

seed = run.seed
st.subheader(f"Current seed: {run.seed_label}")
gold = lab.data.train + lab.data.test
marks, precision = ui.pair_marks(seed.pairs[:, 0], seed.pairs[:, 1], lab.data, gold)
c = st.columns([1, 1, 2])
c[0].metric("Seed pairs", f"{len(seed.pairs):,}")
c[1].metric("Correct vs gold", ui.fmt_pct(precision),
            help="Share of seed pairs whose source word is in the gold dictionary and whose target is one of "
                 "its gold translations (pairs with a source word not in gold are not counted)")
c[2].markdown(f"**Settings of this run**  \nnormalisation {' → '.join(run.config.normalize)}; "
              f"{run.config.mapping} mapping; {run.config.retrieval.upper()} retrieval "
              f"({run.config.csls_k} neighbours in the hub penalty), "
              f"{DIRECTION_LABELS.get(run.config.direction, run.config.direction)}, "
              f"{run.config.cutoff:,} most frequent words take part; keep {run.config.stochastic_initial:g} of "
              f"candidate pairs at first, patience {run.config.stochastic_interval} (threshold "
              f"{run.config.threshold:g})"
              + (f", after take-off (identical strings agree ≥ {run.config.takeoff_agreement:.0%}) patience "
                 f"{run.config.takeoff_interval} (threshold {run.config.takeoff_threshold:g})"
                 if run.config.takeoff_agreement > 0 else "")
              + f"; at most {run.config.max_iter} iterations")
if "search_iterations" in (seed.info or {}):
    st.info(f"Spaces of different dimension: this seed is the dictionary of an unsupervised search with the larger "
            f"space on its {seed.info['search_dimension']} principal axes ({seed.info['search_iterations']} "
            "iterations); self-learning continues on the full spaces, deterministically (keep 1)."
            + (f" The search itself failed: {ui.md(seed.info['search_collapse'])}"
               if seed.info.get("search_collapse") else ""), icon=":material/info:")

info = seed.info or {}
if info.get("gen_loss") or info.get("disc_loss"):
    ui.chart(charts.losses(list(info.get("gen_loss", [])), list(info.get("disc_loss", []))), key="seed_losses")
    st.caption("The generator is the mapping W; the discriminator tries to tell mapped source vectors from "
               "target vectors (Conneau et al. 2018). MUSE keeps the epoch whose mapping scores best on the "
               "unsupervised selection criterion (mean CSLS cosine of induced pairs).")
    per_epoch = {k: info[k] for k in ("gen_loss", "disc_loss", "disc_accuracy", "selection")
                 if isinstance(info.get(k), list)}
    if per_epoch:
        frame = pd.DataFrame(per_epoch)
        frame.index = frame.index + 1
        st.dataframe(frame.rename_axis("epoch"), width="stretch")

if seed.strategy == "gromov-wasserstein" and info.get("objective"):
    ui.chart(charts.gw_objective(list(info["objective"]), list(info.get("epsilon", []))), key="seed_gw")
    st.caption("Entropic Gromov-Wasserstein (Alvarez-Melis & Jaakkola 2018) matches the two spaces' distance "
               "structures without a dictionary; the entropy weight ε is annealed, and the seed is read off "
               "the final coupling.")

df = ui.pairs_frame(seed.pairs[:, 0], seed.pairs[:, 1], seed.scores, lab.data, marks)
st.dataframe(df, hide_index=True, width="stretch", height=420)
