import numpy as np
import pytest

from core.errors import ConfigError
from core.induction import induce_dictionary
from core.normalize import unit_length


def _pair(n=800, d=16, noise=0.05, seed=0):
    rng = np.random.default_rng(seed)
    X = unit_length(rng.standard_normal((n, d)))
    Z = unit_length(X + noise * rng.standard_normal((n, d)))
    return X, Z


@pytest.mark.parametrize("retrieval", ["nn", "csls", "isf"])
def test_directions_on_an_aligned_pair(retrieval):
    X, Z = _pair()
    fwd = induce_dictionary(X, Z, retrieval=retrieval, direction="forward", cutoff=0)
    assert np.array_equal(fwd.src, np.arange(800)) and np.mean(fwd.tgt == fwd.src) > 0.98
    bwd = induce_dictionary(X, Z, retrieval=retrieval, direction="backward", cutoff=0)
    assert np.array_equal(bwd.tgt, np.arange(800)) and np.mean(bwd.src == bwd.tgt) > 0.98
    uni = induce_dictionary(X, Z, retrieval=retrieval, direction="union", cutoff=0)
    assert len(uni) == 1600 and uni.n_unique < 1700
    assert uni.mutual_ratio > 0.97
    assert 0.9 < uni.objective <= 1.0


def test_mutual_and_cutoff():
    X, Z = _pair(noise=0.6, seed=1)
    uni = induce_dictionary(X, Z, retrieval="nn", direction="union", cutoff=0)
    mut = induce_dictionary(X, Z, retrieval="nn", mutual=True, cutoff=0)
    fw = uni.forward
    # mutual pairs are exactly the forward pairs that the backward direction confirms
    assert 0 < len(mut) < 800
    assert np.all(fw[mut.src] == mut.tgt)
    assert np.isclose(len(mut) / 800, uni.mutual_ratio)
    cut = induce_dictionary(X, Z, retrieval="csls", direction="union", cutoff=100)
    assert cut.src.max() < 100 and cut.tgt.max() < 100 and len(cut) == 200
    with pytest.raises(ConfigError, match="larger than both"):
        induce_dictionary(X, Z, cutoff=5000)
    with pytest.raises(ConfigError):
        induce_dictionary(X, Z, direction="sideways")


def test_csls_scores_are_csls():
    X, Z = _pair(n=200, noise=0.3, seed=2)
    d = induce_dictionary(X, Z, retrieval="csls", k=5, direction="forward", cutoff=0)
    S = X @ Z.T
    r_src = (-np.sort(-S, axis=1)[:, :5]).mean(1)
    r_tgt = (-np.sort(-S.T, axis=1)[:, :5]).mean(1)
    C = 2 * S - r_src[:, None] - r_tgt[None, :]
    assert np.array_equal(d.tgt, C.argmax(1))
    assert np.allclose(d.scores, C.max(1), atol=1e-5)
    assert np.isclose(d.objective, S.max(1).mean(), atol=1e-6)


def test_stochastic_is_seeded_and_random():
    X, Z = _pair(n=500, noise=0.05, seed=3)
    a = induce_dictionary(X, Z, keep_prob=0.3, random_state=7, cutoff=0)
    b = induce_dictionary(X, Z, keep_prob=0.3, random_state=7, cutoff=0)
    c = induce_dictionary(X, Z, keep_prob=0.3, random_state=8, cutoff=0)
    assert np.array_equal(a.tgt, b.tgt) and np.array_equal(a.src, b.src)
    assert not np.array_equal(a.tgt, c.tgt)
    # the true (best) match survives with probability keep_prob
    hit = np.mean(a.forward == np.arange(500))
    assert 0.2 < hit < 0.4
    full = induce_dictionary(X, Z, keep_prob=1.0, cutoff=0)
    assert np.isclose(a.objective, full.objective)   # objective measured before dropout


@pytest.mark.parametrize("n,batch", [(700, 64), (2600, 512)])
@pytest.mark.parametrize("retrieval", ["nn", "csls"])
@pytest.mark.parametrize("direction", ["forward", "backward", "union"])
def test_two_pass_fast_path_equals_three_pass_reference(retrieval, direction, n, batch):
    X, Z = _pair(n=n, noise=0.5, seed=4)
    Z = Z[:n - 50]
    a = induce_dictionary(X, Z, retrieval=retrieval, direction=direction, cutoff=0, batch_size=batch)
    b = induce_dictionary(X, Z, retrieval=retrieval, direction=direction, cutoff=0, fast=False)
    assert np.array_equal(a.src, b.src) and np.array_equal(a.tgt, b.tgt)
    assert np.allclose(a.scores, b.scores, atol=1e-5)
    assert np.isclose(a.objective, b.objective, atol=1e-6)


def test_stochastic_methods_agree_in_distribution():
    X, Z = _pair(n=2000, noise=0.05, seed=6)
    for method in ("subset", "geometric"):
        d = induce_dictionary(X, Z, keep_prob=0.5, random_state=1, cutoff=0, stochastic=method)
        assert 0.44 < np.mean(d.forward == np.arange(2000)) < 0.56, method
    with pytest.raises(ConfigError):
        induce_dictionary(X, Z, keep_prob=0.5, stochastic="dropout")


def test_inverted_softmax_honours_the_stochastic_method():
    """The three-pass path (inverted softmax) draws its random subsets as asked: it used to fall back to
    geometric sampling whatever ``stochastic`` said (issue 19)."""
    X, Z = _pair(n=1500, noise=0.05, seed=7)
    runs = {m: induce_dictionary(X, Z, retrieval="isf", keep_prob=0.5, random_state=2, cutoff=0, stochastic=m)
            for m in ("subset", "geometric")}
    assert not np.array_equal(runs["subset"].forward, runs["geometric"].forward)
    for method, d in runs.items():
        assert 0.42 < np.mean(d.forward == np.arange(1500)) < 0.58, method
    again = induce_dictionary(X, Z, retrieval="isf", keep_prob=0.5, random_state=2, cutoff=0, stochastic="subset")
    assert np.array_equal(again.forward, runs["subset"].forward)
