"""Word inspector: a word's nearest neighbours in the other language at the chosen iteration (or under the
mapping a contrastive refinement kept)."""

import streamlit as st

from app import selection, ui
from app.state import lab as get_lab
from core.similarity import csls_topk_pruned, topk_similarities

lab = get_lab()
st.header("Word inspector: nearest neighbours across languages")
run, data, record, view = ui.require_run(lab)
ss = st.session_state
if not ss["w_insp_word"]:
    ss["w_insp_word"] = "two" if "two" in data.src else data.src.words[min(50, len(data.src) - 1)]


def _go(word, side):
    # Button callback: runs before the widgets exist, so it may set their values.
    ss["w_insp_word"] = word
    ss["w_insp_side"] = side


sides = ["source → target", "target → source"]


def _typed():
    # A typed word picks its own direction: after clicking a French neighbour, typing "dog" looks up English
    # again instead of warning (the source side wins when a word is in both vocabularies).
    word = ss["w_insp_word"].strip()
    if word in data.src.index:
        ss["w_insp_side"] = sides[0]
    elif word in data.tgt.index:
        ss["w_insp_side"] = sides[1]


c1, c2, c3 = st.columns([3, 2, 2])
c1.text_input("Word (either language)", key="w_insp_word", on_change=_typed)
c2.radio("Direction", sides, key="w_insp_side", horizontal=True,
         format_func=lambda s: (f"{data.src.name} → {data.tgt.name}" if s == sides[0]
                                else f"{data.tgt.name} → {data.src.name}"))
with ui.controls():
    c3.slider("Neighbours shown", 3, 30, key="w_insp_k")
    record, token, shown_label = ui.shown_mapping(lab, record, view, c1)
word = ss["w_insp_word"].strip()
forward = ss["w_insp_side"] == sides[0]
query_space, other_space = (data.src, data.tgt) if forward else (data.tgt, data.src)
if word not in query_space.index:
    st.warning(f"'{ui.md(word)}' is not in the {ui.md(query_space.name or 'query')} vocabulary"
               + (" (but it is in the other one: switch direction)" if word in other_space.index else "") + ".")
    st.stop()


@st.cache_resource(max_entries=2, show_spinner="Mapping the spaces…")
def _mapped(token: str, forward: bool, _run, _record):
    """The other side's mapped unit vectors (all of them: the cosine column searches the whole vocabulary), kept
    per run branch and iteration or refinement (the token); read-only so sessions never alter each other's."""
    O = (_record.mapping.transform_tgt(_run.tgt_norm.vectors, normalize=True) if forward
         else _record.mapping.transform_src(_run.src_norm.vectors, normalize=True))
    O.flags.writeable = False
    return O


@st.cache_resource(max_entries=2, show_spinner="Mapping the query side…")
def _query_side(token: str, forward: bool, n_query: int, _run, _record):
    """The first ``n_query`` mapped words of the query side: the words whose similarities make CSLS's penalties
    (Conneau et al. 2018); :func:`core.similarity.csls_topk_pruned` computes a penalty only for the candidates
    that can reach the top, so a first lookup never waits for all of them."""
    rows = _run.src_norm.vectors[:n_query] if forward else _run.tgt_norm.vectors[:n_query]
    Q = (_record.mapping.transform_src(rows, normalize=True) if forward
         else _record.mapping.transform_tgt(rows, normalize=True))
    Q.flags.writeable = False
    return Q


with ui.guard("Neighbours"):
    O = _mapped(token, forward, run, record)
    n_q, n_o = selection.csls_words(run.config, len(query_space), len(other_space))
    Q = _query_side(token, forward, n_q, run, record)
    k = int(ss["w_insp_k"])
    i = query_space.index[word]
    if i < n_q:
        q = Q[[i]]
    else:   # a rarer word than the cutoff: map its row alone
        row = (run.src_norm.vectors if forward else run.tgt_norm.vectors)[[i]]
        q = (record.mapping.transform_src(row, normalize=True) if forward
             else record.mapping.transform_tgt(row, normalize=True))
    nn_v, nn_i = topk_similarities(q, O, k)
    cs_v, cs_i = csls_topk_pruned(q, O[:n_o], Q, int(run.config.csls_k), min(k, n_o))
    gold = data.test + data.train
    golds = {t for s, t in gold if s == word} if forward else {s for s, t in gold if t == word}
    st.caption(f"{shown_label[:1].upper()}{shown_label[1:]}. Gold translations: "
               + (ui.md(", ".join(sorted(golds))) if golds else "none in the dictionaries")
               + ". Click a neighbour to look it up in the other direction.")
    if n_o < len(other_space) or n_q < len(query_space):
        st.caption(f"Cosine: among all {len(other_space):,} {ui.md(other_space.name or 'other')} words. CSLS: "
                   f"among the {n_o:,} most frequent, its penalties from the {n_q:,} most frequent "
                   f"{ui.md(query_space.name or 'query')} words (the run's cutoff, the words induction compares; "
                   "exact CSLS over the whole vocabularies would take minutes per iteration).")
    back = sides[1] if forward else sides[0]
    cols = st.columns(2)
    for col, title, vals, idx, tag in ((cols[0], "Nearest neighbour (cosine)", nn_v[0], nn_i[0], "nn"),
                                       (cols[1], "CSLS (Conneau et al. 2018)", cs_v[0], cs_i[0], "csls")):
        with col:
            st.subheader(title)
            found = [r + 1 for r, j in enumerate(idx) if other_space.words[j] in golds]
            st.markdown(f"Gold translation at rank **{found[0]}**" if found else
                        ("Gold translation not in the top " + str(k) if golds else "No gold translation known"))
            for r, (v, j) in enumerate(zip(vals, idx)):
                w = other_space.words[j]
                mark = "✓ " if w in golds else ""
                st.button(f"{r + 1}. {mark}{ui.md(w)}  ·  {float(v):.3f}", key=f"b_insp_{tag}_{r}", on_click=_go,
                          args=(w, back), width="stretch", type="primary" if w in golds else "secondary")
