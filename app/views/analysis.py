"""Analysis: BLI by frequency band (F12), BLI against seed size (F8), isomorphism diagnostics (F9)."""

import pandas as pd
import streamlit as st

from app import actions, charts, ui, wording
from app.state import lab as get_lab

lab = get_lab()
st.header("Analysis")
run, data, record, view = ui.require_run(lab)
retrieval = run.config.retrieval if run.config.retrieval in ("nn", "csls") else "csls"

tab_band, tab_size, tab_iso, tab_hub = st.tabs(["Accuracy by word frequency", "Accuracy against seed size",
                                                "Isomorphism", "Hubs: why CSLS"])

with tab_band:
    bli = (getattr(record, "bli", None) or {}).get(retrieval)
    if bli is None or not getattr(bli, "by_band", None):
        st.info("No test dictionary, so no BLI by frequency band.")
    else:
        bands = [b for b in bli.by_band if b.n > 0]
        labels = [f"{b.lo + 1:,}–{b.hi:,}" for b in bands]
        ui.chart(charts.bands(labels, [b.p_at_1 for b in bands], [b.n for b in bands],
                              f"Correct ({retrieval.upper()}) by word frequency, iteration {view}"),
                 key="by_band")
        st.caption("The post (after Czarnowska et al. 2019) shows BLI falling with frequency rank: rare words have "
                   "noisier vectors, so test sets of frequent words flatter a method. Compare the bands here, and "
                   "across iterations.")

with tab_size:
    st.markdown("How many translation pairs is the current run worth? Each point maps the spaces with **N random "
                "pairs of the training dictionary**, the map of the N pairs alone (*without* self-learning) and, "
                "if ticked, after self-learning with this run's settings (*with*): the F8 lesson's computation "
                "(`app.scenes.seed_size_curve`), which F8 runs on doc_en-doc_fr with the unsupervised preset. The "
                "dashed line is the reference below. Glavaš et al. (2019) and Vulić et al. (2019) found "
                "unsupervised methods below supervised ones with 500–1,000 pairs.")
    c1, c2 = st.columns([3, 1])
    sizes = c1.multiselect("Seed sizes N", [25, 50, 100, 250, 500, 1000, 2500, 5000], key="w_an_sizes")
    with_sl = c2.checkbox("with self-learning", key="w_an_sl", value=False,
                          help="Also run self-learning from each seed until it converges (slower: one run per N)")
    key = (data.key, run.uid, tuple(sorted(sizes)), retrieval, bool(with_sl))
    cache = st.session_state.setdefault("seed_size_results", {})
    if st.button("Compute BLI for each seed size", key="b_seed_sizes", type="primary"):
        bar = st.progress(0.0, text="Mapping with random seeds…")
        todo = sorted(sizes)

        def on_size(k, n):
            bar.progress((k + 1) / len(todo), text=f"N = {n:,} done")

        with ui.guard("BLI against seed size"):
            cache[key] = actions.seed_size_curve(lab, todo, retrieval, callback=on_size, self_learning=with_sl)
        bar.empty()
    ref_choice = st.radio("Reference line", ["the current run", "a fully unsupervised run (computed here)"],
                          key="w_an_ref", horizontal=True)
    ref_key = (data.key, run.uid, retrieval, "unsupervised")
    refs = st.session_state.setdefault("unsup_reference", {})
    if ref_choice.startswith("a fully") and ref_key not in refs:
        if st.button("Run the unsupervised reference", key="b_unsup_ref",
                     help="Second-order seed (Artetxe et al. 2018) and self-learning until convergence, with "
                          "this run's settings and VecMap's stochastic schedule: a few minutes"):
            bar = st.progress(0.0, text="Unsupervised seed…")
            max_iter = run.learner.config.max_iter

            def on_iter(rec):
                p1 = ui.bli_p1(rec, retrieval)
                bar.progress(min(rec.iteration / max_iter, 1.0),
                             text=f"Iteration {rec.iteration} · correct {ui.fmt_pct(p1)}")

            with ui.guard("Unsupervised reference"):
                refs[ref_key] = actions.unsupervised_reference(lab, retrieval, callback=on_iter)
            bar.empty()
    if key in cache:
        rows = cache[key]
        if ref_choice.startswith("a fully"):
            ref, ref_label = (refs[ref_key][0], f"unsupervised (after {refs[ref_key][1]} iterations)") \
                if ref_key in refs else (None, "")
        else:
            ref = ui.bli_p1(record, retrieval)
            ref_label = f"current run ({run.seed_label.split(' (')[0]}, iteration {view})"
        if ref_choice.startswith("a fully") and ref_key in refs and refs[ref_key][2]:
            st.warning(f"The unsupervised run collapsed: {ui.md(refs[ref_key][2])}", icon=":material/warning:")
        shown = [r for r in rows]
        ui.chart(charts.seed_size_curve([r["n"] for r in shown], [r["p1"] for r in shown], ref, ref_label,
                                        with_sl=[r["p1_sl"] for r in shown] if with_sl else None),
                 key="seed_size")
        dropped = sorted(set(sizes) - {r["n"] for r in rows})
        table = {"seed pairs": [r["n"] for r in rows],
                 f"without self-learning ({retrieval.upper()})": [ui.fmt_pct(r["p1"]) for r in rows]}
        if with_sl:
            table[f"with self-learning ({retrieval.upper()})"] = [ui.fmt_pct(r["p1_sl"]) for r in rows]
        st.dataframe(pd.DataFrame(table), hide_index=True)
        if dropped:
            st.caption(f"N = {', '.join(f'{n:,}' for n in dropped)}: more than the training dictionary's pairs in "
                       "both vocabularies, so not drawn.")

with tab_iso:
    st.markdown("Unsupervised mapping assumes the two spaces are nearly **isomorphic**, i.e. alike up to a rotation "
                "(Søgaard et al. 2018). Even close languages are not: a word's nearest neighbours, translated, are "
                "often not its translation's neighbours. Measured on translation pairs of the gold dictionaries, "
                "in the normalised monolingual spaces (no mapping involved).")
    c1, c2 = st.columns(2)
    c1.number_input("Translation pairs used (most frequent first)", 100, 5000, step=100, key="w_iso_n")
    c2.number_input("Neighbours k", 3, 50, step=1, key="w_iso_k")
    n_iso, k_iso = int(st.session_state["w_iso_n"]), int(st.session_state["w_iso_k"])
    iso_key = (data.key, run.config.normalize, n_iso, k_iso)
    if st.button("Compute isomorphism diagnostics", key="b_iso", type="primary"):
        with st.spinner("Comparing the two spaces…"), ui.guard("Isomorphism diagnostics"):
            st.session_state["iso"] = (iso_key, actions.isomorphism(lab, n_iso, k_iso))
    stored = st.session_state.get("iso")
    if stored and stored[0] == iso_key:
        report, overlap = stored[1]
        rows = [("eigenvector_similarity", "Eigenvector similarity of the k-NN graphs (Søgaard et al. 2018)",
                 "lower is more isomorphic (0 = same graph)"),
                ("relational_similarity", "Relational similarity (Vulić et al. 2020)", "higher (1 = isomorphic)"),
                ("singular_value_gap", "Singular value gap (Dubossarsky et al. 2020)", "lower (0 = isomorphic)"),
                ("neighbourhood_overlap", "Mean Jaccard overlap of translated k-NN sets", "higher (1 = isomorphic)")]
        st.dataframe(pd.DataFrame({"diagnostic": [r[1] for r in rows],
                                   "value": [ui.fmt_num(report.get(r[0])) for r in rows],
                                   "reading": [r[2] for r in rows]}), hide_index=True, width="stretch")
        st.caption(f"On {report.get('n_pairs', 0):,} one-to-one translation pairs. For a reference, run the same "
                   "diagnostics on the synthetic pair (Data page): a rotated copy is isomorphic by construction.")
        st.subheader("Neighbourhoods that differ across the languages")
        words = [o.src_word for o in overlap]
        if st.session_state.get("w_iso_word") not in words:
            st.session_state["w_iso_word"] = words[0]
        st.selectbox("Source word", words, key="w_iso_word")
        chosen = next((o for o in overlap if o.src_word == st.session_state.get("w_iso_word")), overlap[0])
        st.markdown(f"**{ui.md(chosen.src_word)} → {ui.md(chosen.tgt_word)}**: Jaccard overlap {chosen.jaccard:.2f}")
        st.dataframe(pd.DataFrame({f"neighbours of '{chosen.src_word}'": list(chosen.src_neighbours),
                                   "… translated": list(chosen.src_neighbours_translated),
                                   f"neighbours of '{chosen.tgt_word}'": list(chosen.tgt_neighbours)}),
                     hide_index=True, width="stretch")
        worst = sorted(overlap, key=lambda o: o.jaccard)[:15]
        with st.expander("The 15 pairs whose neighbourhoods differ most"):
            st.dataframe(pd.DataFrame({"pair": [f"{o.src_word} → {o.tgt_word}" for o in worst],
                                       "Jaccard": [round(o.jaccard, 3) for o in worst]}), hide_index=True)

with tab_hub:
    st.markdown("A **hub** is a target word that is among the nearest neighbours of very many source words, so "
                "nearest-neighbour retrieval keeps proposing it. Count, for every target word, how many source "
                "words have it among their k nearest neighbours (its *k-occurrence*). CSLS (Conneau et al. 2018) "
                "subtracts each word's mean similarity to its own neighbours, which should spread the counts out. "
                "The counts below say how it goes on this run.")
    hk = int(st.session_state["w_hub_k"])
    n_q = min(run.config.cutoff, len(run.src_norm), len(run.tgt_norm))
    hub = None
    with ui.guard("Hubness"):
        hub = actions.cached_hubness(lab, view, hk)
        if hub is None and st.button(f"Count the hubs of iteration {view}", key="b_hubness", type="primary",
                                     help="Two retrievals over the most frequent words: a few seconds"):
            with st.spinner("Counting neighbours…"):
                hub = actions.hubness(lab, view, hk)
    if hub is not None:
        nn_counts, cs_counts, nn_top1, cs_top1 = hub
        ui.chart(charts.k_occurrence(nn_counts, cs_counts, hk), key="hubness")
        c = st.columns(4)
        c[0].metric("Biggest hub (nearest)", f"{int(nn_counts.max()):,}",
                    help=f"Largest k-occurrence N_{hk}: source words that have this target word in their top {hk}")
        c[1].metric("Biggest hub (CSLS)", f"{int(cs_counts.max()):,}")
        c[2].metric("Nobody's neighbour (nearest)", ui.fmt_pct(float((nn_counts == 0).mean())),
                    help=f"Target words in no source word's top {hk}: they can never be proposed")
        c[3].metric("Nobody's neighbour (CSLS)", ui.fmt_pct(float((cs_counts == 0).mean())))
        st.markdown(wording.hub_sentence(int(nn_counts.max()), int(cs_counts.max()), float((nn_counts == 0).mean()),
                                         float((cs_counts == 0).mean()), hk))
        top = [int(j) for j in nn_counts.argsort()[::-1][:12]]

        def attracted(top1, j, limit=6):
            # source words whose best candidate is this hub
            words = [data.src.words[i] for i in (top1 == j).nonzero()[0][:limit]]
            return ", ".join(words) if words else "–"

        st.subheader("The biggest hubs under nearest-neighbour retrieval")
        st.dataframe(pd.DataFrame({
            "target word": [data.tgt.words[j] for j in top],
            f"in the top {hk} of (nearest)": [int(nn_counts[j]) for j in top],
            f"in the top {hk} of (CSLS)": [int(cs_counts[j]) for j in top],
            "first choice of (nearest)": [attracted(nn_top1, j) for j in top],
            "first choice of (CSLS)": [attracted(cs_top1, j) for j in top]}), hide_index=True, width="stretch")
        st.caption(f"Iteration {view}; the {n_q:,} most frequent words of each language; "
                   "core.similarity.k_occurrence (float32, batched).")
    with ui.controls():
        st.slider("Neighbours counted (k)", 1, 50, key="w_hub_k")
