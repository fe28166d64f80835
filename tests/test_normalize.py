import numpy as np
import pytest

from core.errors import ConfigError
from core.normalize import center, iterative_normalization, normalize, pca_reduce, unit_length, unit_variance


def _data(n=300, d=8, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d)) * np.arange(1, d + 1) + 3.0).astype(np.float32)


def test_unit_length_rows_and_zero_rows():
    X = _data()
    X[0] = 0
    Y = unit_length(X)
    assert Y.dtype == np.float32
    norms = np.linalg.norm(Y[1:], axis=1)
    assert np.allclose(norms, 1, atol=1e-5)
    assert np.all(Y[0] == 0)
    assert not np.shares_memory(X, Y)


def test_center_and_unit_variance():
    X = _data()
    C = center(X)
    assert np.abs(C.mean(axis=0)).max() < 1e-4
    V = unit_variance(C)
    assert np.allclose(V.std(axis=0), 1, atol=1e-3)


def test_order_matters_like_vecmap():
    X = _data()
    a = normalize(X, ["unit", "center"])
    b = normalize(X, ["center", "unit"])
    assert np.abs(a.mean(axis=0)).max() < 1e-5          # centred last
    assert np.allclose(np.linalg.norm(b, axis=1), 1, atol=1e-5)  # unit last
    assert not np.allclose(a, b)
    assert np.array_equal(normalize(X, ["none"]), X)


def test_iterative_normalization_is_unit_and_centered():
    Y = iterative_normalization(_data(), n_iter=10)
    assert np.allclose(np.linalg.norm(Y, axis=1), 1, atol=1e-5)
    assert np.abs(Y.mean(axis=0)).max() < 1e-3


def test_unknown_step():
    with pytest.raises(ConfigError, match="unknown normalisation step"):
        normalize(_data(), ["unit", "whiten"])


def test_pca_reduce_keeps_the_leading_axes_deterministically():
    X = _data(n=400, d=8)                       # column j has standard deviation j + 1
    Y = pca_reduce(X, 3)
    assert Y.shape == (400, 3) and Y.dtype == np.float32
    assert np.array_equal(Y, pca_reduce(X.copy(), 3))          # seedless: the same file every time
    assert np.abs(Y.mean(axis=0)).max() < 1e-3                  # centred by the fitted mean
    var = Y.var(axis=0)
    assert var[0] > var[1] > var[2]
    # the three largest-variance directions are the last three coordinates (std 8, 7, 6)
    np.testing.assert_allclose(np.sqrt(var), [8, 7, 6], rtol=0.12)
    # the variance kept is the sum of the top eigenvalues of the covariance
    top = np.sort(np.linalg.eigvalsh(np.cov(X.T, bias=True)))[::-1][:3]
    np.testing.assert_allclose(var.sum(), top.sum(), rtol=1e-4)
    # projecting on all axes keeps every pairwise distance
    full = pca_reduce(X, 8)
    np.testing.assert_allclose(np.linalg.norm(full[0] - full[1]), np.linalg.norm(X[0] - X[1]), rtol=1e-4)


def test_pca_reduce_rejects_bad_dimensions():
    with pytest.raises(ConfigError, match="1 <= dim <= 8"):
        pca_reduce(_data(), 9)
    with pytest.raises(ConfigError):
        pca_reduce(_data(), 0)
