"""CLWE Lab, the Streamlit app: thin pages over core (``streamlit run app/streamlit_app.py``)."""
