"""The inspector's CSLS retrieval (``core.similarity.csls_topk_pruned``): exact against the full computation,
which computes the penalty of every candidate, while it scores only the candidates that can reach the top."""

import numpy as np
import pytest

import core.similarity as similarity
from core.io import load_bundled_dictionary, load_embeddings, pairs_to_indices
from core.mapping import fit_mapping
from core.normalize import grid_unit_rows
from core.similarity import csls_topk, csls_topk_pruned, mean_topk_similarity


@pytest.fixture(scope="module")
def mapped():
    src, tgt = load_embeddings("en", max_vocab=4000), load_embeddings("fr", max_vocab=4000)
    seed = pairs_to_indices(load_bundled_dictionary("en-fr", "train"), src, tgt)
    m = fit_mapping("procrustes", src.vectors[seed[:, 0]], tgt.vectors[seed[:, 1]])
    return m.transform_src(src.vectors, normalize=True), m.transform_tgt(tgt.vectors, normalize=True)


@pytest.mark.parametrize("probe", [10, 100])
def test_pruned_equals_full_csls_on_real_mapped_spaces(mapped, probe):
    Q, O = mapped
    r_o = mean_topk_similarity(O, Q, 10)
    words = np.random.default_rng(0).choice(len(Q), 60, replace=False)
    for w in words:
        full = csls_topk(Q[[w]], O, 10, 10, r_B=r_o)
        pruned = csls_topk_pruned(Q[[w]], O, Q, 10, 10, probe=probe, chunk=32)
        assert np.array_equal(full[0], pruned[0]) and np.array_equal(full[1], pruned[1]), w


def test_pruned_equals_full_with_hubs_and_ties():
    """Generated grid rows with a planted hub (close to everything, so its penalty decides) and duplicated
    candidates (tied scores: the same values, and the same words wherever a score is not tied; the full scan
    leaves the order within a tie to its partition)."""
    rng = np.random.default_rng(1)
    C = grid_unit_rows(rng.standard_normal((500, 16)))
    B = grid_unit_rows(np.vstack([rng.standard_normal((300, 16)), C.mean(axis=0, keepdims=True) * 50]))
    B = np.vstack([B, B[:20]])                       # exact duplicates: tied scores
    r_b = mean_topk_similarity(B, C, 5)
    for a in C[:40]:
        full = csls_topk(a[None], B, 5, 12, r_B=r_b)
        pruned = csls_topk_pruned(a[None], B, C, 5, 12, probe=20, chunk=16)
        assert np.array_equal(full[0], pruned[0])
        single = np.array([np.sum(full[0][0] == v) == 1 for v in full[0][0]])
        assert np.array_equal(full[1][0][single], pruned[1][0][single])
        assert len(set(pruned[1][0])) == 12


def test_pruned_scores_few_candidates(mapped, monkeypatch):
    """The point of it: exact penalties for a small share of the candidates, not all of them."""
    Q, O = mapped
    scored = []
    real = similarity._penalties

    def counting(A, BT, k, batch_size):
        if BT.shape[1] == len(Q):                    # an exact penalty: candidates against the whole of C
            scored.append(len(A))
        return real(A, BT, k, batch_size)
    monkeypatch.setattr(similarity, "_penalties", counting)
    for w in (10, 200, 1500):
        scored.clear()
        csls_topk_pruned(Q[[w]], O, Q, 10, 10, chunk=64)
        assert 0 < sum(scored) <= len(O) // 8, (w, sum(scored))


def test_nearest_neighbours_of_a_few_words_equal_the_batch_pass(mapped):
    """``topk_similarities`` of up to ``FEW_QUERIES`` rows skips the transposed copy of the other space; on grid
    unit rows (every mapped space) its scores and neighbours are the batch pass's, bit for bit."""
    Q, O = mapped
    for rows in ([5], [0, 17, 300], list(range(100, 100 + similarity.FEW_QUERIES))):
        fast = similarity.topk_similarities(Q[rows], O, 10)
        batch = similarity.scan_topk(Q[rows], O, 10)
        assert np.array_equal(fast[0], batch[0]) and np.array_equal(fast[1], batch[1])
