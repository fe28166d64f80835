"""Projections: both languages in one 2-D plot, before vs after mapping, translation pairs linked."""

import numpy as np
import streamlit as st

from app import charts, ui
from app.state import lab as get_lab
from core.projection import PROJECTION_LABELS, PROJECTION_METHODS, project_2d

lab = get_lab()
st.header("Projections: the two spaces before and after mapping")
if lab.run is None:
    st.info(lab.seed_pending or "No run yet: build a seed on the Seed page.")
    st.stop()

run, data = lab.run, lab.data
record = ui.view_record(lab)
view = record.iteration

c1, c2, c3 = st.columns([2, 2, 3])
method = c1.radio("Method", PROJECTION_METHODS, key="w_proj_method", horizontal=True,
                  format_func=PROJECTION_LABELS.get)
c1.checkbox("Word labels", key="w_proj_labels")
c2.slider("Most frequent words per language", 10, 400, step=10, key="w_proj_n")
c2.radio("Lines join", ["gold (test dictionary)", "induced dictionary", "none"], key="w_proj_links")
c3.text_input("Highlight words (comma-separated, either language; their gold translations are added)",
              key="w_proj_search", placeholder="dog, chien, two")

ss = st.session_state
n = int(ss["w_proj_n"])
searched = [w.strip() for w in ss["w_proj_search"].replace(";", ",").split(",") if w.strip()]
gold = data.test + data.train
src_rows = list(range(min(n, len(data.src))))
tgt_rows = list(range(min(n, len(data.tgt))))
found = []
for w in searched:
    hit = False
    if w in data.src.index:
        src_rows.append(data.src.index[w]); hit = True
        tgt_rows += [data.tgt.index[t] for s, t in gold if s == w and t in data.tgt.index]
    if w in data.tgt.index:
        tgt_rows.append(data.tgt.index[w]); hit = True
        src_rows += [data.src.index[s] for s, t in gold if t == w and s in data.src.index]
    found.append((w, hit))
missing = [w for w, hit in found if not hit]
if missing:
    st.warning(f"Not in either vocabulary: {', '.join(missing)}")
src_rows = list(dict.fromkeys(src_rows))
mode = ss["w_proj_links"]
# Show each plotted source word's partners too, so that every source word can have its line.
plotted = set(src_rows)
if mode.startswith("gold"):
    tgt_rows += [data.tgt.index[t] for s, t in data.test if data.src.index.get(s) in plotted and t in data.tgt.index]
elif mode.startswith("induced"):
    tgt_rows += [int(j) for i, j in zip(record.src_idx, record.tgt_idx) if int(i) in plotted]
tgt_rows = list(dict.fromkeys(tgt_rows))
words = [data.src.words[i] for i in src_rows] + [data.tgt.words[j] for j in tgt_rows]
langs = ["src"] * len(src_rows) + ["tgt"] * len(tgt_rows)
highlight = [w in searched for w in words]

# Links between plotted words, coloured by what core says about the iteration shown.
src_pos = {i: k for k, i in enumerate(src_rows)}
tgt_pos = {j: len(src_rows) + k for k, j in enumerate(tgt_rows)}
links = []
with ui.guard("Translation links"):
    if mode.startswith("gold"):
        bli = (getattr(record, "bli", None) or {}).get(run.config.retrieval)
        rank = {w.src: w.gold_rank for w in bli.per_word} if bli is not None else {}
        for s, t in data.test:   # only test pairs are evaluated at every iteration
            i, j = data.src.index.get(s), data.tgt.index.get(t)
            if i in src_pos and j in tgt_pos:
                ok = None if s not in rank else rank[s] == 1
                links.append((src_pos[i], tgt_pos[j], ok))
    elif mode.startswith("induced"):
        keep = [k for k, (i, j) in enumerate(zip(record.src_idx, record.tgt_idx))
                if int(i) in src_pos and int(j) in tgt_pos]
        if keep:
            sel_s, sel_t = record.src_idx[keep], record.tgt_idx[keep]
            marks, _ = ui.pair_marks(sel_s, sel_t, data, gold)
            for k in range(len(keep)):
                ok = None if marks is None or marks[k] < 0 else bool(marks[k] == 1)
                links.append((src_pos[int(sel_s[k])], tgt_pos[int(sel_t[k])], ok))


@st.cache_data(max_entries=64, show_spinner=False)
def _project(key: str, method: str, rows: tuple, _vectors) -> np.ndarray:
    # key names the data and iteration (unique per run and branch); rows and method complete it.
    return project_2d(_vectors, method, random_state=0)


names = (data.src.name or "source", data.tgt.name or "target")
S, T = tuple(src_rows), tuple(tgt_rows)
left, right = st.columns(2)
with ui.guard("Projection"):
    note = " (the first UMAP of a server compiles its kernels: about 15 s)" if method == "umap" else ""
    with st.spinner(f"{PROJECTION_LABELS[method]} of {len(words)} words{note}…"):
        Xb = run.src_norm.vectors[src_rows]
        Zb = run.tgt_norm.vectors[tgt_rows]
        base = f"{data.key}:{'+'.join(run.config.normalize)}"
        if Xb.shape[1] == Zb.shape[1]:
            before = _project(base + ":joint", method, (S, T), np.vstack([Xb, Zb]))
            before_note = "one joint projection"
        else:
            before = np.vstack([_project(base + ":src", method, (S,), Xb), _project(base + ":tgt", method, (T,), Zb)])
            before_note = (f"{Xb.shape[1]} vs {Zb.shape[1]} dimensions: each space projected on its own, so "
                           "positions are not comparable across languages")
        Xa = record.mapping.transform_src(Xb, normalize=True)
        Za = record.mapping.transform_tgt(Zb, normalize=True)
        after = _project(lab.record_token(view), method, (S, T), np.vstack([Xa, Za]))
    with left:
        st.plotly_chart(charts.projection(before, words, langs, names, highlight, links,
                                          "Before mapping", bool(ss["w_proj_labels"])),
                        width="stretch", key="proj_before", theme=None)
        st.caption(f"Normalised monolingual spaces ({before_note}).")
    with right:
        st.plotly_chart(charts.projection(after, words, langs, names, highlight, links,
                                          f"After mapping (iteration {view})", bool(ss["w_proj_labels"])),
                        width="stretch", key="proj_after", theme=None)
        st.caption("Both spaces mapped into the shared space by the iteration's W, one joint projection. "
                   "Lines: green = translated correctly at this iteration, red = wrong, grey = not evaluated.")
