"""Gold-free model selection: never keep a mapping worse than the seed's own on a run built to over-train."""

import numpy as np
import pytest

from core.errors import ConfigError
from core.io import Embeddings, load_embeddings
from core.selection import (identical_strings_criterion, mean_csls_criterion, pick, select_mapping)
from core.selflearning import AlignConfig, SelfLearning
from core.synthetic import synthetic_pair

N = 2000


@pytest.fixture(scope="module")
def overtrained():
    """A noisy rotated copy (noise at the coordinate scale, 60% of the target words dropped) with a clean
    300-pair seed: forward nearest-neighbour induction must give every source word a target, and most
    have none, so every iteration trades clean pairs for wrong ones and P@1 drifts down."""
    src, tgt, gold = synthetic_pair(load_embeddings("en", max_vocab=N), noise=1.0, drop=0.6, random_state=1)
    # like a real pair: a third of the words keep their spelling (names, numbers), the rest are renamed
    rng = np.random.default_rng(0)
    same = set(rng.choice(len(tgt), len(tgt) // 3, replace=False).tolist())
    tgt = Embeddings(tuple(w if i in same else "t_" + w for i, w in enumerate(tgt.words)), tgt.vectors)
    gold = [(s, t if t in tgt.index else "t_" + t) for s, t in gold]
    renamed = [i for i, (s, t) in enumerate(gold) if s != t]
    order = rng.permutation(renamed)
    seed = np.array([(src.index[gold[i][0]], tgt.index[gold[i][1]]) for i in order[:300]], np.int64)
    test = [gold[i] for i in range(len(gold)) if i not in set(order[:300].tolist())]
    config = AlignConfig(cutoff=N, retrieval="nn", direction="forward", stochastic_initial=1.0, max_iter=4,
                         collapse_patience=0)
    run = SelfLearning(src, tgt, seed, config)
    run.run_until_converged()
    return run, test


def _p1(run, mapping, test):
    return run.evaluate(test, mapping, "csls").p_at_1


def test_selection_never_ends_below_the_seed(overtrained):
    run, test = overtrained
    seed_final = run._fit("multistep", run.history[0].src_idx, run.history[0].tgt_idx)
    seed_loop = run.history[0].mapping
    last_final = run.finalize()
    seed_best = max(_p1(run, seed_final, test), _p1(run, seed_loop, test))
    # the case does over-train: the last iteration ends well below the seed's own mapping
    assert _p1(run, last_final, test) < seed_best - 0.02
    selection = run.select()
    assert selection.criterion == "identical"
    assert _p1(run, selection.mapping, test) >= seed_best
    assert run.final is selection.mapping and run.selection is selection
    # every iteration is a candidate, twice (loop and final mapping), scored by both criteria
    assert sorted({c.iteration for c in selection.candidates}) == list(range(run.current.iteration + 1))
    assert all(set(c.scores) == {"identical"} for c in selection.candidates)
    assert f"iteration {selection.iteration}" in selection.reason or "seed's own" in selection.reason
    summary = selection.as_dict()
    assert summary["iteration"] == selection.iteration and len(summary["candidates"]) == len(selection.candidates)


def test_mean_csls_criterion_prefers_the_true_alignment():
    src, tgt, _ = synthetic_pair(load_embeddings("fr", max_vocab=800), noise=0.1, rotation=False, random_state=0)
    X = src.vectors / np.linalg.norm(src.vectors, axis=1, keepdims=True)
    Z = tgt.vectors / np.linalg.norm(tgt.vectors, axis=1, keepdims=True)
    Q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((X.shape[1], X.shape[1])))
    assert mean_csls_criterion(X, Z) > mean_csls_criterion(X @ Q.astype(np.float32), Z) + 0.2
    # identical strings: the unrotated copy finds (nearly) every twin, a random rotation almost none
    rows = np.arange(0, 800, 4)
    assert identical_strings_criterion(X[rows], Z, rows) > 0.9
    assert identical_strings_criterion(X[rows] @ Q.astype(np.float32), Z, rows) < 0.05


def test_auto_judges_an_identical_seed_by_mean_csls(overtrained):
    run, _ = overtrained
    shared = np.array([(run.src.index[w], run.tgt.index[w]) for w in run.src.words if w in run.tgt.index])
    other = SelfLearning(run.src, run.tgt, shared, run.config)
    other.step()
    selection = select_mapping(other, criterion="auto", max_candidates=2, final=False)
    assert selection.criterion == "mean_csls" and "100% of the seed pairs are identical strings" in selection.reason
    assert pick(selection.candidates, "mean_csls") is selection.kept
    assert select_mapping(other, criterion="identical", max_candidates=2, final=False).criterion == "identical"
    with pytest.raises(ConfigError, match="unknown selection criterion"):
        select_mapping(other, criterion="gold")
