"""Analysis: BLI by frequency band (F12), BLI against seed size (F8), isomorphism diagnostics (F9)."""

import pandas as pd
import streamlit as st

from app import actions, charts, ui
from app.state import lab as get_lab

lab = get_lab()
st.header("Analysis")
if lab.run is None:
    st.info(lab.seed_pending or "No run yet: build a seed on the Seed page.")
    st.stop()
run, data = lab.run, lab.data
record = ui.view_record(lab)
view = record.iteration
retrieval = run.config.retrieval if run.config.retrieval in ("nn", "csls") else "csls"

tab_band, tab_size, tab_iso = st.tabs(["BLI by word frequency", "BLI against seed size",
                                       "Isomorphism"])

with tab_band:
    bli = (getattr(record, "bli", None) or {}).get(retrieval)
    if bli is None or not getattr(bli, "by_band", None):
        st.info("No test dictionary, so no BLI by frequency band.")
    else:
        bands = [b for b in bli.by_band if b.n > 0]
        labels = [f"{b.lo + 1:,}–{b.hi:,}" for b in bands]
        st.plotly_chart(charts.bands(labels, [b.p_at_1 for b in bands], [b.n for b in bands],
                                     f"P@1 ({retrieval.upper()}) by source frequency rank, iteration {view}"),
                        width="stretch", key="by_band", theme=None)
        st.caption("The post (after Czarnowska et al. 2019) shows BLI falling with frequency rank: rare words have "
                   "noisier vectors, so test sets of frequent words flatter a method. Compare the bands here, and "
                   "across iterations.")

with tab_size:
    st.markdown("How many translation pairs is the current run worth? Each point maps the spaces with **N random "
                "pairs of the training dictionary** (Procrustes, no self-learning; the run's normalisation and "
                "retrieval). The dashed line is the current run at the iteration shown. Glavaš et al. (2019) and "
                "Vulić et al. (2019) found unsupervised methods below supervised ones with 500–1,000 pairs.")
    sizes = st.multiselect("Seed sizes N", [25, 50, 100, 250, 500, 1000, 2500, 5000],
                           key="w_an_sizes")
    key = (data.key, run.uid, tuple(sorted(sizes)), retrieval)
    cache = st.session_state.setdefault("seed_size_results", {})
    if st.button("Compute BLI for each seed size", key="b_seed_sizes", type="primary"):
        bar = st.progress(0.0, text="Mapping with random seeds…")
        todo = sorted(sizes)

        def on_size(k, n):
            bar.progress((k + 1) / len(todo), text=f"N = {n:,} done")

        with ui.guard("BLI against seed size"):
            cache[key] = actions.seed_size_curve(lab, todo, retrieval, callback=on_size)
        bar.empty()
    if key in cache:
        points = cache[key]
        ref = ui.bli_p1(record, retrieval)
        st.plotly_chart(charts.seed_size_curve([n for n, _ in points], [p for _, p in points], ref,
                                               f"current run ({run.seed_label.split(' (')[0]}, iteration {view})"),
                        width="stretch", key="seed_size", theme=None)
        st.dataframe(pd.DataFrame({"seed pairs": [n for n, _ in points],
                                   f"P@1 {retrieval.upper()}": [ui.fmt_pct(p) for _, p in points]}),
                     hide_index=True)

with tab_iso:
    try:
        from core import isomorphism
    except ImportError:
        isomorphism = None
    if isomorphism is None:
        st.info("Isomorphism diagnostics need core.isomorphism, which this version of the engine does not have.")
    else:
        st.markdown("Unsupervised mapping assumes the two spaces are nearly **isomorphic** (Søgaard et al. 2018). "
                    "Even close languages are not: a word's nearest neighbours in one language are often not the "
                    "translations of its translation's neighbours.")
        pairs = data.test or data.train
        if st.button("Compute isomorphism diagnostics", key="b_iso", type="primary"):
            with st.spinner("Comparing the two spaces…"), ui.guard("Isomorphism diagnostics"):
                st.session_state["iso_report"] = (data.key, isomorphism.isomorphism_report(run.src_norm, run.tgt_norm,
                                                                                          pairs))
        stored = st.session_state.get("iso_report")
        if stored and stored[0] == data.key:
            report = stored[1]
            simple = {k: v for k, v in report.items() if isinstance(v, (int, float, str))}
            st.dataframe(pd.DataFrame({"diagnostic": list(simple), "value": [str(v) for v in simple.values()]}),
                         hide_index=True)
