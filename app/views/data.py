"""Data: a bundled pair, the synthetic control pair, or your own embedding files."""

import pandas as pd
import streamlit as st

from app import actions, ui, uploads
from app.state import SYNTHETIC_SEED_N, WIDGET_DEFAULTS
from app.state import lab as get_lab
from core.io import BUNDLED_SPACES, FAMILIES, PAIR_REGISTRY

lab = get_lab()
st.header("Data: two monolingual spaces and a gold dictionary")

source = st.radio("Source", ["Bundled pair", "Synthetic pair", "Upload files"], key="w_data_source",
                  horizontal=True)


def _loaded():
    # A new pair: start a run at once with the seed settings (cheap seeds), then redraw the sidebar.
    actions.ensure_default(lab)
    st.rerun()


if source == "Bundled pair":
    st.caption("Two families of bundled pairs. The survey's point: unsupervised mapping works when both spaces "
               "were trained the same way on comparable text, and fails when they were not. One click opens a pair.")
    st.number_input("Maximum vocabulary (most frequent words)", min_value=1000, max_value=200000, step=1000,
                    key="w_max_vocab")
    columns = st.columns(len(FAMILIES))
    for column, (family, why) in zip(columns, FAMILIES.items()):
        pairs = [p for p in PAIR_REGISTRY.values() if p.family == family]
        column.markdown(f"**{ui.md(family.capitalize())}** (`same_algorithm: {str(pairs[0].same_algorithm).lower()}`)")
        column.caption(f"Why it matters: {why}.")
        for info in pairs:
            current = lab.data is not None and lab.data.label == info.pair
            if column.button(f"{info.pair}: {info.description}", key=f"b_load_{info.pair}",
                             type="primary" if current else "secondary", width="stretch"):
                st.session_state["w_pair"] = info.pair  # what a reload (actions.ensure_default) opens
                if st.session_state["w_seed_n"] == SYNTHETIC_SEED_N:   # back from the synthetic pair's tiny seed
                    st.session_state["w_seed_n"] = WIDGET_DEFAULTS["w_seed_n"]
                with ui.guard("Loading the bundled pair", (lab, "data_error")):
                    actions.load_bundled(lab, info.pair, int(st.session_state["w_max_vocab"]))
                    _loaded()

elif source == "Synthetic pair":
    st.caption("The control experiment: the target space is a rotated, noised copy of a real space, so an "
               "isomorphism exists and alignment must succeed. Its words are spelled differently ('dog' becomes "
               "'dugo': vowels shifted, an 'o' added), so no word is shared, as between real languages. The run "
               f"starts from only {SYNTHETIC_SEED_N} random pairs, so accuracy starts near 0% and climbs as you "
               "step. Turn the noise and dropped words up to see where it stops working.")
    c1, c2, c3 = st.columns(3)
    c1.selectbox("Base space", list(BUNDLED_SPACES), key="w_syn_base", format_func=lambda s: BUNDLED_SPACES[s])
    c1.number_input("Maximum vocabulary", min_value=500, max_value=20000, step=500, key="w_max_vocab")
    c2.slider("Noise (relative to the vector norm)", 0.0, 1.0, step=0.01, key="w_syn_noise")
    c2.slider("Dropped words (share)", 0.0, 0.9, step=0.05, key="w_syn_drop")
    c3.checkbox("Random rotation", key="w_syn_rotation")
    c3.number_input("Random seed", min_value=0, max_value=10_000, step=1, key="w_syn_seed")
    if st.button("Build synthetic pair", key="b_load_synthetic", type="primary"):
        ss = st.session_state
        ss["w_seed_strategy"], ss["w_seed_n"] = "random", SYNTHETIC_SEED_N   # starts low, then climbs
        with ui.guard("Building the synthetic pair", (lab, "data_error")):
            actions.load_synthetic(lab, ss["w_syn_base"], int(ss["w_max_vocab"]), float(ss["w_syn_noise"]),
                                   bool(ss["w_syn_rotation"]), float(ss["w_syn_drop"]), int(ss["w_syn_seed"]))
            _loaded()

else:
    st.caption("word2vec / fastText / GloVe text (optionally .gz) or .npz with 'words' and 'vectors', in "
               "frequency order. Dictionaries: one `source target` pair per line (or TSV).")
    st.caption(uploads.limit_text())
    c1, c2 = st.columns(2)
    up_src = c1.file_uploader("Source embeddings", key="up_src")
    up_tgt = c2.file_uploader("Target embeddings", key="up_tgt")
    up_train = c1.file_uploader("Training dictionary (optional)", key="up_train")
    up_test = c2.file_uploader("Test dictionary (optional, for P@1)", key="up_test")
    st.number_input("Maximum vocabulary (stops reading after N words)", min_value=1000, max_value=500_000,
                    step=10_000, key="w_up_max_vocab")
    if st.button("Load uploaded files", key="b_load_upload", type="primary"):
        if up_src is None or up_tgt is None:
            st.error("Upload both a source and a target embedding file.", icon=":material/error:")
        else:
            def as_pair(f):
                return None if f is None else (f.getvalue(), f.name)
            bar = st.progress(0.0, text="Reading the uploaded files…")
            with ui.guard("Loading the uploads", (lab, "data_error")):
                actions.load_upload(lab, as_pair(up_src), as_pair(up_tgt), as_pair(up_train), as_pair(up_test),
                                    int(st.session_state["w_up_max_vocab"]),
                                    progress=lambda fraction, text: bar.progress(min(fraction, 1.0), text=text))
                _loaded()
            bar.empty()

if lab.data is not None:  # (with no data the main script already shows it)
    ui.show_stored_error(lab, "data_error")
data = lab.data
if data is None:
    st.info("No data loaded yet.")
    st.stop()

st.subheader(f"Loaded: {ui.md(data.label)}")
if data.label in PAIR_REGISTRY:
    info = PAIR_REGISTRY[data.label]
    st.caption(f"Family: {info.family}. {info.description}. {FAMILIES[info.family].capitalize()}."
               + (" Technical-documentation spaces: software words (file, menu, option) translate well, everyday "
                  "words are rare or missing." if info.same_algorithm else ""))
c = st.columns(4)
c[0].metric(f"Source words ({ui.md(data.src.name)})", f"{len(data.src):,}")
c[1].metric("Source dimensions", data.src.dim)
c[2].metric(f"Target words ({ui.md(data.tgt.name)})", f"{len(data.tgt):,}")
c[3].metric("Target dimensions", data.tgt.dim)
if data.src.dim != data.tgt.dim:
    st.caption("The spaces have different dimensions: the mapping learns a shared space for both.")

cov = actions.coverage(data)
rows = []
for split, cv in cov.items():
    if cv is None:
        rows.append({"dictionary": split, "pairs": 0, "pairs in both vocabularies": 0, "source words": 0,
                     "source words covered": 0, "coverage": "–"})
    else:
        rows.append({"dictionary": split, "pairs": cv.n_pairs, "pairs in both vocabularies": cv.n_in_vocab,
                     "source words": cv.n_src_words, "source words covered": cv.n_src_covered,
                     "coverage": ui.fmt_pct(cv.ratio)})
st.table(pd.DataFrame(rows).set_index("dictionary"))
if not data.test:
    st.warning("No test dictionary: the share of correct translations (P@1) cannot be measured, and correct/wrong marks are unavailable.")
with st.expander("First words of each space"):
    c1, c2 = st.columns(2)
    c1.text(", ".join(data.src.words[:60]))   # st.text: words are never rendered as markdown
    c2.text(", ".join(data.tgt.words[:60]))
