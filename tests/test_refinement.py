"""The contrastive refinement (core.refinement; Li et al. 2022, C1) on small generated data."""

import numpy as np
import pytest

from core.errors import ConfigError
from core.io import load_embeddings
from core.mapping import Mapping, canonical_polar
from core.normalize import grid_unit_rows, normalize
from core.refinement import (RefinementConfig, augment, contrastive_refinement, hard_negatives, info_nce_loss,
                             info_nce_loss_indexed, train_round)
from core.selflearning import AlignConfig, SelfLearning
from core.synthetic import random_rotation, synthetic_pair

N = 1500


def _p1(X, Z, mapping, n=1000):
    """NN P@1 of the identity dictionary over the first ``n`` words (gold: row i <-> row i)."""
    Xm = grid_unit_rows(X[:n].astype(np.float64) @ np.asarray(mapping.Wx, np.float64))
    Zm = grid_unit_rows(Z.astype(np.float64) @ np.asarray(mapping.Wz, np.float64))
    return float(np.mean((Xm @ Zm.T).argmax(axis=1) == np.arange(n)))


@pytest.fixture(scope="module")
def rotated():
    """English (1,500 words, 50-d) and a rotated copy with noise: row i of Z translates row i of X."""
    X = normalize(load_embeddings("en", max_vocab=N).vectors)
    R = random_rotation(X.shape[1], 7).astype(np.float64)
    rng = np.random.default_rng(3)
    Z = normalize((X @ R + rng.normal(0, 0.02, X.shape)).astype(np.float32))
    return X, Z, R


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    b, k, d1, d2, r = 5, 3, 6, 7, 4
    Wx, Wz = rng.normal(size=(d1, r)), rng.normal(size=(d2, r))
    A, B = rng.normal(size=(b, d1)), rng.normal(size=(b, d2))
    An, Bn = rng.normal(size=(b, k, d1)), rng.normal(size=(b, k, d2))
    loss, (gx, gz) = info_nce_loss(Wx, Wz, A, B, An, Bn, temperature=0.5)
    assert loss > 0
    eps = 1e-6
    for W, g, which in ((Wx, gx, 0), (Wz, gz, 1)):
        num = np.zeros_like(W)
        for idx in np.ndindex(*W.shape):
            E = np.zeros_like(W)
            E[idx] = eps
            plus = [Wx + E, Wz] if which == 0 else [Wx, Wz + E]
            minus = [Wx - E, Wz] if which == 0 else [Wx, Wz - E]
            num[idx] = (info_nce_loss(*plus, A, B, An, Bn, 0.5, gradient=False)[0]
                        - info_nce_loss(*minus, A, B, An, Bn, 0.5, gradient=False)[0]) / (2 * eps)
        assert np.allclose(num, g, atol=1e-7, rtol=1e-5), np.abs(num - g).max()


def test_negatives_given_once_equal_negatives_given_per_pair():
    """info_nce_loss_indexed (each distinct negative row mapped once, its occurrences' gradients summed) gives
    the loss and gradient of the dense form with every occurrence its own row."""
    rng = np.random.default_rng(2)
    b, k, d, r = 40, 6, 9, 9
    Wx, Wz = rng.normal(size=(d, r)), rng.normal(size=(d, r))
    A, B = rng.normal(size=(b, d)), rng.normal(size=(b, d))
    Xn, Zn = rng.normal(size=(15, d)), rng.normal(size=(12, d))
    ns, nt = rng.integers(0, 15, (b, k)), rng.integers(0, 12, (b, k))      # repeats within and across pairs
    loss, (gx, gz) = info_nce_loss_indexed(Wx, Wz, A, B, Xn, ns, Zn, nt, 0.3)
    ref, (rx, rz) = info_nce_loss(Wx, Wz, A, B, Xn[ns], Zn[nt], 0.3)
    assert np.isclose(loss, ref, rtol=1e-12) and np.allclose(gx, rx, rtol=1e-10, atol=1e-13)
    assert np.allclose(gz, rz, rtol=1e-10, atol=1e-13)


def test_loss_goes_down_with_fixed_negatives(rotated):
    X, Z, R = rotated
    rng = np.random.default_rng(1)
    W0, _ = canonical_polar(R + rng.normal(0, 0.08, R.shape))
    pairs = np.stack([np.arange(300), np.arange(300)], axis=1)
    Wx, Wz = W0.copy(), np.eye(Z.shape[1])
    neg_tgt, neg_src = hard_negatives(X, Z, Wx, Wz, pairs, k=8, vocab=1000)
    # the hard negatives are wrong neighbours: never the pair's own target or source
    assert not np.any(neg_tgt == pairs[:, 1:]) and not np.any(neg_src == pairs[:, :1])
    # searching only some pairs (the next minibatches) gives those pairs the same negatives, also for a word
    # with two translations, neither of which may be its negative
    two = np.concatenate([pairs, [[0, int(neg_tgt[0, 0])]]])
    full = hard_negatives(X, Z, Wx, Wz, two, k=8, vocab=1000)
    rows = np.array([0, 7])           # word 0 once here, twice in the dictionary
    part = hard_negatives(X, Z, Wx, Wz, two, k=8, vocab=1000, rows=rows)
    for f, p in zip(full, part):
        assert np.array_equal(p[rows], f[rows]) and np.all(np.delete(p, rows, axis=0) == -1)
    assert not np.isin(two[two[:, 0] == 0, 1], full[0][[0, 300]]).any()

    def full_loss(Wx, Wz):
        return info_nce_loss(Wx, Wz, X[pairs[:, 0]], Z[pairs[:, 1]], X[neg_src], Z[neg_tgt], 0.1, False)[0]

    cfg = RefinementConfig(steps=30, batch_size=300, n_negatives=8, negative_vocab=1000, refresh=1000, lr=2e-3)
    Wx1, Wz1, losses, _ = train_round(X, Z, Wx, Wz, pairs, cfg, np.random.default_rng(0))
    before, after = full_loss(Wx, Wz), full_loss(Wx1, Wz1)
    assert losses[0] == pytest.approx(before)
    assert after < 0.8 * before, (before, after)
    assert losses[-1] < losses[0]


def test_refinement_recovers_a_rotation_the_seed_mapping_misses(rotated):
    X, Z, R = rotated
    rng = np.random.default_rng(2)
    W0, _ = canonical_polar(R + rng.normal(0, 0.3, R.shape))       # the true rotation, missed by noise
    start = Mapping(W0, np.eye(Z.shape[1]), "procrustes")
    before = _p1(X, Z, start)
    seed = np.stack([np.arange(0, 1000, 10), np.arange(0, 1000, 10)], axis=1)   # 100 correct pairs
    cfg = RefinementConfig(rounds=2, steps=40, batch_size=256, n_negatives=16, negative_vocab=N, lr=2e-3,
                           n_augment=800, cutoff=N)
    seen = []
    res = contrastive_refinement(X, Z, start, seed, cfg, callback=seen.append)
    after = _p1(X, Z, res.mapping)
    assert [r.round for r in seen] == [0, 1, 2] and res.kept_round == 2
    assert before < 0.3 and after > 0.95, (before, after)
    # and it is deterministic under its seed
    again = contrastive_refinement(X, Z, start, seed, cfg)
    assert np.array_equal(again.mapping.Wx, res.mapping.Wx) and np.array_equal(again.mapping.Wz, res.mapping.Wz)


def test_a_start_at_the_criterions_maximum_runs_no_round(rotated):
    """Rounds are kept only when strictly better than the start: a start at the ceiling ends the refinement at
    once with the outcome the rounds would have had (the start kept)."""
    X, Z, R = rotated
    start = Mapping(R, np.eye(Z.shape[1]), "procrustes")
    seed = np.stack([np.arange(0, 1000, 10), np.arange(0, 1000, 10)], axis=1)
    cfg = RefinementConfig(rounds=2, steps=5, batch_size=64, n_negatives=4, negative_vocab=N, n_augment=100,
                           cutoff=N)
    full = contrastive_refinement(X, Z, start, seed, cfg, score=lambda m: 1.0)
    short = contrastive_refinement(X, Z, start, seed, cfg, score=lambda m: 1.0, ceiling=1.0)
    assert len(full.rounds) == 3 and full.kept_round == 0 and full.mapping is start
    assert len(short.rounds) == 1 and short.kept_round == 0 and short.mapping is start
    assert "maximum" in short.reason
    below = contrastive_refinement(X, Z, start, seed, cfg, score=lambda m: 0.5, ceiling=1.0)
    assert len(below.rounds) == 3


def test_augmentation_leaves_out_seed_and_held_out_words(rotated):
    X, Z, R = rotated
    seed = np.array([[0, 0], [5, 5]])
    aug = augment(X, Z, R, np.eye(Z.shape[1]), seed, exclude_src=[1, 2], exclude_tgt=[3], n=200, cutoff=600)
    assert len(aug) == 200
    assert not np.isin(aug[:, 0], [0, 5, 1, 2]).any() and not np.isin(aug[:, 1], [0, 5, 3]).any()
    assert np.mean(aug[:, 0] == aug[:, 1]) > 0.95      # the true rotation: the confident pairs are right
    assert len(np.unique(aug, axis=0)) == len(aug)


@pytest.fixture(scope="module")
def finished_run():
    src, tgt, gold = synthetic_pair(load_embeddings("en", max_vocab=N), noise=0.5, drop=0.1, random_state=1)
    rng = np.random.default_rng(0)
    words = [gold[i][0] for i in rng.choice(len(gold), 200, replace=False)]
    seed = np.array([(src.index[w], tgt.index[w]) for w in words], np.int64)
    run = SelfLearning(src, tgt, seed, AlignConfig.preset("supervised", cutoff=N, max_iter=5))
    run.run_until_converged()
    run.select()
    return run, gold


def test_selection_never_keeps_an_overtrained_refinement(finished_run):
    run, gold = finished_run
    start = run.final
    p_start = run.evaluate(gold, start).p_at_1
    # over-training: a huge step size wrecks the maps within a round
    cfg = RefinementConfig(rounds=2, steps=30, lr=0.5, negative_vocab=N, cutoff=N, n_augment=500)
    res = run.refine(cfg)
    assert all(r.score < res.rounds[0].score for r in res.rounds[1:]), [r.score for r in res.rounds]
    assert all(run.evaluate(gold, r.mapping).p_at_1 < p_start for r in res.rounds[1:])
    assert res.kept_round == 0 and run.final is start and res.mapping is start
    assert run.evaluate(gold, run.final).p_at_1 == p_start
    assert "start mapping" in res.reason and res.criterion.startswith("identical strings held out")


def test_config_is_checked():
    with pytest.raises(ConfigError, match="optimizer"):
        RefinementConfig(optimizer="lbfgs")
    with pytest.raises(ConfigError, match="n_negatives"):
        RefinementConfig(n_negatives=0)
    with pytest.raises(ConfigError, match="positive"):
        RefinementConfig(temperature=0)


def test_sgd_with_clipped_steps_lowers_the_loss(rotated):
    X, Z, R = rotated
    rng = np.random.default_rng(4)
    W0, _ = canonical_polar(R + rng.normal(0, 0.08, R.shape))
    pairs = np.stack([np.arange(200), np.arange(200)], axis=1)
    cfg = RefinementConfig(steps=25, batch_size=200, n_negatives=8, negative_vocab=800, refresh=1000,
                           optimizer="sgd", lr=1.5, clip=0.15, temperature=1.0)
    _, _, losses, _ = train_round(X, Z, W0, np.eye(Z.shape[1]), pairs, cfg, np.random.default_rng(0))
    assert losses[-1] < losses[0]



def test_the_keep_rule_and_its_margin_replay():
    """The engine keeps the round kept_round picks (the rule bench.tune_refinement replays with margins)."""
    from core.refinement import RefinementRound, _keep, kept_round

    for scores, want in (([0.3, 0.4, 0.35], 1), ([0.3, 0.3, 0.29], 0), ([0.2, 0.25, 0.27], 2),
                         ([0.5, 0.4, 0.5], 0), ([0.1, 0.1, 0.2], 2)):
        rounds = [RefinementRound(round=i, mapping=None, n_pairs=0, n_augmented=0, score=s)
                  for i, s in enumerate(scores)]
        assert kept_round(scores) == _keep(rounds, True)[0] == want, scores
    assert kept_round([0.30, 0.305, 0.32], 0.01) == 2 and kept_round([0.30, 0.305], 0.01) == 0
