"""CLWE Lab: watch cross-lingual word embeddings being learned.

Run with ``streamlit run app/streamlit_app.py``. This script sets up the session, opens the default
pair on a first visit, draws the run panel in the sidebar (Step / Run / Reset / iteration) and hands over
to the page the user picked. Pages live in ``app/views/``; the math lives in ``core/``.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts app/ on the path, not the repository root
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from app import actions, share, ui  # noqa: E402
from app.state import init_session  # noqa: E402

# Presenting mode (the sidebar toggle or ?present=1) opens with the sidebar folded: the chart gets the screen.
_present = st.session_state.get("w_present", False) or st.query_params.get("present") in ("1", "true", "yes")
st.set_page_config(page_title="CLWE Lab", page_icon="🌐", layout="wide",
                   initial_sidebar_state="collapsed" if _present else "auto")

lab = init_session()
replay_to, url_problems = share.restore_from_url(lab)   # a shared link or a reload: its settings first
if lab.data is None or lab.run is None:
    with st.spinner("Opening the bundled English–French pair…"):
        actions.ensure_default(lab)
if replay_to:
    with st.spinner(f"Restoring the shared run: replaying {replay_to} iterations…"), ui.guard("Restoring the link"):
        share.replay(lab, replay_to)
for problem in url_problems:
    st.warning(f"Ignored a setting of the link: {problem}.", icon=":material/link_off:")
ui.present_style()

pages = [
    st.Page("views/lessons.py", title="Lessons", icon=":material/school:"),
    st.Page("views/data.py", title="Data", icon=":material/database:"),
    st.Page("views/seed.py", title="Seed", icon=":material/grass:"),
    st.Page("views/selflearning.py", title="Self-learning", icon=":material/autorenew:", default=True),
    st.Page("views/projections.py", title="Projections", icon=":material/scatter_plot:"),
    st.Page("views/similarity.py", title="Similarity", icon=":material/show_chart:"),
    st.Page("views/inspector.py", title="Word inspector", icon=":material/search:"),
    st.Page("views/analysis.py", title="Analysis", icon=":material/analytics:"),
    st.Page("views/runfile.py", title="Run file", icon=":material/folder_zip:"),
]
# Sidebar navigation: every page stays reachable at 1280x720 (a top bar folds pages into a "more" menu).
page = st.navigation(pages, position="sidebar", expanded=True)
ui.run_panel(lab)
share.share_panel(lab)
if lab.data is None:  # the default pair failed to open: say why on every page
    ui.show_stored_error(lab, "data_error")
share.write_url(lab, page.url_path)   # before the page: a page may stop the script (st.stop) or rerun it
page.run()
