"""Analysis: BLI by frequency band (F12), isomorphism diagnostics (F9), BLI against seed size (F8)."""

import streamlit as st

from app import charts, ui
from app.state import lab as get_lab

lab = get_lab()
st.header("Analysis")
if lab.run is None:
    st.info(lab.seed_pending or "No run yet: build a seed on the Seed page.")
    st.stop()
run, data = lab.run, lab.data
record = ui.view_record(lab)
view = record.iteration

st.subheader("BLI by word frequency")
bli = (getattr(record, "bli", None) or {}).get(run.config.retrieval)
if bli is None or not getattr(bli, "by_band", None):
    st.info("No test dictionary, so no BLI by frequency band.")
else:
    bands = [b for b in bli.by_band if b.n > 0]
    labels = [f"{b.lo + 1:,}–{b.hi:,}" for b in bands]
    st.plotly_chart(charts.bands(labels, [b.p_at_1 for b in bands], [b.n for b in bands],
                                 f"P@1 ({run.config.retrieval.upper()}) by source frequency rank, iteration {view}"),
                    width="stretch", key="by_band")
    st.caption("Rare words are translated worse (Czarnowska et al. 2019): their vectors are noisier and "
               "test dictionaries of frequent words overstate BLI.")
