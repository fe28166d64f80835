import numpy as np

from core.normalize import GRID_BITS, unit_length
from core.similarity import (ColumnTopK, csls_topk, distribution_similarity, mean_topk_similarity,
                             mean_topk_similarity_both, scan_topk,
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


def test_csls_penalty_matches_sort():
    from core.similarity import csls_penalty as _topk_mean_rows
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


# ---------------------------------------------------------------------------------------------------------
# The retrieval kernel against dense brute force (small generated data; every product is exact on the grid)

def _grid(n, d, seed):
    from core.normalize import grid_unit_rows
    return grid_unit_rows(np.random.default_rng(seed).standard_normal((n, d)))


def _dense_r(A, B, k):
    """Dense reference r-term: mean of each row's k largest cosines (float64)."""
    S = A.astype(np.float64) @ B.T.astype(np.float64)
    return -np.sort(-S, axis=1)[:, :k].mean(axis=1)


def test_csls_scores_and_r_terms_against_dense_reference():
    """CSLS(a, b) = 2 cos(a, b) - r_B(a) - r_A(b) (Conneau et al. 2018), computed densely in float64."""
    from core.similarity import csls_penalty, retrieval_scores

    A, B = _grid(120, 16, 10), _grid(3000, 16, 11)
    k = 10
    rA, rB = _dense_r(A, B, k), _dense_r(B, A, k)
    assert np.allclose(mean_topk_similarity(A, B, k, batch_size=50), rA, atol=1e-6)
    best, r = csls_penalty(np.ascontiguousarray(A @ B.T), k)
    assert np.allclose(r, rA, atol=1e-12) and np.array_equal(best, (A @ B.T).max(axis=1))
    dense = 2 * (A.astype(np.float64) @ B.T) - rA[:, None] - rB[None, :]
    S = retrieval_scores(A @ B.T, 2.0, rB.astype(np.float32), rA.astype(np.float32))
    assert np.allclose(S, dense, atol=1e-6)
    v, i = csls_topk(A, B, k, 5, batch_size=37)
    assert np.allclose(v, -np.sort(-dense, axis=1)[:, :5], atol=1e-6)
    assert np.allclose(np.take_along_axis(dense, i, 1), v, atol=1e-6)


def test_inverted_softmax_against_dense_reference():
    """log P(b | a) = beta cos(a, b) - log sum_a' exp(beta cos(a', b)) (Smith et al. 2017)."""
    from scipy.special import logsumexp

    from core.similarity import inverted_softmax_normaliser, isf_log_normaliser, retrieval_scores, scan_topk

    A, B, beta = _grid(300, 12, 12), _grid(200, 12, 13), 30.0
    S64 = A.astype(np.float64) @ B.T
    lse = logsumexp(beta * S64, axis=0)                         # over the queries, per candidate
    assert np.allclose(inverted_softmax_normaliser(A, B, beta, batch_size=64), lse, rtol=1e-6)
    for float64_max in (True, False):
        assert np.allclose(isf_log_normaliser(np.ascontiguousarray(B @ A.T), beta, float64_max=float64_max),
                           lse, rtol=1e-6)
    dense = beta * S64 - lse[None, :]
    assert np.allclose(retrieval_scores(A @ B.T, beta, lse.astype(np.float32)), dense, atol=1e-4)
    v, i = scan_topk(A, B, 3, scale=beta, col_offset=lse, batch_size=29)
    assert np.allclose(np.take_along_axis(dense, i, 1), v, atol=1e-4)
    assert np.array_equal(i[:, 0], dense.argmax(axis=1))


def test_row_and_column_retrieval_against_dense_reference():
    """Induction's row argmax (forward) and column argmax (backward) under NN, CSLS and the inverted
    softmax equal the dense argmaxes of the dense score matrices, in the fast and the reference paths."""
    from scipy.special import logsumexp

    from core.induction import induce_dictionary

    X, Z = _grid(400, 16, 14), _grid(350, 16, 15)
    S = X.astype(np.float64) @ Z.T
    k, beta = 10, 30.0
    rX, rZ = _dense_r(X, Z, k), _dense_r(Z, X, k)
    dense = {"nn": (S, S), "csls": (2 * S - rX[:, None] - rZ[None], 2 * S - rX[:, None] - rZ[None]),
             "isf": (beta * S - logsumexp(beta * S, axis=0)[None], beta * S - logsumexp(beta * S, axis=1)[:, None])}
    for retrieval, (fwd_scores, bwd_scores) in dense.items():
        for fast in (True, False):
            D = induce_dictionary(X, Z, retrieval=retrieval, k=k, direction="union", cutoff=0, fast=fast,
                                  batch_size=64)
            assert np.array_equal(D.tgt[:400], fwd_scores.argmax(axis=1)), (retrieval, fast)
            assert np.array_equal(D.src[400:], bwd_scores.argmax(axis=0)), (retrieval, fast)


def test_ties_go_to_the_lower_index():
    from core.similarity import ColumnTopK, map_row_batches, merge_column_argmax, row_argmax, scan_topk

    A = _grid(40, 8, 16)
    B = np.vstack([A[:10], A[:10]])                     # every candidate twice: exact ties
    _, i = scan_topk(A[:10], B, 1)
    assert np.array_equal(i[:, 0], np.arange(10))
    idx, val = row_argmax(np.ascontiguousarray(A[:10] @ B.T))
    assert np.array_equal(idx, np.arange(10)) and np.allclose(val, 1, atol=2e-3)
    Q = np.vstack([A[:10]] * 30)                        # every column's best row repeated in both streams
    accs = [ColumnTopK(len(B), 1) for _ in range(2)]
    map_row_batches(lambda c, S, start: accs[c].update(S, start), Q, np.ascontiguousarray(B.T), 16)
    _, rows = merge_column_argmax(accs)
    assert np.array_equal(rows, np.tile(np.arange(10), 2))


def test_stochastic_retrieval_is_reproducible_and_drops_candidates():
    """Stochastic induction under a seed: the same picks twice; each pick is the argmax of a random
    subset, so the true argmax is picked with probability keep_prob (here about 1200 rows at p = 0.5)."""
    from core.similarity import row_argmax

    S = np.ascontiguousarray(_grid(1200, 16, 17) @ _grid(500, 16, 18).T)
    best = S.argmax(axis=1)
    order = np.argsort(-S, axis=1, kind="stable")
    for method in ("subset", "geometric"):
        a = row_argmax(S, 0.5, np.random.default_rng(5), method)
        b = row_argmax(S, 0.5, np.random.default_rng(5), method)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        assert np.array_equal(a[1], S[np.arange(len(S)), a[0]])
        share = np.mean(a[0] == best)
        assert abs(share - 0.5) < 5 * np.sqrt(0.25 / len(S)), (method, share)
        rank = np.argmax(order == a[0][:, None], axis=1)
        assert rank.max() > 0 and np.mean(rank <= 5) > 0.9       # mostly among the very best


def test_unit_length_kernel():
    from core.normalize import row_norms

    rng = np.random.default_rng(19)
    X = rng.standard_normal((30, 7)) * 5
    X[3] = 0.0
    for summation in ("einsum", "linalg"):
        U, n = unit_length(X, dtype=None, summation=summation, return_norms=True)
        assert U.dtype == np.float64 and np.allclose(np.linalg.norm(U[np.arange(30) != 3], axis=1), 1)
        assert np.all(U[3] == 0) and np.allclose(n[np.arange(30) != 3], np.sqrt((X ** 2).sum(1))[np.arange(30) != 3])
        assert unit_length(X, summation=summation).dtype == np.float32
    stack = rng.standard_normal((4, 5, 7))                    # a stack of row sets: rows along the last axis
    assert np.allclose(unit_length(stack, dtype=None), stack / np.linalg.norm(stack, axis=-1, keepdims=True))
    X32 = X.astype(np.float32)
    ref = np.sqrt(np.einsum("ij,ij->i", X32, X32))
    ref[3] = 1.0                                              # a zero row is divided by 1, and stays zero
    assert np.array_equal(row_norms(X32), ref)


def _private_copies(tree, rel):
    """The calls in a parsed module that would be a private row normalisation or CSLS r-term."""
    import ast

    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        owner = ast.unparse(node.func.value) if isinstance(node.func, ast.Attribute) else ""
        text = f"{rel}:{node.lineno}: {ast.unparse(node)}"
        keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
        if name == "norm" and owner.endswith("linalg") and "axis" in keywords:
            found.append(text)                                   # row norms
        elif (name == "einsum" and len(node.args) >= 3 and isinstance(node.args[0], ast.Constant)
              and ast.dump(node.args[1]) == ast.dump(node.args[2])):
            lhs, _, out = str(node.args[0].value).partition("->")
            if lhs.split(",")[0][-1:] not in out:
                found.append(text)                               # squared row norms
        elif name in ("partition", "argpartition") and owner in ("np", "numpy") or name == "argpartition":
            found.append(text)                                   # a top-k by hand
        elif name == "mean" and keywords.get("axis") == "1" and keywords.get("dtype") in ("np.float64", "float"):
            found.append(text)                                   # a float64 row mean: the r-term
        elif name in ("_topk_rows", "_topk_mean_rows"):
            found.append(text)                                   # the kernel's private helpers
    return found


def test_one_retrieval_kernel_and_one_row_normalisation():
    """CSLS and row normalisation are written once: in core/similarity.py and core/normalize.py.

    Every other source file of the engine, the app and the benches (tests excluded: they hold dense
    references on purpose) is parsed, and no call in it may be a private copy:

    * a row normalisation: ``np.linalg.norm(..., axis=...)`` (row norms), or ``einsum(subscripts, M, M)``
      with one operand twice and its last axis summed away (squared row norms, ``"ij,ij->i"``,
      ``"...j,...j->..."``); pair cosines ``einsum("ij,ij->i", U, V)`` of two different arrays are allowed;
    * a CSLS r-term or a top-k by hand: ``np.partition`` / ``argpartition`` (the kernel's exact top-k),
      a float64 row mean ``.mean(axis=1, dtype=np.float64)`` (the r-term), or a call of the kernel's
      private helpers ``_topk_rows`` / ``_topk_mean_rows``.
    """
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    allowed = {root / "core" / "similarity.py", root / "core" / "normalize.py"}
    files = [p for d in ("core", "app", "bench") for p in sorted((root / d).rglob("*.py")) if p not in allowed]
    assert len(files) > 20
    found = []
    for path in files:
        found += _private_copies(ast.parse(path.read_text(encoding="utf-8")), path.relative_to(root))
    assert not found, "private copies of the retrieval kernel or of unit_length:\n" + "\n".join(found)
    # the rule sees what it is meant to see
    sample = ast.parse("n = np.sqrt(np.einsum('ij,ij->i', M, M)); c = np.einsum('ij,ij->i', U, V)\n"
                       "u = X / np.linalg.norm(X, axis=1)\n"
                       "r = np.partition(S, 5)[:, -5:].mean(axis=1, dtype=np.float64)")
    assert len(_private_copies(sample, "sample")) == 4


def test_argmax_pass_rows_and_columns_at_once():
    """One threaded pass: CSLS column argmax of every column and CSLS row retrieval of every row (with the
    other side's r / 2 as column offset) equal the dense argmaxes; the row score is the full CSLS score."""
    from core.similarity import argmax_pass, csls_of_pairs

    X, Z = _grid(260, 12, 20), _grid(300, 12, 21)
    k = 5
    rX, rZ = _dense_r(X, Z, k), _dense_r(Z, X, k)
    dense = csls_of_pairs(X.astype(np.float64) @ Z.T, rX[:, None], rZ[None, :])
    best, r, (col_v, col_rows), (row_cols, row_v) = argmax_pass(
        X, Z, csls_k=k, col_argmax=True, retrieve=True, col_offset=(rZ / 2).astype(np.float32),
        rng=np.random.default_rng(0), batch_size=32)
    assert np.array_equal(best, (X @ Z.T).max(axis=1)) and np.allclose(r, rX, atol=1e-12)
    assert np.array_equal(col_rows, dense.argmax(axis=0))
    assert np.array_equal(row_cols, dense.argmax(axis=1))
    assert np.allclose(row_v, dense.max(axis=1), atol=1e-6)
    assert np.allclose(2 * col_v - rZ, dense.max(axis=0), atol=1e-6)   # column units: S - r_row / 2
    best, r, cols, rows = argmax_pass(X, Z, col_argmax=True, rng=np.random.default_rng(0))
    assert r is None and rows is None and np.array_equal(cols[1], (X @ Z.T).argmax(axis=0))


def test_both_r_terms_from_one_pass_equal_two_passes():
    """mean_topk_similarity_both: the same r-terms, bit for bit, as two calls (also with k above a side)."""
    from core.normalize import grid_unit_rows
    rng = np.random.default_rng(5)
    for n_a, n_b, k in ((1300, 900, 10), (7, 40, 10), (600, 3, 5)):
        A = grid_unit_rows(rng.standard_normal((n_a, 24)))
        B = grid_unit_rows(rng.standard_normal((n_b, 24)))
        r_a, r_b = mean_topk_similarity_both(A, B, k, batch_size=100)
        assert np.array_equal(r_a, mean_topk_similarity(A, B, k, batch_size=100))
        assert np.array_equal(r_b, mean_topk_similarity(B, A, k, batch_size=100))


def test_scan_topk_threaded_equals_sequential():
    """Without on_batch the scan runs one stream per core; its top-k equals the sequential pass's.

    The streams multiply smaller row blocks with a one-thread BLAS. Some BLAS builds round such a product
    differently in the last bit (OpenBLAS 0.3.31 on AMD EPYC: ``A[:m] @ B`` differs from the rows of ``A @ B``
    for every block size tried, and one thread from two), so the scores agree to float32 rounding, not bit for bit."""
    A, B = _unit(700, 16, 4), _unit(3000, 16, 5)
    off = np.linspace(0, 0.3, 3000).astype(np.float32)
    seen = []
    v1, i1 = scan_topk(A, B, 7, scale=2.0, col_offset=off, batch_size=64)
    v2, i2 = scan_topk(A, B, 7, scale=2.0, col_offset=off, batch_size=64, on_batch=lambda S, i: seen.append(i))
    assert np.array_equal(i1, i2) and seen == sorted(seen) and len(seen) > 1
    assert np.allclose(v1, v2, rtol=4 * np.finfo(np.float32).eps, atol=0)
