"""RCSLS (Joulin et al. 2018): the relaxed CSLS loss goes down, and a rotation is recovered."""

import numpy as np
import pytest

from core.errors import ConfigError
from core.io import load_embeddings
from core.mapping import Mapping, fit_mapping, procrustes, rcsls
from core.normalize import normalize
from core.synthetic import random_rotation, synthetic_pair


def _unit(M):
    M = np.asarray(M, np.float64)
    return M / np.linalg.norm(M, axis=1, keepdims=True)


def relaxed_csls_loss(W, A, B, Xn, Zn, k):
    """The loss written out densely in float64 (small data only): cosines of the mapped rows,
    k nearest targets of each mapped source and k nearest mapped sources of each target."""
    U = _unit(A @ W)
    V = _unit(Xn @ W)
    fwd = np.sort(U @ Zn.T, axis=1)[:, -k:].mean(axis=1)
    bwd = np.sort(B @ V.T, axis=1)[:, -k:].mean(axis=1)
    return float(np.mean(-2 * np.sum(U * B, axis=1) + fwd + bwd))


@pytest.fixture(scope="module")
def noisy_pair():
    src, tgt, gold = synthetic_pair(load_embeddings("en", max_vocab=1500), noise=0.8, random_state=2)
    X = normalize(src.vectors, ("unit", "center", "unit"))
    Z = normalize(tgt.vectors, ("unit", "center", "unit"))
    idx = np.array([(src.index[s], tgt.index[t]) for s, t in gold], np.int64)
    return X, Z, idx


def test_rcsls_lowers_the_loss_it_optimises(noisy_pair):
    X, Z, idx = noisy_pair
    train = idx[:400]
    Xd, Zd = X[train[:, 0]], Z[train[:, 1]]
    init = procrustes(Xd, Zd)
    m = fit_mapping("rcsls", Xd, Zd, X=X, Z=Z, k=10, n_neighbours=1500, epochs=8, lr=1.0)
    assert m.method == "rcsls" and m.Wx.shape == init.Wx.shape
    A, B, Zn = np.asarray(Xd, np.float64), _unit(Zd @ init.Wz), _unit(Z @ init.Wz)
    before = relaxed_csls_loss(init.Wx, A, B, X, Zn, 10)
    after = relaxed_csls_loss(m.Wx, A, B, X, Zn, 10)
    assert before == pytest.approx(m.info["loss_init"], abs=1e-4)
    assert after == pytest.approx(m.info["loss"], abs=1e-4)
    assert after < before - 1e-3
    assert np.linalg.norm(m.Wx, 2) <= 1 + 1e-4          # projected on the spectral ball


def test_rcsls_recovers_a_rotation_from_the_identity():
    rng = np.random.default_rng(0)
    d, n = 10, 400
    X = _unit(rng.standard_normal((n, d)))
    R = random_rotation(d, 1).astype(np.float64)
    Z = _unit(X @ R + 0.02 * rng.standard_normal((n, d)))
    start = Mapping(np.eye(d), np.eye(d), "identity")
    assert np.mean((X @ Z.T).argmax(axis=1) == np.arange(n)) < 0.2
    m = rcsls(X[:200], Z[:200], X=X, Z=Z, k=5, n_neighbours=n, epochs=30, lr=5.0, init=start)
    assert np.mean((X @ m.Wx @ Z.T).argmax(axis=1) == np.arange(n)) == 1.0
    W = m.Wx / np.linalg.norm(m.Wx, 2)
    assert np.linalg.norm(W - R) / np.linalg.norm(R) < 0.25


def test_rcsls_errors(noisy_pair):
    X, Z, idx = noisy_pair
    Xd, Zd = X[idx[:50, 0]], Z[idx[:50, 1]]
    with pytest.raises(ConfigError, match="whole source and target"):
        fit_mapping("rcsls", Xd, Zd)
    with pytest.raises(ConfigError, match="k >= 1"):
        rcsls(Xd, Zd, X=X, Z=Z, k=0)
