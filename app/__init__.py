"""CLWE Lab, the Streamlit app: ``streamlit run app/streamlit_app.py``.

Layout
------
``streamlit_app.py``
    Entry point: session setup, the default pair on a first visit, the sidebar run panel (Step / Run N /
    Run until converged / Reset / iteration slider) and ``st.navigation`` over the pages.
``views/``
    Thin page scripts: data, seed, selflearning, projections, similarity, inspector, analysis, runfile.
``state.py``
    ``LabState`` / ``DataSet`` / ``RunState`` dataclasses kept in ``st.session_state`` and every widget default.
``actions.py``
    What buttons do (load, seed, run, branch, final mapping, analyses), calling ``core`` only.
``loaders.py``, ``uploads.py``, ``selection.py``, ``charts.py``, ``ui.py``
    Cached loaders (shared data is read-only), uploaded bytes to spaces, projection word selection,
    plotly figures, shared widgets, presenting mode and error display.
``share.py``, ``export.py``
    The scene in the URL's query parameters and the run zip (``core.runfile``); PNG / SVG export of figures.

The app computes nothing itself: numbers and points come from ``core``. Sessions never share a learner:
``st.cache_resource`` holds only read-only arrays, records and figures; a run's iterations are computed once
per server (``actions.SharedRun``) and each session's own learner holds the shared records it reached.
"""
