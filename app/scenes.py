"""Compute the numbers behind each lesson (``app/lessons.py``) from the bundled data.

Orchestration only: every number comes from ``core``. Results are plain JSON-able dicts, so the same
result can be computed live (and cached once per server by the Lessons page) or read from the
precomputed file ``app/lesson_results.json`` that ``scripts/build_lessons.py`` writes for the scenes
so that every chart appears at once, even on a busy server (the adversarial game alone takes 1-2 minutes,
the unsupervised reference about one; the cheap scenes still take 10+ s cold on a loaded 2-core machine).
No streamlit here: the build script and the tests import this module directly.
"""

from __future__ import annotations

import json
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from app.lessons import Scene
from core import io as cio
from core.errors import ConfigError
from core.evaluate import difference_se

RESULTS_FILE = Path(__file__).with_name("lesson_results.json")
# Bump when a scene function changes what it returns: precomputed results of another format are not used.
FORMAT = 2

# Concrete, frequent-enough content words for the projection lesson (numbers, everyday nouns, technical
# nouns for the Debian-documentation spaces); the scene keeps those in the test dictionary and both vocabularies.
CONTENT_WORDS = (
    "one two three four five six seven eight nine ten hundred thousand million "
    "water fire house city country car road river sea mountain tree book money music school "
    "child woman man father mother friend king war food wine bread dog cat horse fish bird "
    "red black white green blue head hand eye heart day night year week morning summer winter "
    "file directory package server user network disk memory keyboard screen printer window password "
    "kernel version system command program computer language mail message"
).split()


# --------------------------------------------------------------------------------------------------
# data


@lru_cache(maxsize=8)
def space(short: str, max_vocab: int):
    """A bundled space (read-only: shared by every scene in the process)."""
    emb = cio.load_embeddings(short, max_vocab=max_vocab)
    emb.vectors.flags.writeable = False
    return emb


@lru_cache(maxsize=16)
def dictionary(pair: str, split: str) -> tuple:
    return tuple(cio.load_bundled_dictionary(pair, split))


def _pair(pair: str, max_vocab: int):
    s, t = pair.split("-")
    return space(s, max_vocab), space(t, max_vocab), list(dictionary(pair, "train")), list(dictionary(pair, "test"))


def _normalised(emb, steps=("unit", "center", "unit")):
    from core.normalize import normalize

    return emb.with_vectors(normalize(emb.vectors, steps))


def _supervised_learner(pair: str, max_vocab: int):
    """Procrustes on the whole training dictionary (record 0 of the supervised preset) with gold BLI."""
    from core.seeds import dictionary_seed
    from core.selflearning import AlignConfig, SelfLearning

    src, tgt, train, test = _pair(pair, max_vocab)
    cfg = AlignConfig.preset("supervised")
    seed = dictionary_seed(_normalised(src, cfg.normalize), _normalised(tgt, cfg.normalize), train)
    return SelfLearning(src, tgt, seed.pairs, cfg, gold_test=test), src, tgt, train, test


# --------------------------------------------------------------------------------------------------
# one function per scene


def framework(scene: Scene) -> dict:
    """F2 needs no computation: the diagram is drawn from the run's settings."""
    return {"scene": scene.id}


def content_pairs(src, tgt, test, n_words: int) -> list[tuple[str, str]]:
    """Up to ``n_words`` held-out (test-dictionary) pairs of content words present in both spaces.

    The curated CONTENT_WORDS first, in their order; if too few exist, test pairs of alphabetic words of
    4+ letters ranked 300-5,000 (past the function words at the top of the frequency list)."""
    gold: dict[str, list[str]] = {}
    for s, t in test:
        if s in src.index and t in tgt.index:
            gold.setdefault(s, []).append(t)
    best = {s: min(ts, key=lambda t: tgt.index[t]) for s, ts in gold.items()}   # most frequent translation
    chosen = [(w, best[w]) for w in CONTENT_WORDS if w in best]
    if len(chosen) < n_words:
        extra = sorted((s for s in best if s.isalpha() and len(s) >= 4 and 300 <= src.index[s] < 5000
                        and s not in dict(chosen)), key=lambda s: src.index[s])
        chosen += [(s, best[s]) for s in extra[:n_words - len(chosen)]]
    # one target word per source word and vice versa, so links do not fan out
    seen, out = set(), []
    for s, t in chosen:
        if t not in seen:
            seen.add(t)
            out.append((s, t))
    return out[:n_words]


def projection(scene: Scene) -> dict:
    """F3: joint PCA of content words before and after the supervised map, plus mixing numbers."""
    from core.evaluate import cross_language_mixing, pair_cosines, translation_is_nearest
    from core.projection import project_2d

    p = scene.params
    learner, src, tgt, train, test = _supervised_learner(scene.pair, scene.max_vocab)
    words = content_pairs(src, tgt, test, int(p["n_words"]))
    si = np.array([src.index[s] for s, _ in words])
    ti = np.array([tgt.index[t] for _, t in words])
    Xn, Zn = learner.src.vectors[si], learner.tgt.vectors[ti]          # normalised, unmapped
    Xm_emb, Zm_emb = learner.mapped(0)
    Xm, Zm = Xm_emb.vectors[si], Zm_emb.vectors[ti]
    same_dim = Xn.shape[1] == Zn.shape[1]
    if same_dim:
        before = project_2d(np.vstack([Xn, Zn]), p["method"], random_state=0)
    else:  # no shared space at all: each language's own PCA, side by side
        a, b = project_2d(Xn, p["method"], random_state=0), project_2d(Zn, p["method"], random_state=0)
        a = a / (np.abs(a).max() or 1.0)
        b = b / (np.abs(b).max() or 1.0)
        before = np.vstack([a - [1.3, 0], b + [1.3, 0]])
    after = project_2d(np.vstack([Xm, Zm]), p["method"], random_state=0)
    # within the chosen words: is each source word's nearest target word its translation?
    hits_after = translation_is_nearest(Xm, Zm).tolist()
    bli = learner.history[0].bli
    return {
        "words": words, "same_dim": same_dim,
        "before": before.tolist(), "after": after.tolist(),
        "hits_after": hits_after,
        "mixing_before": cross_language_mixing(Xn, Zn) if same_dim else 0.0,
        "mixing_after": cross_language_mixing(Xm, Zm),
        "cos_before": float(pair_cosines(Xn, Zn).mean()) if same_dim else None,
        "cos_after": float(pair_cosines(Xm, Zm).mean()),
        "p1_csls": bli["csls"].p_at_1, "p1_nn": bli["nn"].p_at_1, "n_train": len(learner.seed_pairs),
    }


def self_learning(scene: Scene) -> dict:
    """F4: a run from N random pairs, every iteration's numbers and a few probe words' translations."""
    from core.evaluate import mark_pairs, pair_precision
    from core.seeds import random_seed
    from core.selflearning import AlignConfig, SelfLearning

    p = scene.params
    src, tgt, train, test = _pair(scene.pair, scene.max_vocab)
    cfg = AlignConfig(retrieval=p["retrieval"], direction=p["direction"], cutoff=int(p["cutoff"]),
                      stochastic_initial=float(p["keep_prob"]), max_iter=int(p["max_iter"]), random_state=0)
    seed = random_seed(_normalised(src, cfg.normalize), _normalised(tgt, cfg.normalize), train, n=int(p["n"]),
                       random_state=0)
    learner = SelfLearning(src, tgt, seed.pairs, cfg, gold_test=test)
    while len(learner.history) <= cfg.max_iter and not learner.current.converged:
        learner.step()
    gold = train + test
    probes = [w for w, _ in content_pairs(src, tgt, test, 40)][:6]
    rows, examples = [], []
    for rec in learner.history:
        per_word = {w.src: w for w in rec.bli["csls"].per_word}
        rows.append({"iteration": rec.iteration, "p1_nn": rec.bli["nn"].p_at_1, "p1_csls": rec.bli["csls"].p_at_1,
                     "size": int(rec.dictionary_size), "objective": float(rec.objective),
                     "shared": None if rec.shared_agreement != rec.shared_agreement else float(rec.shared_agreement),
                     "dict_precision": pair_precision(mark_pairs(rec.src_idx, rec.tgt_idx, src, tgt, gold)),
                     "seconds": float(sum(rec.seconds.values()))})
        examples.append([(w, per_word[w].predictions[0], per_word[w].gold_rank == 1) for w in probes
                         if w in per_word])
    # the test words every P@1 of the run is scored on (the standard error of a difference needs it)
    return {"rows": rows, "examples": examples, "n_test": int(learner.history[0].bli["csls"].n)}


def _game(src, tgt, gold, test, p: dict) -> dict:
    """One adversarial game (Conneau et al. 2018) and the quality of its seed against ``gold``."""
    from core.evaluate import mark_pairs, pair_precision
    from core.seeds import adversarial_seed
    from core.selflearning import AlignConfig, SelfLearning

    cfg = AlignConfig(cutoff=min(20000, len(src), len(tgt)))
    t0 = time.perf_counter()
    seed = adversarial_seed(_normalised(src, cfg.normalize), _normalised(tgt, cfg.normalize),
                            n_epochs=int(p["n_epochs"]), epoch_size=int(p["epoch_size"]),
                            random_state=int(p["random_state"]))
    seconds = time.perf_counter() - t0
    marks = mark_pairs(seed.src, seed.tgt, src, tgt, gold)
    info = seed.info
    rec0 = SelfLearning(src, tgt, seed.pairs, cfg, gold_test=test).history[0] if len(seed) >= 2 else None
    return {"gen_loss": list(map(float, info.get("gen_loss", []))),
            "disc_loss": list(map(float, info.get("disc_loss", []))),
            "disc_accuracy": list(map(float, info.get("disc_accuracy", []))),
            "selection": list(map(float, info.get("selection", []))),
            "seed_size": int(len(seed)), "seed_precision": pair_precision(marks),
            "seed_known": int((marks >= 0).sum()),
            "seed_examples": [(s, t, int(m)) for (s, t), m in zip(seed.words(src, tgt)[:12], marks[:12])],
            "p1_csls": None if rec0 is None else rec0.bli["csls"].p_at_1, "seconds": seconds}


def adversarial(scene: Scene) -> dict:
    """F6: the game on the scene's pair, and on a rotated, noised copy (isomorphic) as a reference."""
    from core.synthetic import synthetic_pair

    p = scene.params
    src, tgt, train, test = _pair(scene.pair, scene.max_vocab)
    out = _game(src, tgt, train + test, test, p)
    for name in scene.extra_pairs:
        base = space(name.split(":")[1], scene.max_vocab)
        s, t, gold = synthetic_pair(base, noise=0.05, rotation=True, random_state=0)
        gold = list(gold)
        out["reference"] = {"label": f"rotated copy of {base.name}", **_game(s, t, gold, gold[::10], p)}
    return out


def _distribution_panel(pair: str, words, n: int, max_vocab: int) -> dict:
    """Second-order signatures and sorted cosine curves of three words of one pair, and how typical they are.

    Each curve is a word's cosine to the ``n`` most frequent words of its own language, sorted, *without the
    word itself* (its cosine 1 would start every curve); the signatures are Artetxe et al.'s (2018, ACL)."""
    from core.similarity import (distribution_rank, distribution_similarity, second_order_signatures,
                                 top_profile, translation_win_rate)

    src, tgt, train, test = _pair(pair, max_vocab)
    sides = {"src": _normalised(src), "tgt": _normalised(tgt)}
    sigs = {k: second_order_signatures(v.vectors, n) for k, v in sides.items()}
    curves, labels, rows = [], [], []
    for word, side in words:
        emb = sides[side]
        if word not in emb.index:
            raise ConfigError(f"lesson F7: '{word}' is not among the {len(emb):,} words of {emb.name}")
        r = emb.index[word]
        labels.append(f"{word} ({emb.name})")
        # a word beyond the n most frequent (the survey's cane) gets the signature it would have among them
        rows.append(sigs[side][r] if r < n else second_order_signatures(emb.vectors, n, rows=[r])[0])
        curves.append(top_profile(emb.vectors, r, n).tolist())
    sims = {"translation": distribution_similarity(rows[0], rows[1]),
            "unrelated": distribution_similarity(rows[0], rows[2])}
    side1 = words[1][1]
    rank = distribution_rank(rows[0], sigs[side1], sides[side1].index[words[1][0]])
    idx = [(src.index[s], tgt.index[t]) for s, t in test
           if s in src.index and t in tgt.index and src.index[s] < n and tgt.index[t] < n]
    rate, n_pairs = translation_win_rate(sigs["src"], sigs["tgt"], idx, random_state=0)
    # a few hundred ranks, evenly spaced on the chart's log axis (not every n-th rank: the start matters)
    ranks = np.unique(np.geomspace(1, n - 1, 300).astype(int))
    return {"pair": pair, "words": [w for w, _ in words], "labels": labels,
            "signatures": [np.asarray(r)[ranks - 1].tolist() for r in rows],
            "curves": [np.asarray(c)[ranks - 1].tolist() for c in curves], "ranks": ranks.tolist(),
            "second_order": sims, "win_rate": rate, "win_n": n_pairs, "translation_rank": rank, "n": n}


def distributions(scene: Scene) -> dict:
    """F7: the survey's "two / due / cane" figure on a pair trained alike, and the same words on a pair
    trained differently (the failure it is shown beside)."""
    p = scene.params
    n = int(p["n"])
    panels = [_distribution_panel(scene.pair, p["words"], n, scene.max_vocab)]
    for pair, words in p.get("contrast", ()):
        panels.append(_distribution_panel(pair, words, n, scene.max_vocab))
    return {"panels": panels, "n": n}


def seed_size_curve(src, tgt, train, test, sizes, config, self_learning: bool = False, retrieval: str = "csls",
                    random_state: int = 0, callback=None) -> list[dict]:
    """BLI P@1 of the map learned from N random training pairs, for each N (Vulić et al. 2019's seed-size curve).

    One function for the F8 lesson and the Analysis page. For each N: :func:`core.seeds.random_seed` draws
    N pairs of ``train`` (in both vocabularies), :class:`core.selflearning.SelfLearning` fits the map on
    them (record 0: *without* self-learning) and, if ``self_learning``, runs the loop with ``config`` until it
    converges (*with* self-learning). Sizes above the usable training pairs are skipped (the caller says so).

    Returns
    -------
    list of dict
        ``{"n", "p1" (without self-learning), "p1_sl" (with, or None), "iterations"}`` per size.
    """
    from core.seeds import random_seed
    from core.selflearning import SelfLearning

    Sn, Tn = _normalised(src, config.normalize), _normalised(tgt, config.normalize)
    available = len(cio.pairs_to_indices(train, src, tgt))
    out = []
    for k, n in enumerate(s for s in sizes if s <= available):
        seed = random_seed(Sn, Tn, train, n=int(n), random_state=random_state)
        learner = SelfLearning(src, tgt, seed.pairs, config, gold_test=test)
        row = {"n": int(n), "p1": learner.history[0].bli[retrieval].p_at_1, "p1_sl": None, "iterations": 0}
        if self_learning:
            last = learner.run_until_converged()
            row.update(p1_sl=last.bli[retrieval].p_at_1, iterations=int(last.iteration))
        out.append(row)
        if callback is not None:
            callback(k, int(n))
    return out


def usable_pairs(pair: str, max_vocab: int) -> int:
    """Training pairs whose words are both in the vocabularies: the largest seed a scene can draw."""
    src, tgt, train, _ = _pair(pair, max_vocab)
    return len(cio.pairs_to_indices(train, src, tgt))


def seed_sizes(scene: Scene) -> dict:
    """F8: P@1 against seed size N without and with self-learning, and a fully unsupervised run, all on the
    same pair with the same self-learning schedule (only the seed differs).

    The schedule is ``AlignConfig.preset(p["schedule"])`` (VecMap's stochastic self-learning); the
    unsupervised run starts from the second-order seed (Artetxe et al. 2018) with that same config, so the
    comparison is like for like. If the training dictionary holds fewer pairs than a requested N, the
    scene uses all of them as the last point and lists the sizes it could not draw."""
    from core.selflearning import AlignConfig, SelfLearning, unsupervised_start

    p = scene.params
    src, tgt, train, test = _pair(scene.pair, scene.max_vocab)
    cfg = AlignConfig.preset(p["schedule"])
    available = usable_pairs(scene.pair, scene.max_vocab)
    sizes = [int(n) for n in p["sizes"] if n <= available]
    dropped = [int(n) for n in p["sizes"] if n > available]
    if dropped and available not in sizes:
        sizes.append(available)
    t0 = time.perf_counter()
    rows = seed_size_curve(src, tgt, train, test, sizes, cfg, self_learning=True,
                           random_state=int(p["random_state"]))
    sup_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    useed, ucfg = unsupervised_start(src, tgt, cfg)
    last = SelfLearning(src, tgt, useed.pairs, ucfg, gold_test=test).run_until_converged()
    return {"rows": rows, "available": available, "dropped": dropped, "schedule": p["schedule"],
            "unsupervised": last.bli["csls"].p_at_1, "unsup_iterations": last.iteration,
            "unsup_collapse": last.collapse, "unsup_seconds": time.perf_counter() - t0,
            "sup_seconds": sup_seconds, "n_test": int(last.bli["csls"].n)}


# The four isomorphism measures (core.isomorphism), each with the direction in which spaces are more alike,
# the value of two isomorphic spaces, and what it measures in one plain sentence.
ISO_MEASURES = (
    ("relational_similarity", "higher", 1.0,
     "Relational similarity: do translation pairs have the same cosines to each other in both languages? "
     "(1 = the same)"),
    ("neighbourhood_overlap", "higher", 1.0,
     "Neighbourhood overlap: what share of a word's 10 nearest neighbours, translated, are its translation's "
     "neighbours? (1 = all)"),
    ("singular_value_gap", "lower", 0.0,
     "Singular value gap: how different are the two spaces' spectra, the spread of their vectors along "
     "their main directions? (0 = the same)"),
    ("eigenvector_similarity", "lower", 0.0,
     "Eigenvector similarity: how different are the shapes of the two nearest-neighbour graphs? "
     "(0 = the same graph)"),
)


# A working alignment translates 18-41% of the test words on the bundled pairs, a failed one 0-2% (README);
# the engine's no-gold collapse check does not catch every failure (en-fr at 10,000 words: 1.5%, not flagged).
WORKS_P1 = 0.05


def unsup_works(outcome: dict) -> bool:
    """Whether a fully unsupervised run worked: not flagged as a collapse *and* P@1 on the test split of at
    least ``WORKS_P1``."""
    return outcome.get("collapse") is None and outcome["p1"] >= WORKS_P1


def unsupervised_outcome(pair: str, max_vocab: int) -> dict:
    """What ``clwe align --init unsupervised`` gives on a bundled pair: P@1 on the test split and whether the
    engine itself (no gold dictionary) judged the run a failure."""
    from core.selflearning import AlignConfig, SelfLearning, unsupervised_start

    src, tgt, _, test = _pair(pair, max_vocab)
    t0 = time.perf_counter()
    cfg = AlignConfig.preset("unsupervised", cutoff=min(AlignConfig.preset("unsupervised").cutoff,
                                                        max(len(src), len(tgt))))
    seed, cfg = unsupervised_start(src, tgt, cfg)
    last = SelfLearning(src, tgt, seed.pairs, cfg, gold_test=test).run_until_converged()
    out = {"p1": last.bli["csls"].p_at_1, "collapse": last.collapse, "iterations": int(last.iteration),
           "seconds": time.perf_counter() - t0}
    return {**out, "works": unsup_works(out)}


def predictors(reports: dict, outcomes: dict) -> dict:
    """For each measure: does it separate the pairs where unsupervised mapping works from those where it
    fails (every working pair on the more isomorphic side of every failing one)?"""
    out = {}
    for key, better, _, _ in ISO_MEASURES:
        works = [reports[p][key] for p, o in outcomes.items() if unsup_works(o)]
        fails = [reports[p][key] for p, o in outcomes.items() if not unsup_works(o)]
        if not works or not fails:
            out[key] = None
        elif better == "higher":
            out[key] = min(works) > max(fails)
        else:
            out[key] = max(works) < min(fails)
    return out


def isomorphism(scene: Scene) -> dict:
    """F9: the four isomorphism measures on a rotated copy (isomorphic by construction) and on real pairs,
    next to whether fully unsupervised mapping works on each real pair, and which measure predicts it."""
    from core import isomorphism as iso
    from core.synthetic import synthetic_pair

    p = scene.params
    reports, kinds, outcomes = {}, {}, {}
    for name in scene.extra_pairs + (scene.pair,) + tuple(p.get("more_pairs", ())):
        if name.startswith("synthetic:"):
            base = space(name.split(":")[1], scene.max_vocab)
            s, t, gold = synthetic_pair(base, noise=0.05, rotation=True, random_state=0)
            label = f"rotated copy of {base.name} (isomorphic)"
            kinds[label] = "isomorphic"
        else:
            s, t, train, test = _pair(name, scene.max_vocab)
            gold = train + test
            label = name
            kinds[label] = "same algorithm" if s.dim == t.dim and name.startswith("doc_") else "trained differently"
            outcomes[label] = unsupervised_outcome(name, scene.max_vocab)
        report = iso.isomorphism_report(_normalised(s), _normalised(t), list(gold), n=int(p["n"]), k=int(p["k"]))
        reports[label] = {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in report.items()}
    return {"reports": reports, "kinds": kinds, "outcomes": outcomes,
            "predicts": predictors(reports, outcomes)}


def frequency_bands(scene: Scene) -> dict:
    """F12: P@1 of the supervised mapping by source frequency band, with the gold translations per word."""
    from core.evaluate import evaluate_bli

    p = scene.params
    learner, src, tgt, train, test = _supervised_learner(scene.pair, scene.max_vocab)
    Xm, Zm = learner.mapped(0)
    res = evaluate_bli(Xm, Zm, test, retrieval="csls", bands=list(p["bands"]))
    n_gold: dict[str, int] = {}
    for s, _ in test:
        n_gold[s] = n_gold.get(s, 0) + 1
    bands = []
    for b in res.by_band:
        words = [w for w in res.per_word if b.lo <= src.index[w.src] < b.hi]
        bands.append({"lo": b.lo, "hi": b.hi, "n": b.n, "p1": b.p_at_1,
                      "p10": float(np.mean([w.gold_rank <= 10 for w in words])) if words else float("nan"),
                      "translations": float(np.mean([n_gold[w.src] for w in words])) if words else float("nan")})
    return {"bands": [b for b in bands if b["n"] > 0], "p1": res.p_at_1}


COMPUTE = {"diagram": framework, "projection": projection, "curves": self_learning, "losses": adversarial,
           "distributions": distributions, "seed_size": seed_sizes, "isomorphism": isomorphism,
           "bands": frequency_bands}


# --------------------------------------------------------------------------------------------------
# precomputed results


def _rounded(obj):
    """Floats to 6 significant digits (a smaller file; charts and claims need far less)."""
    if isinstance(obj, float):
        return float(f"{obj:.6g}")
    if isinstance(obj, (list, tuple)):
        return [_rounded(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return obj


def _jsonable(obj):
    return _rounded(json.loads(json.dumps(obj, default=float)))


def load_precomputed(path: Path = RESULTS_FILE) -> dict:
    """{scene key: result} from the precomputed file (empty if there is none)."""
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def compute(scene: Scene) -> dict:
    """The scene's result, computed now (JSON-able)."""
    return _jsonable(COMPUTE[scene.view](scene))


def result(scene: Scene, precomputed: dict | None = None) -> dict:
    """The precomputed result when it was built for exactly this scene's settings, else computed now."""
    pre = load_precomputed() if precomputed is None else precomputed
    return pre[stored_key(scene)] if stored_key(scene) in pre else compute(scene)


def stored_key(scene: Scene) -> str:
    """The scene's key in the precomputed file: its settings and the result format."""
    return f"{FORMAT}|{scene.key}"


# --------------------------------------------------------------------------------------------------
# does the data show what the survey says?


def _k(n: int) -> str:
    return f"{n / 1000:g}k" if n >= 1000 else str(n)


def _pct(x) -> str:
    return "–" if x is None or x != x else f"{x:.1%}"


def _nums(xs) -> str:
    return ", ".join(f"{n:,} → {_pct(p)}" for n, p in xs)


# Each rule takes the numbers a chart was drawn from and returns (holds, sentence). "Holds" only when the
# measured comparison goes the survey's way; tests/test_lesson_rules.py checks both outcomes of each.
# A sentence may end with MORE and the numbers behind it: the page shows the part before MORE in the
# verdict box (it must fit above the fold on a projector) and the rest beside it.
MORE = "\n\n"

# The house rule: no text interprets a difference smaller than its spread. Two accuracies differ only when
# they are more than TIE_SE standard errors of the difference apart (about a 95% interval).
TIE_SE = 2.0


def beats(p: float, q: float, n: int, m: int | None = None) -> bool:
    """``p`` is above ``q`` by more than ``TIE_SE`` standard errors of the difference."""
    return p - q > TIE_SE * difference_se(p, q, n, m)


def tied(p: float, q: float, n: int, m: int | None = None) -> bool:
    """Neither accuracy beats the other (within ``TIE_SE`` standard errors of the difference)."""
    return not beats(p, q, n, m) and not beats(q, p, m if m is not None else n, n)


def _pts(x: float) -> str:
    """A difference of accuracies in percentage points, one decimal."""
    return f"{100 * x:.1f}"


def rule_projection(n_hits: int, n: int, mixing_before: float, mixing_after: float) -> tuple[bool, str]:
    """F3: most chosen words have their translation nearest, and the share of words whose nearest word is in
    the other language (over the 2n words drawn) rises by more than ``TIE_SE`` standard errors."""
    ok = beats(mixing_after, mixing_before, 2 * n) and n_hits > n / 2
    return ok, (f"After mapping, {n_hits} of {n} words have their translation as nearest word of the other "
                f"language." + MORE + f"The share of words whose nearest word is in the other language goes "
                f"from {_pct(mixing_before)} to {_pct(mixing_after)} (over {2 * n} words; one standard error "
                f"of the difference: {_pts(difference_se(mixing_after, mixing_before, 2 * n))} points).")


def rule_self_learning(rows: list[dict], n_test: int) -> tuple[bool, str]:
    """F4: P@1 rises over the seed's mapping by more than ``TIE_SE`` standard errors (every P@1 is over the
    ``n_test`` test words); the dictionary's sizes as the chart draws them."""
    first, last = rows[0], rows[-1]
    best = max(rows, key=lambda r: r["p1_csls"])       # first of equals, as the chart's star
    ok = beats(best["p1_csls"], first["p1_csls"], n_test)
    se = difference_se(best["p1_csls"], first["p1_csls"], n_test)
    peak = max(rows, key=lambda r: r["size"])
    if peak["size"] > last["size"] and peak["size"] > first["size"]:
        sizes = (f"grows to {peak['size']:,} at iteration {peak['iteration']}, then shrinks to {last['size']:,} "
                 f"at iteration {last['iteration']}")
    else:
        trend = ("grows to" if last["size"] > first["size"] else "shrinks to" if last["size"] < first["size"]
                 else "stays at")
        sizes = f"{trend} {last['size']:,} at iteration {last['iteration']}"
    gain = ("" if ok else f" No real gain: within {TIE_SE:g} standard errors ({_pts(se)} points each).")
    return ok, (f"P@1 {_pct(first['p1_csls'])} with the seed alone, {_pct(best['p1_csls'])} at its best "
                f"(iteration {best['iteration']}), {_pct(last['p1_csls'])} at iteration {last['iteration']}."
                + gain + MORE + f"The dictionary has {first['size']:,} pairs at the seed and {sizes}. Each P@1 is "
                f"over {n_test:,} test words: one standard error of a difference is about {_pts(se)} points.")


# MUSE's adversarial budget (Conneau et al. 2018, ICLR: discriminator 2 x 2,048 units, 5 epochs of 1,000,000
# samples) against the lab's (core.seeds.adversarial_seed: 2 x 256 units, by default 3 epochs of 32,000).
MUSE_HIDDEN, MUSE_EPOCHS, MUSE_EPOCH_SIZE = 2048, 5, 1_000_000


def adversarial_budget(n_epochs: int, epoch_size: int, hidden: int = 256) -> str:
    """One sentence: how much smaller the lab's game is than MUSE's (issue 18, item 5)."""
    share = n_epochs * epoch_size / (MUSE_EPOCHS * MUSE_EPOCH_SIZE)
    return (f"The game here is far smaller than MUSE's: a discriminator of {hidden} hidden units per layer and "
            f"{n_epochs} × {epoch_size:,} samples, where MUSE trains {MUSE_HIDDEN:,} units on {MUSE_EPOCHS} × "
            f"{MUSE_EPOCH_SIZE:,} ({share:.1%} of its samples), so a failure here does not show that the game fails "
            "at MUSE's budget.")


def rule_adversarial(seed_size: int, seed_precision: float, p1_csls, ref=None, budget=None) -> tuple[bool, str]:
    """``budget``: (epochs, samples per epoch) of the game, said when the seed failed."""
    ok = (seed_precision == seed_precision) and seed_precision >= 0.2
    tail = (f" The same game on the {ref['label']}: {_pct(ref['seed_precision'])} of its seed pairs correct."
            if ref else "")
    if not ok and budget:
        tail += " " + adversarial_budget(*budget)
    return ok, (f"The game's seed has {seed_size:,} pairs; {_pct(seed_precision)} of those the gold "
                f"dictionary knows are correct." + MORE + f"A map fitted on it translates {_pct(p1_csls)} of the "
                f"test words." + tail)


# The translation must also stand out among all candidates, not only beat one unrelated word: among the
# top tenth by second-order similarity (the unsupervised seed keeps a word's best candidates).
TOP_SHARE = 0.10


def panel_works(panel: dict) -> bool:
    """F7 on one pair: the translation's curve is closer than the unrelated word's, and the translation ranks
    among the top tenth of all frequent words by similarity of curves."""
    s = panel["second_order"]
    return s["translation"] > s["unrelated"] and panel["translation_rank"] <= TOP_SHARE * panel["n"]


def _rank(panel: dict) -> str:
    return (f"{panel['labels'][1]} ranks {panel['translation_rank']:,} of {panel['n']:,} by similarity to "
            f"{panel['labels'][0]} (top {panel['translation_rank'] / panel['n']:.0%})")


def contrast_sentence(panel: dict) -> str:
    """F7's failure panel, said to be one when the translation does not stand out."""
    s, (a, b, c) = panel["second_order"], panel["labels"]
    return (f"On {panel['pair']} (spaces trained differently): {a} with {b} {s['translation']:.2f}, with {c} "
            f"{s['unrelated']:.2f}; {_rank(panel)}: "
            + ("the translation stands out here too." if panel_works(panel) else
               "**a failure**: the translation's curve does not stand out."))


def rule_distributions(panel: dict) -> tuple[bool, str]:
    s, (a, b, c) = panel["second_order"], panel["labels"]
    return panel_works(panel), (
        f"Second-order similarity of {a} with {b}: {s['translation']:.2f}, with {c}: {s['unrelated']:.2f}."
        + MORE + f"And {_rank(panel)}.")


def rule_seed_size(rows: list[dict], unsupervised: float, n_test: int, unsup_collapse=None, dropped=(),
                   available=None) -> tuple[bool, str]:
    """F8, like for like: N seed pairs *with* self-learning against the unsupervised run (which self-learns
    the same way), every P@1 over the same ``n_test`` test words. Holds when 500-1,000 pairs with
    self-learning beat the unsupervised run by more than ``TIE_SE`` standard errors of the difference;
    within that either way is a tie, and said to be one with the standard error."""
    with_sl = [(r["n"], r["p1_sl"]) for r in rows if r.get("p1_sl") is not None]
    without = [(r["n"], r["p1"]) for r in rows]
    curve = with_sl or without
    kind = "with self-learning" if with_sl else "without self-learning"
    near = [(n, p) for n, p in curve if 500 <= n <= 1000]
    u = unsupervised
    ok = any(beats(p, u, n_test) for _, p in near) and not unsup_collapse
    drop = ""
    if dropped:
        drop = (f" N = {' and '.join(f'{n:,}' for n in dropped)} cannot be drawn: the training dictionary has "
                f"{available:,} pairs in both vocabularies (the last point uses all of them).")
    numbers = (f"Unsupervised (no dictionary): {_pct(u)}. N random pairs {kind}: {_nums(curve)}"
               + (f"; without: {_nums(without)}." if with_sl else ".") + drop)
    if unsup_collapse:
        return False, (f"Only trivially: the unsupervised run failed on this pair ({_pct(u)}), so any "
                       f"supervision beats it." + MORE + numbers)
    above = [n for n, p in curve if beats(p, u, n_test)]
    within = [p for _, p in curve if tied(p, u, n_test)]
    n_star, p_star = max(near or curve, key=lambda x: x[1])      # the compared point: the best of 500-1,000
    se = difference_se(p_star, u, n_test)
    apart = f"{abs(p_star - u) * 100:.1f} points apart"
    unit = f"one is {_pts(se)} points on {n_test:,} test words"
    if ok:
        head = (f"{n_star:,} pairs {kind} reach {_pct(p_star)} against {_pct(u)} unsupervised: {apart}, more "
                f"than {TIE_SE:g} standard errors ({unit}).")
    elif near and all(tied(p, u, n_test) for _, p in near):
        head = (f"A tie: {n_star:,} pairs {kind} reach {_pct(p_star)}, unsupervised {_pct(u)}: {apart}, within "
                f"{TIE_SE:g} standard errors ({unit}).")
        numbers = (f"{len(within)} of {len(curve)} seed sizes end within {TIE_SE:g} standard errors of the "
                   f"unsupervised run ({_pct(min(within))}–{_pct(max(within))}). " + numbers)
    else:
        head = (f"No N from 500 to 1,000 beats it {kind}: {n_star:,} pairs reach {_pct(p_star)} against "
                f"{_pct(u)} unsupervised ({apart}; {unit}).")
    if above and not ok:
        head += f" N = {above[0]:,} pairs beat it by more than {TIE_SE:g} standard errors."
    # the conclusion first (on a projector it must be above the fold), then the numbers
    return ok, head + MORE + numbers


def seed_size_hardly_matters(values: list[float], n_test: int) -> bool:
    """F8: every seed size's P@1 with self-learning is within ``TIE_SE`` standard errors of every other's."""
    return tied(max(values), min(values), n_test)


def rule_isomorphism(reports: dict, kinds: dict, outcomes: dict) -> tuple[bool, str]:
    """F9: every real pair is farther from isomorphic than the rotated copy on every measure, and at least
    one measure separates the pairs where unsupervised mapping works from those where it fails."""
    predicts = predictors(reports, outcomes)
    ref = next(n for n, k in kinds.items() if k == "isomorphic")
    real = [n for n in reports if n != ref]
    far = all((reports[ref][key] > reports[n][key]) if better == "higher" else (reports[ref][key] < reports[n][key])
              for n in real for key, better, _, _ in ISO_MEASURES)
    good = [key for key, v in predicts.items() if v]
    bad = [key for key, v in predicts.items() if v is False]
    name = {key: text.split(":")[0].lower() for key, _, _, text in ISO_MEASURES}
    works = [n for n in real if n in outcomes and unsup_works(outcomes[n])]
    fails = [n for n in real if n in outcomes and not unsup_works(outcomes[n])]
    ok = far and bool(good)
    first = ("Every real pair is farther from isomorphic than the rotated copy on all four measures" if far else
             "Not every real pair is farther from isomorphic than the rotated copy on every measure")
    if good:
        which = (f"only the {' and the '.join(name[k] for k in good)} separate{'s' if len(good) == 1 else ''} the "
                 f"pairs where unsupervised mapping works from those where it fails; "
                 f"{', '.join(name[k] for k in bad)} do{'es' if len(bad) == 1 else ''} not"
                 if bad else "every measure separates the pairs where unsupervised mapping works from the others")
    else:
        which = "no measure separates the pairs where unsupervised mapping works from the others"
    who = (f"Unsupervised mapping works on {', '.join(works) or 'none'} and fails on {', '.join(fails) or 'none'} "
           f"(P@1 at least {WORKS_P1:.0%} or not; on {len(works) + len(fails)} pairs: a hint, not a proof).")
    return ok, first + "; " + which + "." + MORE + who


def _pooled(bands: list[dict]) -> tuple[float, int]:
    """P@1 over the test words of several bands together, and their number."""
    n = sum(x["n"] for x in bands)
    return (sum(x["p1"] * x["n"] for x in bands) / n if n else float("nan")), n


def rule_bands(b: list[dict]) -> tuple[bool, str]:
    """F12: the frequent half of the bands translates better than the rare half by more than ``TIE_SE``
    standard errors, and no band beats the most frequent one by more than that (a band of ~100 words moves
    by several points by chance, so the trend is read, not every step)."""
    half = len(b) // 2
    (pf, nf), (pr, nr) = _pooled(b[:half]), _pooled(b[-half:])
    first_beaten = [x for x in b[1:] if beats(x["p1"], b[0]["p1"], x["n"], b[0]["n"])]
    ok = beats(pf, pr, nf, nr) and not first_beaten
    bumps = [f"{_k(b[i]['lo'] + 1)}–{_k(b[i]['hi'])}" for i in range(1, len(b)) if b[i]["p1"] > b[i - 1]["p1"]]
    note = (f" Not every step falls: the {', '.join(bumps)} band rises a little over the previous one "
            f"(about a hundred words per band: a few points is chance)." if bumps and ok else "")
    if first_beaten:
        note += (f" The {_k(first_beaten[0]['lo'] + 1)}–{_k(first_beaten[0]['hi'])} band beats the most frequent "
                 f"one by more than {TIE_SE:g} standard errors.")
    se = difference_se(pf, pr, nf, nr)
    head = (f"The {half} most frequent bands: {_pct(pf)} of {nf:,} test words; the {half} rarest: {_pct(pr)} of "
            f"{nr:,} ({_pts(abs(pf - pr))} points apart, one standard error {_pts(se)}).")
    return ok, (head + MORE + "P@1 by band: " + ", ".join(f"{x['lo'] + 1:,}–{x['hi']:,}: {_pct(x['p1'])} (n={x['n']})"
                                                          for x in b) + "." + note)


def verdict(scene: Scene, res: dict) -> tuple[bool, str]:
    """(holds, one sentence with the numbers): whether this data shows the scene's claim."""
    v = scene.view
    if v == "diagram":
        return True, "Every box is a module of the engine: core.normalize, core.seeds, core.mapping, core.induction."
    if v == "projection":
        return rule_projection(sum(res["hits_after"]), len(res["words"]), res["mixing_before"], res["mixing_after"])
    if v == "curves":
        return rule_self_learning(res["rows"], res["n_test"])
    if v == "losses":
        p = scene.params
        return rule_adversarial(res["seed_size"], res["seed_precision"], res["p1_csls"], res.get("reference"),
                                (int(p.get("n_epochs", 3)), int(p.get("epoch_size", 32000))))
    if v == "distributions":
        return rule_distributions(res["panels"][0])
    if v == "seed_size":
        return rule_seed_size(res["rows"], res["unsupervised"], res["n_test"], res.get("unsup_collapse"),
                              res.get("dropped", ()), res.get("available"))
    if v == "isomorphism":
        return rule_isomorphism(res["reports"], res["kinds"], res["outcomes"])
    if v == "bands":
        return rule_bands(res["bands"])
    raise ConfigError(f"no verdict for view {v}")
