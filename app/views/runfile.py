"""Run file: open a run kept as a zip (downloaded from the lab or written by ``clwe align``) and look at it."""

import pandas as pd
import streamlit as st

from app import charts, share, ui, wording
from app.state import lab as get_lab
from core import runfile
from core.similarity import topk_similarities

lab = get_lab()
st.header("Run file: open a kept run")
st.caption("A run.zip from the sidebar's **Download this run** or from `clwe align --out DIR` (DIR/run.zip): "
           "its settings, learning curves, dictionary and mapped vectors. Nothing in it is executed or unpickled.")

up = st.file_uploader("Run file (.zip)", type=["zip"], key="up_run")
if up is not None:
    with ui.guard("Opening the run file"):
        st.session_state["run_file"] = (up.name, runfile.read_run(up.getvalue(), name=up.name))
stored = st.session_state.get("run_file")
if stored is None:
    st.info("No run file opened yet.")
    st.stop()

name, rf = stored
cfg = rf.config
st.subheader(f"{name}: {cfg.get('data') or cfg.get('pair') or cfg.get('src_name', '?') + ' → ' + cfg.get('tgt_name', '?')}")
align = cfg.get("config", {})
c = st.columns(4)
c[0].metric("Written by", str(cfg.get("command", "?")))
c[1].metric("Seed", str(cfg.get("init", "?")))
c[2].metric("Iteration kept", str(cfg.get("iteration", len(rf.history) - 1)))
distinct, n_rows = wording.dictionary_counts(rf.dictionary)
c[3].metric("Dictionary pairs", f"{distinct:,}",
            help=f"Distinct pairs, as the Self-learning page counts them; dictionary.tsv has {n_rows:,} rows "
                 "(with both retrieval directions a pair found both ways is listed twice)")
if align:
    st.caption("Settings: " + ", ".join(f"{k} {v}" for k, v in align.items()
                                       if k in ("normalize", "mapping", "retrieval", "csls_k", "direction", "cutoff",
                                                "stochastic_initial", "stochastic_interval", "random_state")))


def _rows(history):
    def p1(line, r):
        return ((line.get("bli") or {}).get(r) or {}).get("p_at_1")

    return [{"iteration": h.get("iteration", k), "p1_nn": p1(h, "nn"), "p1_csls": p1(h, "csls"),
             "size": h.get("dictionary_size", 0), "objective": h.get("objective"),
             "shared": h.get("shared_agreement")} for k, h in enumerate(history)]


if rf.history:
    rows = _rows(rf.history)
    ui.chart(charts.learning_curves(rows, rows[-1]["iteration"], retrieval=align.get("retrieval", "csls")),
             key="runfile_curves")

query = cfg.get("query") or {}
if query.get("pair") and not cfg.get("branched"):
    if st.button("Replay this run in the lab", key="b_runfile_replay",
                 help="Rebuilds the data, seed and settings of the file and steps to its iteration (deterministic)"):
        # A fresh scene from the file's link: the main script restores it like a shared link.
        share.open_scene(lab, query)
        st.switch_page("views/selflearning.py")

left, right = st.columns(2)
with left:
    st.markdown("**Dictionary**")
    st.dataframe(pd.DataFrame(rf.dictionary, columns=["source", "target", "score"]).head(5000),
                 hide_index=True, width="stretch", height=360)
with right:
    if rf.src is not None and rf.tgt is not None:
        st.markdown("**Nearest neighbours in the kept mapping**")
        word = st.text_input("Source word", key="w_runfile_word",
                             placeholder=rf.src.words[min(50, len(rf.src) - 1)]).strip()
        if word:
            if word not in rf.src.index:
                st.warning(f"'{word}' is not in the file's source vocabulary ({len(rf.src):,} words).")
            else:
                # the kept vectors are unit length (as the lab and clwe align write them): cosine = dot
                vals, idx = topk_similarities(rf.src.vectors[[rf.src.index[word]]], rf.tgt.vectors, 10)
                st.dataframe(pd.DataFrame({"target": [rf.tgt.words[j] for j in idx[0]],
                                           "cosine": [round(float(v), 3) for v in vals[0]]}),
                             hide_index=True, width="stretch")
    else:
        st.info("This file holds no mapped vectors.")
