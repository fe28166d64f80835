import numpy as np
import pytest

from core.errors import ConfigError
from core.mapping import fit_mapping, least_squares, multistep, procrustes


def _rot(d, seed):
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))[0]


def test_procrustes_recovers_rotation():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 20))
    Q = _rot(20, 1)
    m = procrustes(X, X @ Q + 0.001 * rng.standard_normal((500, 20)))
    assert np.allclose(m.Wx, Q, atol=1e-2)
    assert np.allclose(m.Wz, np.eye(20))
    W = m.Wx.astype(np.float64)
    assert np.allclose(W.T @ W, np.eye(20), atol=1e-5)


def test_procrustes_different_dimensions():
    # Target = source embedded in a bigger space and rotated: similarities must be recovered exactly.
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 10))
    Q = _rot(30, 2)
    Z = np.hstack([X, np.zeros((400, 20))]) @ Q
    for A, B in ((X, Z), (Z, X)):
        m = procrustes(A, B)
        assert m.Wx.shape[1] == m.Wz.shape[1] == 10
        Am, Bm = m.transform_src(A), m.transform_tgt(B)
        assert np.allclose(Am, Bm, atol=1e-4)
        assert np.allclose(m.Wx.T @ m.Wx, np.eye(10), atol=1e-5)   # semi-orthogonal


def test_procrustes_equal_dims_matches_two_sided_solution():
    rng = np.random.default_rng(2)
    X, Z = rng.standard_normal((100, 8)), rng.standard_normal((100, 8))
    m = procrustes(X, Z)
    U, _, Vt = np.linalg.svd(X.T @ Z)
    assert np.allclose((X @ m.Wx) @ Z.T, (X @ U) @ (Z @ Vt.T).T, atol=1e-4)


def test_least_squares_recovers_linear_map_across_dims():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 6))
    A = rng.standard_normal((6, 9))
    m = least_squares(X, X @ A)
    assert np.allclose(m.Wx, A, atol=1e-4)
    assert m.transform_src(X).shape == (300, 9)


def test_multistep_plain_equals_procrustes_and_whitening_works():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((400, 12)) * np.linspace(0.5, 2, 12)
    Q = _rot(12, 5)
    Z = X @ Q + 0.01 * rng.standard_normal((400, 12))
    plain = multistep(X, Z, whiten=False, src_reweight=0, trg_reweight=0, src_dewhiten=None,
                      trg_dewhiten=None)
    pro = procrustes(X, Z)
    assert np.allclose(plain.transform_src(X) @ plain.transform_tgt(Z).T,
                       pro.transform_src(X) @ pro.transform_tgt(Z).T, atol=1e-3)
    full = fit_mapping("multistep", X, Z)   # VecMap supervised preset
    xs, zs = full.transform_src(X), full.transform_tgt(Z)
    cos = np.sum(xs * zs, 1) / np.linalg.norm(xs, axis=1) / np.linalg.norm(zs, axis=1)
    assert cos.mean() > 0.99
    red = multistep(X, Z, dim_reduction=5)
    assert red.Wx.shape == (12, 5)
    # different dimensions
    Zbig = np.hstack([Z, rng.standard_normal((400, 4))])
    assert multistep(X, Zbig).Wz.shape == (16, 12)


def test_errors():
    X = np.ones((1, 4))
    with pytest.raises(ConfigError, match="at least 2"):
        procrustes(X, X)
    with pytest.raises(ConfigError, match="whitening needs"):
        multistep(np.random.rand(5, 10), np.random.rand(5, 10))
    with pytest.raises(ConfigError, match="unknown mapping"):
        fit_mapping("cca", np.eye(3), np.eye(3))
