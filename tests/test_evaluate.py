import numpy as np
import pytest

from core.errors import ConfigError
from core.evaluate import evaluate_bli
from core.io import Embeddings


def _case():
    src = Embeddings(("a", "b", "c", "d"), np.array(
        [[1, 0, 0], [0, 0.8, 0.6], [0, 0, 1], [0.6, 0, 0.8]], np.float32), "src")
    tgt = Embeddings(("x", "y", "z", "w"), np.array(
        [[1, 0, 0], [0, 1, 0], [0, 0.6, 0.8], [0, 0, -1]], np.float32), "tgt")
    gold = [("a", "x"), ("a", "w"), ("b", "y"), ("c", "q"), ("e", "x")]
    return src, tgt, gold


def test_hand_made_case_nn():
    src, tgt, gold = _case()
    r = evaluate_bli(src, tgt, gold, retrieval="nn", bands=(0, 1, 10))
    # a, b, c, e are the source words; c's only translation and e itself are out of vocabulary
    assert r.n_total == 4 and r.n == 2 and r.coverage == 0.5
    assert r.p_at_1 == 0.5 and r.p_at_5 == 1.0 and r.p_at_10 == 1.0
    assert r.mrr == pytest.approx(0.75)
    words = {w.src: w for w in r.per_word}
    assert words["a"].gold_rank == 1 and words["a"].predictions[0] == "x"
    assert words["b"].gold_rank == 2 and words["b"].predictions[:2] == ("z", "y")
    assert words["b"].gold == ("y",) and words["a"].gold == ("w", "x")
    # cosines are taken on the 2**-11 grid (core.normalize.grid_unit_rows): exact to about 1e-3
    assert words["b"].scores[0] == pytest.approx(0.96, abs=1e-3)
    assert [(b.lo, b.hi, b.n, b.p_at_1) for b in r.by_band] == [(0, 1, 1, 1.0), (1, 10, 1, 0.0)]


def test_csls_and_isf_run_with_same_coverage():
    src, tgt, gold = _case()
    for retrieval in ("csls", "isf"):
        r = evaluate_bli(src, tgt, gold, retrieval=retrieval, csls_k=2)
        assert r.n == 2 and r.coverage == 0.5 and r.retrieval == retrieval
        assert 0 <= r.p_at_1 <= r.p_at_5 <= r.p_at_10 <= 1


def test_errors_and_empty_coverage():
    src, tgt, _ = _case()
    with pytest.raises(ConfigError):
        evaluate_bli(src, tgt, [("a", "x")], retrieval="knn")
    with pytest.raises(ConfigError):
        evaluate_bli(src, tgt, [])
    r = evaluate_bli(src, tgt, [("zz", "x")])
    assert r.n == 0 and r.coverage == 0.0
    other = Embeddings(("x",), np.ones((1, 5), np.float32))
    with pytest.raises(ConfigError, match="dimension"):
        evaluate_bli(src, other, [("a", "x")])


def test_mark_pairs_and_precision():
    from core.evaluate import mark_pairs, pair_precision

    src = Embeddings(("dog", "cat", "xyz"), np.eye(3, dtype=np.float32))
    tgt = Embeddings(("chien", "chat", "maison"), np.eye(3, dtype=np.float32))
    gold = [("dog", "chien"), ("cat", "chat"), ("cat", "matou")]
    marks = mark_pairs([0, 1, 2, 1], [0, 2, 2, 1], src, tgt, gold)
    assert marks.tolist() == [1, 0, -1, 1]
    assert pair_precision(marks) == 2 / 3
    assert np.isnan(pair_precision(np.array([-1, -1])))


def test_translation_is_nearest():
    """Each source word's nearest target word (cosine, rows of any length) is or is not its own pair."""
    from core.evaluate import translation_is_nearest

    rng = np.random.default_rng(0)
    Z = rng.standard_normal((12, 6)).astype(np.float32)
    X = 3.0 * Z + 0.01 * rng.standard_normal((12, 6)).astype(np.float32)    # longer rows, same directions
    X[4] = Z[7]                                                              # word 4 now points at word 7
    hits = translation_is_nearest(X, Z)
    assert hits.dtype == bool and hits.sum() == 11 and not hits[4]
