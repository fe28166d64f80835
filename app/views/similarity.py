"""Similarity distributions: the post's "two / due / cane" figure for any words."""

import itertools

import pandas as pd
import streamlit as st

from app import charts, loaders, ui
from app.state import lab as get_lab
from core.similarity import distribution_similarity, second_order_signatures, sorted_similarity_profile

lab = get_lab()
st.header("Similarity distributions: translations look alike from inside their language")
if lab.data is None:
    st.info("Load data on the Data page first.")
    st.stop()
data = lab.data
ss = st.session_state

# New data: pick words that exist in it (two / deux / chien for English-French, as in the post).
if ss.get("sim_data_key") != data.key:
    ss["sim_data_key"] = data.key
    triple = [("two", "source"), ("deux", "target"), ("chien", "target")]
    ok = all(w in (data.src if side == "source" else data.tgt) for w, side in triple)
    if not ok and data.test:
        s, t = data.test[0]
        golds = {b for a, b in data.test if a == s}
        # An unrelated frequent target word: a later test pair's translation among the 2,000 most frequent.
        third = next((b for a, b in data.test[10:] if b not in golds and data.tgt.index.get(b, 10**9) < 2000), None)
        if third is not None:
            triple = [(s, "source"), (t, "target"), (third, "target")]
            ok = True
    if ok:
        for k, (w, side) in enumerate(triple):
            ss[f"w_sim_word_{k}"], ss[f"w_sim_lang_{k}"] = w, side

INTRO = (
    "Take one word, compute its cosine similarity to every word **of its own language**, and sort. The curve "
    "says how crowded the word's neighbourhood is: *two* has many close neighbours (the other numbers), a "
    "concrete noun fewer. A word and its translation play the same role in their languages, so their curves "
    "tend to be alike even though the two spaces share no coordinates, while an unrelated word's curve differs. "
    "Comparing these curves needs no dictionary: Artetxe et al. (2018) normalise them over the most frequent "
    "words and pair words whose curves match, which gives a fully unsupervised seed.")

if ui.presenting():   # on a projector the chart first; the words and settings fold away
    st.caption("A word and its translation have alike curves; an unrelated word's differs.")
else:
    st.markdown(INTRO)

with ui.controls("Words and settings"):
    cols = st.columns(3)
    for k in range(3):
        cols[k].text_input(f"Word {k + 1}", key=f"w_sim_word_{k}")
        cols[k].radio("Language", ["source", "target"], key=f"w_sim_lang_{k}", horizontal=True,
                      format_func=lambda s: ui.md(data.src.name or 'source') if s == "source" else ui.md(data.tgt.name or 'target'),
                      label_visibility="collapsed")
    c1, c2 = st.columns([2, 3])
    c1.slider("N most frequent words of each language", 500, 5000, step=250, key="w_sim_n")
    c2.radio("Curves", ["sorted cosine similarities", "normalised second-order signatures"], key="w_sim_curve",
             horizontal=True, help="The post plots each word's sorted cosine similarities. The unsupervised seed "
                                   "compares normalised signatures (Artetxe et al. 2018): the square root of the "
                                   "similarity matrix of the N most frequent words, rows sorted, then unit length, "
                                   "centred and unit length again over the N words.")
n_top = int(ss["w_sim_n"])


def _space(side):
    # Cosine needs unit rows; reuse the run's normalised space when it ends with unit length.
    run = lab.run
    if run is not None and run.config.normalize[-1] in ("unit", "iternorm"):
        return run.src_norm if side == "source" else run.tgt_norm
    return loaders.normalized(data.src if side == "source" else data.tgt, ("unit",))


@st.cache_resource(max_entries=2, show_spinner="Second-order signatures of the most frequent words…")
def _signatures(key: str, side: str, n: int, _space):
    """Signatures of the n most frequent words of one side (read-only, n x n float32)."""
    sig = second_order_signatures(_space.vectors, n)
    sig.flags.writeable = False
    return sig


steps = "+".join(lab.run.config.normalize) if lab.run is not None else "unit"
words, missing, beyond = [], [], []
for k in range(3):
    word, side = ss[f"w_sim_word_{k}"].strip(), ss[f"w_sim_lang_{k}"]
    if not word:
        continue
    space = _space(side)
    if word not in space.index:
        missing.append(f"'{word}' ({space.name or side})")
        continue
    words.append((f"{word} ({space.name or side})", side, space, space.index[word]))
if missing:
    st.warning("Not in the vocabulary: " + ui.md(", ".join(missing)))

with ui.guard("Similarity distributions"):
    sigs = {}
    for label, side, space, row in words:
        if row < n_top:
            sigs[label] = _signatures(f"{data.key}:{steps}", side, min(n_top, len(space)), space)[row]
        else:
            beyond.append(label)
    if ss["w_sim_curve"].startswith("sorted"):
        curves = [(label, sorted_similarity_profile(space.vectors, rows=[row], n_sample=min(n_top, len(space)),
                                                    random_state=0)[0]) for label, side, space, row in words]
        y_title = "cosine similarity"
    else:
        curves = [(label, sigs[label]) for label, *_ in words if label in sigs]
        y_title = "normalised signature value"
    if curves:
        ui.chart(charts.similarity_curves(curves, y_title=y_title), key="sim_curves", height=430)
    if beyond:
        st.warning(f"{ui.md(', '.join(beyond))}: beyond the {n_top:,} most frequent words, so no signature; raise N.")
    labels = [w[0] for w in words if w[0] in sigs]
    if len(labels) >= 2:
        rows = [{"word A": a, "word B": b, "second-order similarity": round(distribution_similarity(sigs[a], sigs[b]), 3)}
                for a, b in itertools.combinations(labels, 2)]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        if len(labels) == 3:
            a, b, c = labels
            closer = b if rows[0]["second-order similarity"] > rows[1]["second-order similarity"] else c
            st.markdown(f"From **{ui.md(a)}**'s point of view, **{ui.md(closer)}** has the more alike distribution.")
        st.caption("Second-order similarity: cosine of two normalised signatures "
                   "(core.similarity.second_order_signatures, distribution_similarity), what the unsupervised "
                   "seed ranks candidate translations by. Raw sorted curves all look alike (cosines near 1); the "
                   "normalisation over the N words brings out the differences.")
