"""Same numbers on every machine (issue 21): the engine's decisions do not depend on the BLAS kernel or
its thread count. Each scenario of bench/determinism.py runs in subprocesses under every configuration
this processor allows (1 and 2 OpenBLAS threads; the Haswell kernel beside the default one where the
processor has AVX2) and must give bit-identical dictionaries, mapped spaces and P@1 at every iteration.
"""

import numpy as np
import pytest

from bench.determinism import configurations, first_difference, run_worker
from core.mapping import canonical_polar, procrustes
from core.normalize import GRID_BITS, grid_unit_rows


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["hopeless", "unsupervised"])
def test_same_run_under_every_blas_configuration(scenario):
    configs = configurations()
    assert len(configs) >= 2
    runs = [(label, run_worker(scenario, env)) for label, env in configs]
    ref = runs[0][1]["records"]
    assert len(ref) >= 3
    for label, r in runs[1:]:
        assert first_difference(ref, r["records"]) is None, f"{label} ({r['kernel']}) differs from {runs[0][0]}"


def test_grid_products_are_exact_in_any_order():
    """On the grid, a float32 dot product equals the exact (float64) one whatever the summation order."""
    rng = np.random.default_rng(0)
    A = grid_unit_rows(rng.standard_normal((200, 300)))
    B = grid_unit_rows(rng.standard_normal((150, 300)))
    exact = A.astype(np.float64) @ B.T.astype(np.float64)
    assert np.array_equal((A @ B.T).astype(np.float64), exact)
    perm = rng.permutation(300)             # another summation order
    assert np.array_equal(A[:, perm] @ B[:, perm].T, A @ B.T)
    assert np.array_equal(A * 2 ** GRID_BITS, np.rint(A * 2 ** GRID_BITS))
    assert np.allclose(np.linalg.norm(A, axis=1), 1, atol=2e-3)


def test_rank_deficient_procrustes_is_canonical():
    """Fewer pairs than dimensions: the completion does not depend on the basis LAPACK returns."""
    rng = np.random.default_rng(1)
    X, Z = rng.standard_normal((20, 50)), rng.standard_normal((20, 50))
    W = procrustes(X, Z).Wx
    assert np.allclose(W.T @ W, np.eye(50), atol=1e-5)
    # the same problem in rotated coordinates of the null spaces gives the same W: solve M and a copy
    # whose SVD returns other null-space bases (permuted, sign-flipped rows of the data change them)
    M = X.T @ Z
    W1, _ = canonical_polar(M)
    W2, _ = canonical_polar(M + 0.0)
    P = rng.permutation(20)
    W3, _ = canonical_polar(X[P].T @ Z[P])
    assert np.allclose(W1, W2) and np.allclose(W1, W3, atol=1e-9)
    # it fits the dictionary as well as any orthogonal map can: tr(W^T M) = sum of singular values
    assert np.isclose(np.trace(W1.T @ M), np.linalg.svd(M, compute_uv=False).sum())
    # among the equally good maps, it moves the unseen directions least: the largest trace
    U, _, Vt = np.linalg.svd(M)
    for _ in range(5):
        R = np.linalg.qr(rng.standard_normal((30, 30)))[0]
        other = U[:, :20] @ Vt[:20] + U[:, 20:] @ R @ Vt[20:]
        assert np.isclose(np.trace(other.T @ M), np.trace(W1.T @ M))
        assert np.trace(other) < np.trace(W1)


def test_rectangular_procrustes_keeps_the_smaller_space():
    rng = np.random.default_rng(2)
    X, Z = rng.standard_normal((400, 20)), rng.standard_normal((400, 60))
    m = procrustes(X, Z)
    assert np.array_equal(m.Wx, np.eye(20, dtype=np.float32)) and m.Wz.shape == (60, 20)
    assert np.allclose(m.Wz.T @ m.Wz, np.eye(20), atol=1e-5)
