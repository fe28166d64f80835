"""Similarity distributions: the post's "two / due / cane" figure for any words."""

import itertools

import pandas as pd
import streamlit as st

from app import charts, loaders, ui
from app.state import lab as get_lab
from core.similarity import distribution_similarity, sorted_similarity_profile

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
    if not ok and len(data.test) >= 20:
        (s, t), third = data.test[0], data.test[19][1]
        triple = [(s, "source"), (t, "target"), (third, "target")]
    if ok or len(data.test) >= 20:
        for k, (w, side) in enumerate(triple):
            ss[f"w_sim_word_{k}"], ss[f"w_sim_lang_{k}"] = w, side

st.markdown(
    "Take one word, compute its cosine similarity to every word **of its own language**, and sort. "
    "The curve says how crowded the word's neighbourhood is: a number like *two* has many close neighbours "
    "(other numbers), a concrete noun fewer. Translations play the same role in both languages, so their "
    "curves are alike even though the two spaces share no coordinates; an unrelated word's curve differs. "
    "This second-order similarity needs no dictionary, which is how Artetxe et al. (2018) build a fully "
    "unsupervised seed: pair words whose similarity distributions match.")

cols = st.columns(3)
for k in range(3):
    cols[k].text_input(f"Word {k + 1}", key=f"w_sim_word_{k}")
    cols[k].radio("Language", ["source", "target"], key=f"w_sim_lang_{k}", horizontal=True,
                  format_func=lambda s: f"{data.src.name or 'source'}" if s == "source" else f"{data.tgt.name or 'target'}",
                  label_visibility="collapsed")
st.slider("Compare with N random words of each language", 500, 20000, step=500, key="w_sim_n")


def _space(side):
    # Cosine needs unit rows; reuse the run's normalised space when it ends with unit length.
    run = lab.run
    if run is not None and run.config.normalize[-1] in ("unit", "iternorm"):
        return run.src_norm if side == "source" else run.tgt_norm
    return loaders.normalized(data.src if side == "source" else data.tgt, ("unit",))


curves, missing = [], []
with ui.guard("Similarity profiles"):
    for k in range(3):
        word, side = ss[f"w_sim_word_{k}"].strip(), ss[f"w_sim_lang_{k}"]
        if not word:
            continue
        space = _space(side)
        if word not in space.index:
            missing.append(f"'{word}' ({space.name or side})")
            continue
        profile = sorted_similarity_profile(space.vectors, rows=[space.index[word]],
                                            n_sample=min(int(ss["w_sim_n"]), len(space)), random_state=0)[0]
        curves.append((f"{word} ({space.name or side})", profile))
    if missing:
        st.warning("Not in the vocabulary: " + ", ".join(missing))
    if curves:
        st.plotly_chart(charts.similarity_curves(curves), width="stretch", key="sim_curves", theme=None)
    if len(curves) >= 2:
        rows = [{"word A": a, "word B": b, "second-order similarity": round(distribution_similarity(pa, pb), 4)}
                for (a, pa), (b, pb) in itertools.combinations(curves, 2)]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        st.caption("Second-order similarity: cosine of the two sorted similarity curves "
                   "(core.similarity.distribution_similarity). Higher means more alike distributions.")
