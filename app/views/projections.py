"""Projections: both languages in one 2-D plot, before vs after mapping, translation pairs linked."""

import numpy as np
import streamlit as st

from app import charts, selection, ui
from app.state import lab as get_lab
from core.projection import PROJECTION_LABELS, PROJECTION_METHODS, project_2d, project_2d_frames
from core.similarity import topk_similarities

lab = get_lab()
st.header("Projections: the two spaces before and after mapping")
run, data, record, view = ui.require_run(lab)

with ui.controls():
    c1, c2, c3 = st.columns([2, 2, 3])
    method = c1.radio("Method", PROJECTION_METHODS, key="w_proj_method", horizontal=True,
                      format_func=PROJECTION_LABELS.get)
    c1.checkbox("Word labels", key="w_proj_labels")
    c2.slider("Words per language", 10, 400, step=10, key="w_proj_n",
              help="Content words that have a translation in the test dictionary, from frequent to rare")
    c2.radio("Lines join", selection.LINK_MODES, key="w_proj_links")
    c3.text_input("Highlight words (comma-separated, either language; their gold translations are added)",
                  key="w_proj_search", placeholder="dog, chien, two")
    # the after panel: the slider's iteration, or the mapping a refinement kept (its own BLI and dictionary)
    shown, shown_token, shown_label = ui.shown_mapping(lab, record, view, c3)

ss = st.session_state

NEIGHBOURS = 5   # nearest neighbours of each highlighted word, in the other language


@st.cache_resource(max_entries=2, show_spinner="Mapping the spaces…")
def _mapped_side(token: str, side: str, _run, _record):
    """One side's mapped unit vectors, all of them (the neighbours of a highlighted word come from the whole
    space), per run branch and iteration (or refinement); read-only."""
    M = (_record.mapping.transform_src(_run.src_norm.vectors, normalize=True) if side == "src"
         else _record.mapping.transform_tgt(_run.tgt_norm.vectors, normalize=True))
    M.flags.writeable = False
    return M


def _neighbours(side: str, row: int):
    # cosine nearest neighbours of one word among all the words of the other language (core retrieval)
    other = _mapped_side(shown_token, "tgt" if side == "src" else "src", run, shown)
    own = (run.src_norm.vectors if side == "src" else run.tgt_norm.vectors)[[row]]
    q = (shown.mapping.transform_src(own, normalize=True) if side == "src"
         else shown.mapping.transform_tgt(own, normalize=True))
    return topk_similarities(q, other, NEIGHBOURS)[1][0]


sel = None
with ui.guard("Word selection"):
    sel = selection.select(data, shown, int(ss["w_proj_n"]), selection.parse_words(ss["w_proj_search"]),
                           ss["w_proj_links"], run.config.retrieval,
                           lambda s_idx, t_idx: ui.pair_marks(s_idx, t_idx, data, data.test + data.train)[0],
                           neighbours_fn=_neighbours)
if sel is None:
    st.stop()
if sel.missing:
    st.warning(f"Not in either vocabulary: {ui.md(', '.join(sel.missing))}")
src_rows, tgt_rows, words, langs, highlight, links = (sel.src_rows, sel.tgt_rows, sel.words, sel.langs,
                                                      sel.highlight, sel.links)


@st.cache_data(max_entries=64, show_spinner=False)
def _project(key: str, method: str, rows: tuple, _vectors) -> np.ndarray:
    # key names the data and iteration (unique per run and branch); rows and method complete it.
    return project_2d(_vectors, method, random_state=0)


names = (data.src.name or "source", data.tgt.name or "target")
S, T = tuple(src_rows), tuple(tgt_rows)
Xb = run.src_norm.vectors[src_rows]
Zb = run.tgt_norm.vectors[tgt_rows]
# Side by side, at the desk and on a projector: before and after are compared, not read one by one.
left, right = st.columns(2)
with ui.guard("Projection"):
    note = " (the first UMAP of a server compiles its kernels: about 15 s)" if method == "umap" else ""
    with st.spinner(f"{PROJECTION_LABELS[method]} of {len(words)} words{note}…"):
        base = f"{data.key}:{'+'.join(run.config.normalize)}"
        if Xb.shape[1] == Zb.shape[1]:
            before = _project(base + ":joint", method, (S, T), np.vstack([Xb, Zb]))
            before_note = "one joint projection"
        else:
            before = np.vstack([_project(base + ":src", method, (S,), Xb), _project(base + ":tgt", method, (T,), Zb)])
            before_note = (f"{Xb.shape[1]} vs {Zb.shape[1]} dimensions: each space projected on its own, so "
                           "positions are not comparable across languages")
        Xa = shown.mapping.transform_src(Xb, normalize=True)
        Za = shown.mapping.transform_tgt(Zb, normalize=True)
        after = _project(shown_token, method, (S, T), np.vstack([Xa, Za]))
    with left:
        fig_before = charts.projection(before, words, langs, names, highlight, links,
                                       "Before mapping", bool(ss["w_proj_labels"]))
        # axis limits from the central 95% of the points: an outlier must not squeeze the cloud
        fig_before.update_xaxes(range=charts.robust_range(before[:, 0]))
        fig_before.update_yaxes(range=charts.robust_range(before[:, 1]))
        ui.chart(fig_before, key="proj_before", height=430)
        st.caption(f"Normalised monolingual spaces ({before_note}).")
    with right:
        fig_after = charts.projection(after, words, langs, names, highlight, links,
                                      f"After mapping ({shown_label})", bool(ss["w_proj_labels"]))
        fig_after.update_xaxes(range=charts.robust_range(after[:, 0]))
        fig_after.update_yaxes(range=charts.robust_range(after[:, 1]))
        ui.chart(fig_after, key="proj_after", height=430)
        bli = (getattr(shown, "bli", None) or {}).get(run.config.retrieval)
        st.caption(f"Both spaces mapped into the shared space by the maps of {shown_label}, one joint projection"
                   + (f" (test P@1 {100 * bli.p_at_1:.1f}%, {run.config.retrieval.upper()})" if bli else "")
                   + ". Lines: green = translated correctly by this mapping, red = wrong, grey = not evaluated.")
st.caption(selection.drawn_text(sel, int(ss["w_proj_n"]), len(data.src), len(data.tgt), NEIGHBOURS))


if ui.presenting():
    st.stop()
st.subheader("Watch the spaces align, iteration by iteration")
st.caption("Every iteration's mapped points in one animation (PCA: one shared basis, so motion on screen is motion "
           "in the space; t-SNE/UMAP: one map per iteration, turned to match the previous one).")


@st.cache_data(max_entries=8, show_spinner=False)
def _frames(key: tuple, method: str, rows: tuple, _frames_in) -> list:
    return project_2d_frames(_frames_in, method, random_state=0)


history = run.learner.history
if len(history) < 2:
    st.info("Step at least once to animate.")
elif st.toggle(f"Animate iterations 0–{len(history) - 1}", key="w_proj_anim"):
    with ui.guard("Animation"), st.spinner(f"{PROJECTION_LABELS[method]} of {len(history)} iterations…"):
        frames_in = [np.vstack([r.mapping.transform_src(Xb, normalize=True),
                                r.mapping.transform_tgt(Zb, normalize=True)]) for r in history]
        key = tuple(lab.record_token(r.iteration) for r in history)
        frames = _frames(key, method, (S, T), frames_in)
        marks_fn = (lambda s_idx, t_idx: ui.pair_marks(s_idx, t_idx, data, data.test + data.train)[0])
        per_frame = [selection.links(data, r, src_rows, tgt_rows, ss["w_proj_links"], run.config.retrieval,
                                     marks_fn) for r in history]
        ui.chart(charts.projection_animation(frames, words, langs, names, highlight, per_frame,
                                             bool(ss["w_proj_labels"]), [str(r.iteration) for r in history]),
                 key="proj_anim", export=False)
