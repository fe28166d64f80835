import numpy as np

from core.normalize import GRID_BITS, unit_length
from core.similarity import (ColumnTopK, csls_topk, distribution_similarity, mean_topk_similarity,
                             second_order_signatures, sorted_similarity_profile, topk_similarities)


def _unit(n, d, seed):
    return unit_length(np.random.default_rng(seed).standard_normal((n, d)))


def test_topk_exact_against_sort():
    A, B = _unit(300, 16, 0), _unit(5000, 16, 1)
    S = A @ B.T
    for k in (1, 3, 10, 64):
        v, i = topk_similarities(A, B, k, batch_size=77)
        ref = -np.sort(-S, axis=1)[:, :k]
        assert np.allclose(v, ref, atol=1e-6)
        assert np.allclose(np.take_along_axis(S, i, 1), v, atol=1e-6)
        assert v.dtype == np.float32 and i.dtype == np.int64


def test_column_topk_accumulator():
    rng = np.random.default_rng(3)
    S = rng.standard_normal((1000, 700)).astype(np.float32)
    acc = ColumnTopK(700, 10)
    for i in range(0, 1000, 128):
        acc.update(np.ascontiguousarray(S[i:i + 128]), i)
    ref = -np.sort(-S, axis=0)[:10].T
    assert np.allclose(acc.values, ref)
    assert np.allclose(np.take_along_axis(S.T, acc.indices, 1), acc.values)


def test_csls_beats_nn_on_a_hub():
    # Every query is closest (by cosine) to one hub; CSLS penalises the hub and finds the true target.
    rng = np.random.default_rng(0)
    d, n = 32, 50
    T = unit_length(rng.standard_normal((n, d)))
    hub_dir = unit_length(rng.standard_normal((1, d)))[0]
    Q = unit_length(T + 1.2 * hub_dir)          # queries drift towards the hub direction
    B = np.vstack([T, unit_length((hub_dir + 0.01 * rng.standard_normal(d))[None])])
    _, nn = topk_similarities(Q, B, 1)
    _, cs = csls_topk(Q, B, k_neighbors=5, topk=1)
    truth = np.arange(n)
    nn_acc = np.mean(nn[:, 0] == truth)
    cs_acc = np.mean(cs[:, 0] == truth)
    assert np.mean(nn[:, 0] == n) > 0.5      # the hub wins NN for most queries
    assert cs_acc > nn_acc + 0.3


def test_mean_topk():
    A, B = _unit(50, 8, 2), _unit(400, 8, 3)
    r = mean_topk_similarity(A, B, 5)
    ref = (-np.sort(-(A @ B.T), axis=1)[:, :5]).mean(axis=1)
    assert np.allclose(r, ref, atol=1e-6)
    # large enough for the block-maxima path, in small threaded batches
    A, B = _unit(300, 16, 4), _unit(5000, 16, 5)
    r = mean_topk_similarity(A, B, 10, batch_size=64)
    ref = (-np.sort(-(A @ B.T), axis=1)[:, :10]).mean(axis=1)
    assert np.allclose(r, ref, atol=1e-6)


def test_profiles_and_signatures():
    X = _unit(500, 10, 4)
    p = sorted_similarity_profile(X, rows=[0, 5])
    assert p.shape == (2, 500) and np.all(np.diff(p, axis=1) <= 0)
    assert np.isclose(p[0, 0], 1, atol=1e-5)           # itself first
    Q = np.linalg.qr(np.random.default_rng(5).standard_normal((10, 10)))[0].astype(np.float32)
    s1 = second_order_signatures(X, 200)
    s2 = second_order_signatures(X @ Q, 200)              # signatures ignore rotations
    assert s1.shape == (200, 200) and s1.dtype == np.float32
    # equal up to one step of the grid the signatures are rounded to (core.normalize.grid_unit_rows)
    assert np.abs(s1 - s2).max() <= 2.0 ** -GRID_BITS
    assert np.allclose(distribution_similarity(s1, s2), 1, atol=1e-4)
    other = second_order_signatures(_unit(500, 10, 6) * np.linspace(0.1, 3, 10).astype(np.float32), 200)
    assert distribution_similarity(s1[0], other[0]) < 0.999
    assert isinstance(distribution_similarity(p[0], p[1][:300]), float)


def test_signatures_of_rarer_words_extend_the_frequent_ones():
    """A word beyond the n most frequent (the survey's *cane*) gets the signature it would have among them:
    rows inside the n reproduce the full signatures exactly; a rarer word's signature is closest to the one it
    gets when it is moved into the n (their statistics change a little), and it stays rotation-free."""
    from core.similarity import top_profile

    X = _unit(600, 12, 7)
    full = second_order_signatures(X, 300)
    rows = second_order_signatures(X, 300, rows=[0, 17, 299, 450, 599])
    assert rows.shape == (5, 300) and rows.dtype == np.float32
    assert np.array_equal(rows[:3], full[[0, 17, 299]])
    swapped = X.copy()
    swapped[[299, 450]] = swapped[[450, 299]]              # word 450 becomes the 300th most frequent
    inside = second_order_signatures(swapped, 300)
    sims = distribution_similarity(np.repeat(rows[3:4], 300, axis=0), inside)
    assert sims[299] > 0.9 and np.argmax(sims) == 299      # its own in-sample signature is the closest by far
    assert distribution_similarity(rows[3], rows[4]) < 0.5  # and it is not every rare word's signature
    Q = np.linalg.qr(np.random.default_rng(8).standard_normal((12, 12)))[0].astype(np.float32)
    rotated = second_order_signatures(X @ Q, 300, rows=[450])
    assert np.abs(rotated[0] - rows[3]).max() <= 2.0 ** -GRID_BITS
    # the curve against the n most frequent words leaves the word itself out only when it is one of them
    assert top_profile(X, 5, 300).shape == (299,) and top_profile(X, 450, 300).shape == (300,)
    assert np.allclose(top_profile(X, 450, 300), np.sort(X[:300] @ X[450])[::-1], atol=1e-6)


def test_topk_mean_rows_matches_sort():
    from core.similarity import _topk_mean_rows
    rng = np.random.default_rng(9)
    for n in (50, 3000, 3007):
        S = rng.standard_normal((40, n)).astype(np.float32)
        best, mean = _topk_mean_rows(S, 10)
        ref = -np.sort(-S, axis=1)[:, :10]
        assert np.allclose(best, ref[:, 0]) and np.allclose(mean, ref.mean(1), atol=1e-6)
    # worst case for the block maxima: the whole top 10 sits in one interleaved block of one group
    S = rng.standard_normal((8, 3000)).astype(np.float32)
    nb = 3000 // 16
    S[:, 5 + np.arange(10) * nb] = 10 + np.arange(10)
    best, mean = _topk_mean_rows(S, 10)
    assert np.allclose(best, 19) and np.allclose(mean, 14.5)


def test_single_thread_blas_is_shared_by_overlapping_users():
    from threadpoolctl import threadpool_info

    from core.similarity import single_thread_blas

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    before = blas_threads()
    a, b = single_thread_blas(), single_thread_blas()
    a.__enter__()
    b.__enter__()                     # e.g. two app sessions aligning at once
    a.__exit__(None, None, None)      # the first one to finish must not lift the other's limit
    assert all(n == 1 for n in blas_threads())
    b.__exit__(None, None, None)
    assert blas_threads() == before


def test_k_occurrence_counts_and_csls_lowers_hubs():
    from core.similarity import k_occurrence

    rng = np.random.default_rng(0)
    u = unit_length(rng.normal(size=(1, 16)).astype(np.float32))
    A = unit_length((u + 0.9 * rng.normal(size=(300, 16)) / 4).astype(np.float32))   # queries around u
    B = unit_length(rng.normal(size=(200, 16)).astype(np.float32))
    B[7] = u[0]                                                                         # a hub: near everyone
    k = 5
    nn, idx = k_occurrence(A, B, k, "nn", return_neighbours=True, batch_size=64)
    dense = np.argsort(-(A.astype(np.float64) @ B.T.astype(np.float64)), axis=1)[:, :k]
    np.testing.assert_array_equal(nn, np.bincount(dense.ravel(), minlength=len(B)))
    assert nn.sum() == len(A) * k and idx.shape == (len(A), k) and nn.dtype == np.int64
    cs = k_occurrence(A, B, k, "csls", csls_k=10)
    assert cs.sum() == len(A) * k
    assert nn[7] == nn.max() and cs[7] < nn[7]                # CSLS takes the hub down
    assert (cs == 0).sum() < (nn == 0).sum()                  # and more target words get proposed
