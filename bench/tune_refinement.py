"""Refinements after self-learning, on dev splits carved from the training dictionaries (issue 18).

The test splits are never read here. For each pair and seed size: the mapping ``clwe align --init dictionary``
keeps today (self-learning from the seed pairs, then gold-free selection), then each refinement from that same
run -- the contrastive refinement (``core.refinement``, Li et al. 2022, C1) and the classification-based
self-learning (``core.refinement.classifier_refinement``, Karan et al. 2020) -- with its own gold-free choice.
Every mapping is scored by CSLS and NN P@1 (%) on the dev split (``bench.quality.split_dev``); the seconds of
the self-learning run (with its model selection) and of each refinement are printed with their ratio.

Seed sizes: ``all`` (the training split less the dev split) or N, the first N pairs of it (semi-supervised), or
``unsupervised`` (``clwe align --init unsupervised``: no dictionary; the refinement's positives are its augmented
pairs only).
``en-fr50`` is en-fr with French on its 50 leading principal axes (as VecMap needs, ``bench.compare_vecmap``).

    python -m bench.tune_refinement --pairs en-fr en-fr50 fi-fr --sizes all 1000 500 [--set steps=60 ...]
                                    [--methods contrastive classifier] [--jsonl bench/tuning_refine.jsonl]
                                    [--grid default lr=1e-3 lr=2e-4,steps=80 ...]

``--grid`` sweeps the contrastive refinement's settings: every comma-separated set of ``key=value`` (``default``:
none changed, on top of ``--set``) refines the same self-learning run, one record each.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import fields, replace

from bench.quality import emit, split_dev
from core.io import load_bundled_dictionary, load_embeddings, pairs_to_indices
from core.normalize import pca_reduce
from core.refinement import RefinementConfig, kept_round
from core.selflearning import AlignConfig, SelfLearning, unsupervised_start


def spaces(pair: str):
    """The two spaces of a pair name, and the bundled dictionary it uses."""
    if pair == "en-fr50":
        src, tgt = load_embeddings("en"), load_embeddings("fr")
        return src, tgt.with_vectors(pca_reduce(tgt.vectors, 50)), "en-fr"
    s, t = pair.split("-")
    return load_embeddings(s), load_embeddings(t), pair


def dev_p1(run, dev, mapping) -> dict:
    return {r: round(100 * run.evaluate(dev, mapping, r).p_at_1, 2) for r in ("csls", "nn")}


def parse_set(items) -> dict:
    types = {f.name: f.type for f in fields(RefinementConfig)}
    out = {}
    for item in items or []:
        key, _, value = item.partition("=")
        if key not in types:
            raise SystemExit(f"unknown refinement setting {key}")
        kind = {"int": int, "float": float, "str": str}[types[key]]
        out[key] = kind(value)
    return out


def experiment(pair: str, size: str, methods, changes: dict, seed: int = 0, grid=None):
    src, tgt, dic = spaces(pair)
    train, dev = split_dev(load_bundled_dictionary(dic, "train"))
    t0 = time.perf_counter()
    trusted = size != "unsupervised"
    if trusted:
        pairs = pairs_to_indices(train, src, tgt)
        if size != "all":
            pairs = pairs[:int(size)]
        cfg = AlignConfig.preset("supervised", random_state=seed)
    else:   # no dictionary at all: clwe align --init unsupervised (its seed and search), then the refinement
        cfg = AlignConfig.preset("unsupervised", random_state=seed)
        cfg = replace(cfg, cutoff=min(cfg.cutoff, max(len(src), len(tgt))))
        sd, cfg = unsupervised_start(src, tgt, cfg)
        pairs = sd.pairs
    run = SelfLearning(src, tgt, pairs, cfg)
    last = run.run_until_converged()
    run.select()
    sl_seconds = time.perf_counter() - t0
    base = run.final
    rec = {"pair": pair, "size": size, "seed": seed, "seed_pairs": int(len(pairs)), "iterations": last.iteration,
           "kept_iteration": run.selection.iteration, "collapse": bool(last.collapse),
           "self_learning": dev_p1(run, dev, base),
           "sl_seconds": round(sl_seconds, 1), "n_dev_words": len({w for w, _ in dev})}
    out = []
    for extra in grid or [{}]:
        rec_g = dict(rec)
        for method in methods:
            t0 = time.perf_counter()
            if method == "contrastive":
                cfg_r = replace(RefinementConfig(random_state=seed), **{**changes, **extra})
                res = run.refine(cfg_r, trusted_seed=trusted)
            else:
                from core.refinement import classifier_refinement
                res = classifier_refinement(run, random_state=seed)
            secs = time.perf_counter() - t0
            rounds = [dev_p1(run, dev, r.mapping)["csls"] for r in res.rounds]
            rec_g[method] = {"dev": dev_p1(run, dev, res.mapping), "kept_round": res.kept_round,
                             "round_dev_csls": rounds, "round_scores": [round(r.score, 4) for r in res.rounds],
                             "seconds": round(secs, 1), "ratio": round(secs / sl_seconds, 2),
                             "changes": {**changes, **(extra if method == "contrastive" else {})}}
            run.final = base   # every refinement starts from the same self-learning mapping
        out.append(rec_g)
    return out


def _label(changes: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in changes.items()) or "default"


def grid_table(records: list) -> str:
    """A markdown table of a ``--grid`` sweep: per pair and seed size, the dev CSLS P@1 of self-learning and of
    each setting's kept mapping (its kept round), then each setting's mean gain over the cells it ran on."""
    cells, labels = {}, []
    for r in records:
        c = r.get("contrastive")
        if not c:
            continue
        label = _label(c["changes"])
        labels += [label] if label not in labels else []
        cells.setdefault((r["pair"], r["size"], r["seed"]), {"sl": r["self_learning"]["csls"]})[label] = c
    lines = ["| pair | seed pairs | self-learning | " + " | ".join(labels) + " |",
             "|---|---|---|" + "---|" * len(labels)]
    gains = {label: [] for label in labels}
    for (pair, size, _), row in cells.items():
        out = []
        for label in labels:
            c = row.get(label)
            out.append(f"{c['dev']['csls']:.1f} ({c['kept_round']})" if c else "–")
            if c:
                gains[label].append(c["dev"]["csls"] - row["sl"])
        lines.append(f"| {pair} | {size} | {row['sl']:.1f} | " + " | ".join(out) + " |")
    lines.append("| mean gain | | | " + " | ".join(f"{sum(g) / len(g):+.2f}" if g else "–"
                                                   for g in gains.values()) + " |")
    return "\n".join(lines)


def margin_table(records: list, margins=(0.0, 0.005, 0.01, 0.02, 0.03, 0.05)) -> str:
    """Replays the keep rule with a margin on the recorded round scores of the default settings' dev runs (one
    per pair and seed size): the dev CSLS P@1 gain over self-learning that each margin would have kept."""
    runs = {}
    for r in records:
        c = r.get("contrastive")
        if c and not c["changes"] and len(c["round_scores"]) == len(c["round_dev_csls"]):
            runs.setdefault((r["pair"], r["size"]), (r["self_learning"]["csls"], c))
    lines = ["| margin | mean dev gain | runs gaining / losing |", "|---|---|---|"]
    for m in margins:
        gains = [(sl if k == 0 else c["round_dev_csls"][k]) - sl
                 for sl, c in runs.values() for k in [kept_round(c["round_scores"], m)]]
        lines.append(f"| {m:g} | {sum(gains) / len(gains):+.2f} (over {len(gains)} runs) | "
                     f"{sum(g > 0 for g in gains)} / {sum(g < 0 for g in gains)} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", nargs="+", default=["en-fr", "en-fr50", "fi-fr"])
    ap.add_argument("--sizes", nargs="+", default=["all", "1000", "500"])
    ap.add_argument("--methods", nargs="+", default=["contrastive"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--set", nargs="*", help="refinement settings, key=value")
    ap.add_argument("--grid", nargs="*", help="settings to sweep: comma-separated key=value sets, or default")
    ap.add_argument("--jsonl", help="append one JSON record per run")
    ap.add_argument("--table", nargs="+", metavar="JSONL", help="print the table of earlier --grid records, run nothing")
    ap.add_argument("--margins", nargs="+", metavar="JSONL",
                    help="replay the keep rule with a margin on earlier records, run nothing")
    args = ap.parse_args(argv)
    if args.table or args.margins:
        import json

        records = [json.loads(line) for path in args.table or args.margins for line in open(path, encoding="utf-8")
                   if line.strip()]
        print(grid_table(records) if args.table else margin_table(records))
        return
    changes = parse_set(args.set)
    grid = [parse_set(g.split(",") if g != "default" else []) for g in args.grid or ["default"]]
    for pair in args.pairs:
        for size in args.sizes:
            for seed in args.seeds:
                for rec in experiment(pair, size, args.methods, changes, seed, grid):
                    emit(rec, args.jsonl)


if __name__ == "__main__":
    main()
