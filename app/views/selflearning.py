"""Self-learning: step through the loop and watch the dictionary and BLI improve (or collapse)."""

import streamlit as st

from app import actions, charts, ui, wording
from app.state import DIRECTION_LABELS
from app.state import lab as get_lab

lab = get_lab()
st.header("Self-learning: map, induce a dictionary, repeat")
run, _, record, view = ui.require_run(lab, before_stop=lambda: ui.show_stored_error(lab, "seed_error"))
learner = run.learner

diagnosed = bool(getattr(record, "diagnostics", None))
rows = ui.history_rows(learner.history)
retrieval = run.config.retrieval if run.config.retrieval in ("nn", "csls") else "csls"
best = charts.best_iteration(rows, "p1_nn" if retrieval == "nn" else "p1_csls")
best_p1 = ui.bli_p1(learner.history[best], retrieval) if best is not None else None
now_p1 = ui.bli_p1(record, retrieval)
if getattr(record, "collapse", None) and ui.still_searching(record):
    st.info(f"**Still searching at iteration {view}.** {ui.md(record.collapse)}", icon=":material/hourglass_top:")
elif getattr(record, "collapse", None):
    # The sidebar says it in one sentence; here the engine's reasons, folded.
    with st.expander(f"Why the lab thinks this run failed (iteration {view})", icon=":material/warning:"):
        st.markdown(f"**Collapse check at iteration {view}.** {ui.md(record.collapse)}")
elif getattr(record, "converged", False):
    bli = (getattr(record, "bli", None) or {}).get(retrieval)
    kind, text = wording.converged_message(view, best, best_p1, now_p1, bli.n if bli is not None else None)
    {"success": st.success, "warning": st.warning, "info": st.info}[kind](
        text, icon={"success": ":material/check_circle:", "warning": ":material/trending_down:",
                    "info": ":material/info:"}[kind])
elif diagnosed:
    st.info(f"The collapse diagnosis found nothing wrong at iteration {view}.", icon=":material/verified:")

if not ui.presenting():
    st.caption("Use the sidebar: **Step** runs one iteration (learn the mapping W from the current dictionary, then "
               "induce a new dictionary from nearest neighbours in the mapped space); the slider rewinds, and "
               "stepping from an earlier iteration starts a new branch, drawn beside the earlier run.")

# the refinement of the run as it stands now: its rounds follow the last iteration on the curves
refined = actions.current_refinement(lab)
ui.chart(ui.learning_curves_figure(rows, view, ui.branch_rows(run), retrieval, run.mixed_from,
                                   refined["curve"] if refined else None), key="learning_curves")
if ui.presenting():
    st.stop()   # one chart per screen; the tables are for the desk

c = st.columns(6)
c[0].metric("Iteration", f"{view} / {learner.current.iteration}")
c[1].metric("Correct (CSLS)", ui.fmt_pct(ui.bli_p1(record, "csls")), help=ui.HELP_P1_CSLS)
c[2].metric("Correct (nearest)", ui.fmt_pct(ui.bli_p1(record, "nn")), help=ui.HELP_P1_NN)
c[3].metric("Dictionary size", f"{int(record.dictionary_size):,}")
c[4].metric("Fit of the dictionary", ui.fmt_num(record.objective), help=ui.HELP_OBJECTIVE)
c[5].metric("Identical words matched", ui.fmt_pct(ui.shared_agreement(record)),
            help="Share of the words spelled the same in both languages (names, numbers, loanwords; seed words "
                 "left out) whose nearest neighbour after mapping is their twin. Needs no gold dictionary: a failed "
                 "alignment scores about 0%, and a run that stays below 1% for 10 iterations is stopped.")
secs = getattr(record, "seconds", None) or {}
notes = []
if getattr(record, "keep_prob", None) is not None and view > 0:
    kp = float(record.keep_prob)
    notes.append("every candidate pair kept (deterministic)" if kp >= 1 else
                 f"each candidate pair kept at random with probability {kp:.2f} (stochastic induction)")
if secs:
    notes.append("engine time " + ", ".join(f"{k} {v:.2f} s" for k, v in secs.items()))
if notes:
    st.caption("This iteration: " + "; ".join(notes) + ".")
if view == learner.current.iteration and view > 0 and not diagnosed:
    if st.button("Check this iteration for collapse", key="b_diagnose",
                 help="Compares the induced dictionary with what a random rotation gives (two extra inductions). "
                      "Run until converged does this automatically at the end."):
        with st.spinner("Diagnosing…"), ui.guard("Collapse diagnosis"):
            learner.diagnose()
            st.rerun()


if view == learner.current.iteration and lab.data.test:
    token = lab.record_token(view)
    final = st.session_state.get("final_eval")
    if final is not None and final[0] == token:
        f = final[1]
        st.success(f"Final {learner.config.final_mapping} mapping on this dictionary: correct (CSLS) "
                   f"**{ui.fmt_pct(f['csls'].p_at_1)}**, nearest neighbour **{ui.fmt_pct(f['nn'].p_at_1)}** "
                   f"(vs {ui.fmt_pct(ui.bli_p1(record, 'csls'))} / {ui.fmt_pct(ui.bli_p1(record, 'nn'))} with the "
                   f"self-learning mapping).", icon=":material/flag:")
    elif st.button(f"Fit the final mapping ({learner.config.final_mapping})", key="b_final",
                   help="VecMap's last step (Artetxe et al. 2018, AAAI): whitening, orthogonal mapping, re-weighting "
                        "and de-whitening, fitted once on the current dictionary"):
        with st.spinner("Final mapping…"), ui.guard("Final mapping"):
            st.session_state["final_eval"] = (token, actions.final_mapping(lab))
            st.rerun()

if view == learner.current.iteration and view > 0:
    token = lab.record_token(view)
    picked = st.session_state.get("selection_eval")
    if picked is not None and picked[0] == token:
        st.info(actions.selection_text(picked[1]), icon=":material/rule:")
    elif st.button("Pick the best iteration (no gold)", key="b_select",
                   help="Gold-free model selection: scores the seed's own mapping and every iteration by how many "
                        "identically spelled words, held out of each dictionary, translate to their twin "
                        "(MUSE's mean CSLS cosine when the languages share too few). clwe align does this by default."):
        with st.spinner("Scoring the iterations…"), ui.guard("Model selection"):
            st.session_state["selection_eval"] = (token, actions.select_mapping(lab))
            st.rerun()
    if refined is not None:
        st.info(actions.refinement_text(refined), icon=":material/tune:")
        st.dataframe(refined["rows"], hide_index=True)
    elif st.button("Refine contrastively (Li et al. 2022)", key="b_refine",
                   help="ContrastiveBLI's stage C1: the kept mapping refined by gradient steps on an InfoNCE loss "
                        "against hard negatives (CSLS neighbours), alternating with dictionary augmentation; kept only "
                        "where held-out identical strings score a round above its start. The rounds show on the "
                        "curves as iterations R1, R2 after the last one, and as rows of a table; Projections and the "
                        "Word inspector can then show the kept mapping. clwe align --refine does the same."):
        bar = st.progress(0.0, text="Refining: scoring the start mapping…")
        rounds = actions.REFINE_ROUNDS

        def _round(rec):
            what = "the start mapping" if rec.round == 0 else f"round {rec.round} of {rounds}"
            bar.progress((rec.round + 1) / (rounds + 1),
                         text=f"Refining: {what} done, criterion {rec.score:.4f}")

        with ui.guard("Contrastive refinement"):
            st.session_state["refine_eval"] = (token, actions.refine_mapping(lab, callback=_round))
            st.rerun()

with st.expander(f"Branch from iteration {view} with other settings"):
    st.caption("What if the run had switched retrieval or induction direction here? The branch continues from "
               "this iteration; the earlier run stays on the chart (grey) for comparison.")
    b1, b2, b3 = st.columns(3)
    cfg = learner.config
    retr = b1.selectbox("Retrieval", ["csls", "nn"], index=["csls", "nn"].index(cfg.retrieval)
                        if cfg.retrieval in ("csls", "nn") else 0, key=f"sl_branch_retrieval_{view}",
                        format_func={"csls": "CSLS (hub-corrected)", "nn": "nearest neighbour"}.get,
                        help="CSLS (Conneau et al. 2018) lowers the score of 'hub' words that are close to "
                             "everything; nearest neighbour takes the plain cosine")
    direc = b2.selectbox("Direction", ["union", "forward", "backward"],
                         index=["union", "forward", "backward"].index(cfg.direction), key=f"sl_branch_dir_{view}",
                         format_func=DIRECTION_LABELS.get,
                         help="Which words look for a partner: source words, target words, or both (union)")
    mutual = b3.checkbox("Mutual nearest neighbours only", value=bool(cfg.mutual), key=f"sl_branch_mutual_{view}")
    if st.button("Branch and step", key="b_branch"):
        with st.spinner("Step…"), ui.guard("Branch", (lab, "run_error"),   # the rewind happens first
                                           kept=lambda: f"The run now ends at iteration {learner.current.iteration}"):
            actions.branch(lab, view, retrieval=retr, direction=direc, mutual=mutual)
            st.session_state["pending_iter"] = learner.current.iteration   # the slider already exists
            st.rerun()

st.subheader(f"Dictionary at iteration {view}")
gold = lab.data.train + lab.data.test
with ui.guard("Marking pairs"):
    marks, precision, df = ui.dictionary_table(run, record, lab.data, gold)
    label = "the seed dictionary" if view == 0 else "the induced dictionary"
    st.caption(f"{int(record.dictionary_size):,} pairs in {label}; correct vs gold among pairs whose source word "
               f"is in the gold dictionary: **{ui.fmt_pct(precision)}**.")
    show = st.radio("Show", ["all", "correct", "wrong"], horizontal=True, key="w_sl_filter") if marks is not None else "all"
    if show != "all" and "gold" in df:
        df = df[df["gold"].str.startswith("✓" if show == "correct" else "✗")]
    st.dataframe(df.head(5000), hide_index=True, width="stretch", height=420)
