"""Choose the preset values of ``AlignConfig.preset`` on dev splits carved from the training dictionaries.

The test splits are never read here (``bench.results`` alone reads them). Every experiment scores the mapping
``clwe align`` would keep (gold-free model selection after self-learning) by CSLS P@1 on the dev split
(``bench.quality.split_dev``: a seeded 20% of the training dictionary's source words, with all their
translations). A supervised run is seeded with the rest of the training dictionary; an unsupervised run
uses no dictionary at all, so the dev split is simply a held-out part of the training dictionary.

Experiments (``--experiments``):

* ``self_learning``: supervised preset without self-learning (VecMap's supervised mode, ``max_iter=0``)
  against ``--self-learning`` (deterministic self-learning among 5,000 words, seed pairs kept, selection).
* ``supervised_settings``: the self-learning preset's other values (keep the seed pairs, 5,000 words,
  deterministic induction), one changed at a time; the preset itself is the ``self_learning`` "on" run.
* ``plateau``: the semi-supervised cells where issue 18's target is missed (the doc pairs from the first 1,000
  pairs of the training split, ``--seed-size 1000``): the preset against each self-learning setting changed alone,
  VecMap's dimensionality reduction, and monolingual post-processing of both spaces before mapping (iterative
  normalisation, all-but-the-top, spectral re-weighting). Nothing here is in a preset; the table records what
  was tried.
* ``takeoff``: the identical-strings agreement at which the unsupervised search switches to the fast finish.
* ``search_vocab``: the unsupervised preset's cutoff (VecMap's seed vocabulary 4,000, or 10,000).
* ``principal_axes``: spaces of different dimension (en vs fr): search on the larger space's principal axes
  (``core.selflearning.unsupervised_start``) against rectangular Procrustes throughout, both in one run.
* ``schedule``: the fast schedule (stochastic interval 3, threshold 1e-3: the class defaults, used by the weak
  preset and by the unsupervised finish) against VecMap's slow one (interval 50, threshold 1e-6), on the weak
  preset from identical strings.

Each line printed is one run; ``--jsonl FILE`` appends the same records, and ``--render FILE bench/tuning.md``
fills the tables of ``bench/tuning.md`` from them.

    python -m bench.tune_presets [--experiments self_learning takeoff ...] [--pairs ...] [--jsonl FILE]
    python -m bench.tune_presets --render bench/tuning_runs.jsonl bench/tuning.md
"""

from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.quality import emit, split_dev
from core.io import load_bundled_dictionary, load_embeddings
from core.normalize import normalize
from core.seeds import build_seed
from core.selflearning import AlignConfig, SelfLearning, unsupervised_start


def dev_p1(run: SelfLearning, dev) -> dict:
    """CSLS and NN P@1 (%) of the kept mapping on the dev split."""
    return {r: round(100 * run.evaluate(dev, run.final, r).p_at_1, 2) for r in ("csls", "nn")}


def kept(run: SelfLearning) -> None:
    """What ``clwe align`` keeps: the selected mapping after self-learning, else the final mapping."""
    if run.current.iteration == 0:
        run.finalize()
    else:
        run.select()


def _pair(pair: str):
    """The bundled spaces of ``pair`` and its training dictionary split into (train, dev)."""
    s, t = pair.split("-")
    return (load_embeddings(s), load_embeddings(t), *split_dev(load_bundled_dictionary(pair, "train")))


def _seed(kind: str, src, tgt, cfg: AlignConfig, **kw):
    """``build_seed`` on the spaces normalised as the run will normalise them."""
    return build_seed(kind, src.with_vectors(normalize(src.vectors, cfg.normalize)),
                      tgt.with_vectors(normalize(tgt.vectors, cfg.normalize)), **kw)


def _run(src, tgt, start, cfg: AlignConfig, dev, t0: float, **record) -> dict:
    """Self-learn from the seed dictionary ``start``, keep what ``clwe align`` keeps, and score it on ``dev``."""
    run = SelfLearning(src, tgt, start.pairs, cfg)
    last = run.run_until_converged()
    kept(run)
    record = {**record, "iterations": last.iteration}
    if "collapse" in record:
        record["collapse"] = bool(last.collapse)
    return {**record, "dev": dev_p1(run, dev), "n_dev_words": len({w for w, _ in dev}),
            "seconds": round(time.perf_counter() - t0, 1)}


def _capped(cfg: AlignConfig, src, tgt) -> AlignConfig:
    return replace(cfg, cutoff=min(cfg.cutoff, max(len(src), len(tgt))))


def supervised(pair: str, self_learning: bool, seed: int = 0, experiment: str = "self_learning", value=None,
               seed_size: int | None = None, prepare=None, **changes) -> dict:
    """The supervised preset from the training split, or from its first ``seed_size`` pairs (``clwe align
    --seed-size``), both spaces first passed through ``prepare`` when given."""
    src, tgt, train, dev = _pair(pair)
    if prepare is not None:
        src, tgt = src.with_vectors(prepare(src.vectors)), tgt.with_vectors(prepare(tgt.vectors))
    changes = {"max_iter": AlignConfig.max_iter if self_learning else 0, **changes}
    cfg = _capped(AlignConfig.preset("supervised", random_state=seed, **changes), src, tgt)
    t0 = time.perf_counter()
    sd = _seed("dictionary", src, tgt, cfg, pairs=train)
    if seed_size:
        sd, pair = replace(sd, pairs=sd.pairs[:seed_size]), f"{pair} ({seed_size:,} pairs)"
    return _run(src, tgt, sd, cfg, dev, t0, experiment=experiment, pair=pair,
                value=value if value is not None else ("on" if self_learning else "off"), seed=seed)


def all_but_the_top(X: np.ndarray, n_components: int = 2) -> np.ndarray:
    """Mu & Viswanath 2018 (ICLR, "All-but-the-Top"): centre, then remove the leading principal directions."""
    X = normalize(X).astype(np.float64)
    X -= X.mean(axis=0)
    top = np.linalg.svd(X, full_matrices=False)[2][:n_components]
    return (X - (X @ top.T) @ top).astype(np.float32)


def spectral_reweighting(X: np.ndarray, alpha: float) -> np.ndarray:
    """Artetxe et al. 2018 (CoNLL, "Uncovering Divergent Linguistic Information in Word Embeddings"):
    ``X Q Λ^alpha`` where ``XᵀX = QΛQᵀ``, so first-order similarities become ``X (XᵀX)^(2 alpha) Xᵀ``."""
    X = normalize(X).astype(np.float64)
    lam, Q = np.linalg.eigh(X.T @ X)
    return ((X @ Q) * np.maximum(lam, 1e-12) ** alpha).astype(np.float32)


PLATEAU_VARIANTS = (("the preset", {}), ("keep_seed=False", dict(keep_seed=False)),
                    ("cutoff=10000", dict(cutoff=10000)), ("cutoff=20000", dict(cutoff=20000)),
                    ("stochastic_initial=0.1", dict(stochastic_initial=0.1)),
                    ("dim_reduction=100", dict(dim_reduction=100)),
                    ("iterative normalisation", dict(normalize=("iternorm",))),
                    ("all-but-the-top, 2 directions", dict(prepare=all_but_the_top)),
                    ("spectral re-weighting, alpha=0.25", dict(prepare=lambda X: spectral_reweighting(X, 0.25))),
                    ("spectral re-weighting, alpha=-0.25", dict(prepare=lambda X: spectral_reweighting(X, -0.25))))


def unsupervised(pair: str, experiment: str, value, seed: int = 0, **changes) -> dict:
    src, tgt, _, dev = _pair(pair)
    rectangular = changes.pop("rectangular", False)
    cfg = _capped(AlignConfig.preset("unsupervised", random_state=seed, **changes), src, tgt)
    t0 = time.perf_counter()
    if rectangular:  # the second-order seed and the whole search on the spaces as they are
        sd = _seed("unsupervised", src, tgt, cfg)
    else:
        sd, cfg = unsupervised_start(src, tgt, cfg)
    return _run(src, tgt, sd, cfg, dev, t0, experiment=experiment, pair=pair, value=value, seed=seed,
                search_iterations=sd.info.get("search_iterations") if sd.info else None, collapse=None)


def weak(pair: str, init: str, experiment: str, value, seed: int = 0, **changes) -> dict:
    """The weak preset (``clwe align --init identical`` / ``random``) from ``init``, scored on the dev split."""
    src, tgt, train, dev = _pair(pair)
    cfg = AlignConfig.preset("weak", random_state=seed, **changes)
    t0 = time.perf_counter()
    sd = _seed(init, src, tgt, cfg, **(dict(pairs=train, n=25, random_state=seed) if init == "random" else {}))
    return _run(src, tgt, sd, cfg, dev, t0, experiment=experiment, pair=f"{pair} ({init})", value=value,
                seed=seed, collapse=None)


def experiments(names, pairs_sup, pairs_unsup, seeds, max_iter, levels=(0.02, 0.05, 0.10), cutoffs=(10000,)):
    cap = {"max_iter": max_iter} if max_iter else {}
    for name in names:
        if name == "self_learning":
            for pair in pairs_sup:
                for on in (False, True):
                    yield lambda p=pair, o=on: supervised(p, o)
        elif name == "supervised_settings":  # the self-learning preset's other values, one change at a time
            for pair in pairs_sup:
                for value, change in (("keep_seed=False", dict(keep_seed=False)), ("cutoff=20000", dict(cutoff=20000)),
                                      ("stochastic_initial=0.1", dict(stochastic_initial=0.1))):
                    yield lambda p=pair, v=value, c=change: supervised(p, True, 0, "supervised_settings", v, **c)
        elif name == "plateau":
            for pair in pairs_sup:
                for value, change in PLATEAU_VARIANTS:
                    yield lambda p=pair, v=value, c=change: supervised(p, True, 0, "plateau", v, seed_size=1000, **c)
        elif name == "takeoff":
            for pair in pairs_unsup:
                for level in levels:
                    for seed in seeds:
                        yield lambda p=pair, v=level, s=seed: unsupervised(p, "takeoff", v, s,
                                                                           takeoff_agreement=v, **cap)
        elif name == "search_vocab":
            for pair in pairs_unsup:
                for cutoff in cutoffs:  # 4,000 (the preset) is the takeoff experiment's 10% run
                    for seed in seeds:
                        yield lambda p=pair, c=cutoff, s=seed: unsupervised(p, "search_vocab", c, s, cutoff=c, **cap)
        elif name == "principal_axes":
            for rect in (False, True):  # both in one run: the engine may have moved since the takeoff table
                for seed in seeds:
                    yield lambda r=rect, s=seed: unsupervised("en-fr", "principal_axes",
                                                              "rectangular" if r else "principal axes", s,
                                                              rectangular=r, **cap)
        elif name == "schedule":
            for pair in pairs_sup:
                for value, change in (("fast (interval 3, threshold 1e-3)", {}),
                                      ("slow (interval 50, threshold 1e-6)",
                                       dict(stochastic_interval=50, threshold=1e-6, max_iter=300))):
                    for seed in seeds:
                        yield lambda p=pair, v=value, c=change, s=seed: weak(p, "identical", "schedule", v, s, **c)


def render_plateau(runs: list) -> str:
    """The plateau experiment as one row per change and one column per pair (dev CSLS P@1), with each change's
    mean gain over the preset across the pairs it ran on."""
    cells = {(r["value"], r["pair"]): r["dev"]["csls"] for r in runs if r["experiment"] == "plateau"}
    pairs = list(dict.fromkeys(p for _, p in cells))
    lines = ["| change (one at a time) | " + " | ".join(pairs) + " | mean gain over the preset |",
             "|---|" + "---|" * (len(pairs) + 1)]
    for value, _ in PLATEAU_VARIANTS:
        row = [cells.get((value, p)) for p in pairs]
        gains = [v - cells[("the preset", p)] for v, p in zip(row, pairs)
                 if v is not None and ("the preset", p) in cells]
        lines.append(f"| {value} | " + " | ".join("–" if v is None else f"{v:.1f}" for v in row)
                     + (f" | {sum(gains) / len(gains):+.2f} |" if gains and value != "the preset" else " | – |"))
    return "\n".join(lines)


def render(runs: list, experiment: str) -> str:
    """A markdown table of one experiment's runs (dev CSLS and NN P@1, iterations, seconds)."""
    if experiment == "plateau":
        return render_plateau(runs)
    lines = ["| pair | value | seed | dev CSLS P@1 | dev NN P@1 | iterations | seconds |", "|---|---|---|---|---|---|---|"]
    for r in runs:
        if r["experiment"] != experiment:
            continue
        its = str(r["iterations"]) if not r.get("search_iterations") else f"{r['search_iterations']} + {r['iterations']}"
        lines.append(f"| {r['pair']} | {r['value']} | {r['seed']} | {r['dev']['csls']:.1f} | {r['dev']['nn']:.1f} | "
                     f"{its} | {r['seconds']:.0f} |")
    return "\n".join(lines)


def write_tables(jsonl: Path, md: Path) -> None:
    """Fill the ``<!-- tuning:EXPERIMENT -->`` markers of ``md`` from the records in ``jsonl``."""
    runs = [json.loads(line) for line in jsonl.read_text().splitlines() if line.strip()]
    text = md.read_text(encoding="utf-8")
    text = re.sub(r"(<!-- tuning:(\w+) -->\n)(.*?)(<!-- /tuning:\2 -->)",
                  lambda m: m.group(1) + render(runs, m.group(2)) + "\n" + m.group(4), text, flags=re.S)
    md.write_text(text, encoding="utf-8")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experiments", nargs="+", default=["self_learning", "takeoff", "search_vocab", "principal_axes"])
    ap.add_argument("--pairs-supervised", nargs="+", default=["en-fr", "fi-fr", "doc_en-doc_fr", "doc_en-doc_de"])
    ap.add_argument("--pairs-unsupervised", nargs="+", default=["doc_en-doc_de", "en-fr"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--max-iter", type=int, default=None, help="cap every unsupervised run (say so in tuning.md)")
    ap.add_argument("--levels", nargs="+", type=float, default=[0.02, 0.05, 0.10], help="take-off levels")
    ap.add_argument("--cutoffs", nargs="+", type=int, default=[10000], help="search vocabularies besides 4,000")
    ap.add_argument("--jsonl", help="append one JSON record per run to this file")
    ap.add_argument("--render", nargs=2, metavar=("JSONL", "MD"), help="only fill the tables of MD from JSONL")
    args = ap.parse_args(argv)
    if args.render:
        write_tables(Path(args.render[0]), Path(args.render[1]))
        return
    for job in experiments(args.experiments, args.pairs_supervised, args.pairs_unsupervised, args.seeds,
                           args.max_iter, args.levels, args.cutoffs):
        emit(job(), args.jsonl)


if __name__ == "__main__":
    main()
