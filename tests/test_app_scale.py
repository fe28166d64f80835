"""The lab at researcher scale (issue 19, item 3), checked at small size: which words the inspector's CSLS
compares beyond ``log_vocab``, and what a projection draws (a searched word's neighbours out of the whole
space, and a caption that counts every point)."""

from types import SimpleNamespace

import numpy as np

from app import selection
from core.io import Embeddings
from core.selflearning import AlignConfig
from core.similarity import topk_similarities


def test_inspector_csls_is_exact_up_to_log_vocab_then_uses_the_cutoff_words():
    cfg = AlignConfig(log_vocab=100, cutoff=40)
    assert selection.csls_words(cfg, 100, 90) == (100, 90)        # within log_vocab: whole vocabularies
    assert selection.csls_words(cfg, 300, 90) == (40, 40)         # beyond: the words induction compares
    assert selection.csls_words(AlignConfig(log_vocab=100, cutoff=0), 300, 90) == (300, 90)   # cutoff 0: all


def _unit(rng, n, d=8):
    V = rng.normal(size=(n, d)).astype(np.float32)
    return V / np.linalg.norm(V, axis=1, keepdims=True)


def test_projection_draws_a_searched_words_neighbours_from_the_whole_space_and_counts_them():
    rng = np.random.default_rng(0)
    src = Embeddings([f"s{i}" for i in range(500)], _unit(rng, 500), "src")
    tgt = Embeddings([f"t{i}" for i in range(600)], _unit(rng, 600), "tgt")
    data = SimpleNamespace(src=src, tgt=tgt, train=[], test=[("s1", "t1"), ("s2", "t2")])
    record = SimpleNamespace(src_idx=np.array([1, 2]), tgt_idx=np.array([1, 2]), bli=None)
    queried = []

    def neighbours(side, row):   # what the Projections page passes: core retrieval over the whole other side
        queried.append((side, row))
        own, other = (src, tgt) if side == "src" else (tgt, src)
        return topk_similarities(own.vectors[[row]], other.vectors, 3)[1][0]

    sel = selection.select(data, record, 2, ["s450", "t599"], "gold (test dictionary)", "csls", lambda a, b: None,
                           neighbours_fn=neighbours)
    assert queried == [("src", 450), ("tgt", 599)]
    near_t = topk_similarities(src.vectors[[450]], tgt.vectors, 3)[1][0]
    near_s = topk_similarities(tgt.vectors[[599]], src.vectors, 3)[1][0]
    assert set(near_t.tolist()) <= set(sel.tgt_rows) and set(near_s.tolist()) <= set(sel.src_rows)
    assert max(near_t) >= 3 or max(near_s) >= 3   # not only the frequent rows the page starts from
    text = selection.drawn_text(sel, 2, len(src), len(tgt), 3)
    n_src, n_tgt = len(sel.src_rows), len(sel.tgt_rows)
    assert text.startswith(f"{n_src + n_tgt:,} points drawn ({n_src:,} source and {n_tgt:,} target words) out of "
                           "500 + 600")
    assert "3 nearest neighbours" in text and "none is sampled" in text
    # without a searched word there are no neighbours to name
    plain = selection.select(data, record, 2, [], "gold (test dictionary)", "csls", lambda a, b: None,
                             neighbours_fn=neighbours)
    assert "nearest neighbours" not in selection.drawn_text(plain, 2, len(src), len(tgt), 3)
