"""Similarity distributions: the post's "two / due / cane" figure for any words."""

import itertools

import pandas as pd
import streamlit as st

from app import charts, loaders, ui, wording
from app.state import lab as get_lab
from core.similarity import (distribution_rank, distribution_similarity, second_order_signatures,
                             top_profile)



def lesson_word_triples():
    """(pair, words) of the F7 lesson: its own pair and its contrast pair."""
    from app.lessons import BY_ID

    p = BY_ID["F7"].params
    return [(BY_ID["F7"].pair, p["words"])] + list(p.get("contrast", ()))


lab = get_lab()
st.header("Similarity distributions: translations look alike from inside their language")
if lab.data is None:
    st.info("Load data on the Data page first.")
    st.stop()
data = lab.data
ss = st.session_state

# New data: the lesson's words where the pair has them (F7: the survey's two / due / cane on doc_en-doc_it;
# two / deux / chien on en-fr, a failure worth showing), else a word of the test dictionary,
# its translation and an unrelated frequent target word. Word 1 is the word, 2 its translation, 3 unrelated.
if ss.get("sim_data_key") != data.key:
    ss["sim_data_key"] = data.key
    triples = [[(w, "source" if side == "src" else "target") for w, side in words]
               for _, words in lesson_word_triples()]
    # the word and its translation among the 4,000 most frequent (the seed's words), the unrelated one anywhere
    triple = next((t for t in triples if all(w in (data.src if side == "source" else data.tgt).index
                                               and ((data.src if side == "source" else data.tgt).index[w] < 4000
                                                    or k == 2) for k, (w, side) in enumerate(t))), None)
    if triple is None and data.test:
        gold = {}
        for a, b in data.test:
            gold.setdefault(a, set()).add(b)
        # a frequent source word of 4+ letters with a frequent translation (content words teach better)
        cands = sorted(((a, b) for a, b in data.test if a in data.src.index and b in data.tgt.index
                        and len(a) >= 4 and data.src.index[a] < 2000 and data.tgt.index[b] < 2000),
                       key=lambda ab: data.src.index[ab[0]])
        if cands:
            s_word, t_word = cands[0]
            # an unrelated frequent target word: another test word's translation, not one of this word's
            third = next((b for a, b in cands[len(cands) // 2:] if b not in gold[s_word]), None)
            if third is not None:
                triple = [(s_word, "source"), (t_word, "target"), (third, "target")]
    if triple is not None:
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
        cols[k].text_input(("Word", "Its translation", "An unrelated word")[k], key=f"w_sim_word_{k}")
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


@st.cache_resource(max_entries=8, show_spinner=False)
def _rare_signature(key: str, side: str, n: int, row: int, _space):
    """The signature a word beyond the n most frequent would have among them (its own SVD of the n words, so
    cached like :func:`_signatures`: a page rerun must not redo it)."""
    return second_order_signatures(_space.vectors, n, rows=[row])[0]


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
        else:  # a rarer word: the signature it would have among the N most frequent
            sigs[label] = _rare_signature(f"{data.key}:{steps}", side, min(n_top, len(space)), row, space)
            beyond.append(label)
    if ss["w_sim_curve"].startswith("sorted"):
        # each word against the n most frequent words of its language, the word itself left out
        curves = [(label, top_profile(space.vectors, row, min(n_top, len(space)))) for label, side, space, row in words]
        y_title = "cosine similarity"
    else:
        curves = [(label, sigs[label]) for label, *_ in words if label in sigs]
        y_title = "normalised signature value"
    if curves:
        ui.chart(charts.similarity_curves(curves, y_title=y_title), key="sim_curves", height=430)
    if beyond:
        st.info(f"{ui.md(', '.join(beyond))}: beyond the {n_top:,} most frequent words; its signature is the one it "
                f"would have among them (its curve is drawn against them). The unsupervised seed itself pairs only "
                f"the {n_top:,} most frequent words.")
    labels = [w[0] for w in words if w[0] in sigs]
    if len(labels) >= 2:
        rows = [{"word A": a, "word B": b, "second-order similarity": round(distribution_similarity(sigs[a], sigs[b]), 3)}
                for a, b in itertools.combinations(labels, 2)]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        if len(labels) == 3:
            a, b, c = labels
            side_b, row_b = next((w[1], w[3]) for w in words if w[0] == b)
            space_b = next(w[2] for w in words if w[0] == b)
            n_b = min(n_top, len(space_b))
            rank = (distribution_rank(sigs[a], _signatures(f"{data.key}:{steps}", side_b, n_b, space_b), row_b)
                    if row_b < n_b else None)
            if rank is None:
                st.markdown(f"**{ui.md(b)}** is beyond the {n_b:,} most frequent words, so it cannot be ranked "
                            "among them; raise N to read a verdict.")
            else:
                _, text = wording.similarity_verdict(ui.md(a), ui.md(b), ui.md(c),
                                                     rows[0]["second-order similarity"],
                                                     rows[1]["second-order similarity"], rank, n_b)
                st.markdown(text)
        st.caption("Second-order similarity: cosine of two normalised signatures "
                   "(core.similarity.second_order_signatures, distribution_similarity), what the unsupervised "
                   "seed ranks candidate translations by. The raw sorted curves of most words look much alike; "
                   "the normalisation over the N words brings out the differences.")
