"""Gold-free model selection ("never end below the seed") on the bundled pairs.

For each pair and seed: self-learning with the init's preset, then :func:`core.selection.select_mapping`
scores every candidate (the seed's own mapping, every iteration, each as the loop's mapping and as the
final multi-step mapping of its dictionary) without gold. The gold dictionary is used only to report:

The dictionary seed is the training dictionary minus a dev split of 20% of its source words
(``bench.quality.split_dev``); P@1 on that dev split, for every criterion, next to the best candidate
(oracle). The test splits are read by ``bench.results`` only (its ``selection`` table).

Pairs: ``en-fr`` (50-d English vs 300-d French), ``en-fr50`` (French reduced to 50-d by PCA, as
VecMap needs equal dimensions), ``fi-fr``. CSLS P@1 of the final mapping throughout.

    python -m bench.model_selection [--pairs en-fr en-fr50 fi-fr] [--seeds dictionary identical]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.quality import split_dev
from core.io import Embeddings, load_bundled_dictionary, load_embeddings
from core.normalize import normalize
from core.seeds import build_seed
from core.selection import DEFAULT_CRITERION, pick, select_mapping
from core.selflearning import AlignConfig, SelfLearning

PRESETS = {"dictionary": "supervised", "identical": "weak"}


def pca_reduce(emb: Embeddings, dim: int) -> Embeddings:
    """Centre and keep the top ``dim`` principal components (our own SVD; VecMap needs equal dims)."""
    X = emb.vectors.astype(np.float64)
    X = X - X.mean(axis=0)
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    return Embeddings(emb.words, (X @ Vt[:dim].T).astype(np.float32), f"{emb.name}{dim}")


def spaces(pair: str):
    s, t = pair.split("-")
    src = load_embeddings(s)
    if t == "fr50":
        return src, pca_reduce(load_embeddings("fr"), 50), "-".join((s, "fr"))
    return src, load_embeddings(t), pair


def p1(run, mapping, pairs) -> float:
    return 100 * run.evaluate(pairs, mapping, "csls").p_at_1


def one(pair: str, seed_name: str, split: str) -> None:
    src, tgt, dict_pair = spaces(pair)
    train = load_bundled_dictionary(dict_pair, "train")
    train, gold = split_dev(train)
    cfg = AlignConfig.preset(PRESETS[seed_name], max_iter=100)
    t0 = time.perf_counter()
    kw = {"pairs": train} if seed_name == "dictionary" else {}
    seed = build_seed(seed_name, src.with_vectors(normalize(src.vectors, cfg.normalize)),
                      tgt.with_vectors(normalize(tgt.vectors, cfg.normalize)), **kw)
    run = SelfLearning(src, tgt, seed.pairs, cfg)
    run.run_until_converged()
    t1 = time.perf_counter()
    sel = select_mapping(run, scores_all=True)
    t2 = time.perf_counter()
    cands = sel.candidates
    final = [c for c in cands if c.kind == "final"]
    seed_own, last = final[0], final[-1]
    crit = ("identical", "mean_csls")
    picks = [sel.kept] + [pick(cands, name) for name in crit]
    # gold only to report: every candidate on dev (the evidence for the criterion), the picks on test
    shown = cands if split == "dev" else list({id(c): c for c in (seed_own, last, *picks)}.values())
    gold_p1 = {id(c): p1(run, c.mapping, gold) for c in shown}
    oracle = max(shown, key=lambda c: gold_p1[id(c)])
    head = (f"{pair:8} {seed_name:10} {split:4} seed {gold_p1[id(seed_own)]:5.1f}  last {gold_p1[id(last)]:5.1f} "
            f"(it {last.iteration:2d})  best shown {gold_p1[id(oracle)]:5.1f} ({oracle.iteration}, {oracle.kind})")
    kept = []
    for name, c in zip((DEFAULT_CRITERION + ":" + sel.criterion, *crit), picks):
        ok = gold_p1[id(c)] >= max(gold_p1[id(seed_own)], gold_p1[id(last)]) - 0.5
        kept.append(f"{name} {gold_p1[id(c)]:5.1f} (it {c.iteration}, {c.kind}){'' if ok else ' BELOW'}")
    print(head + "  | kept: " + "; ".join(kept) + f"  | run {t1 - t0:.0f} s, selection {t2 - t1:.0f} s",
          flush=True)
    if split == "dev":
        for c in cands:
            s = " ".join(f"{k} {v:.4f}" for k, v in c.scores.items())
            print(f"    it {c.iteration:3d} {c.kind:13} P@1 {gold_p1[id(c)]:5.1f}  {s}", flush=True)
    else:
        print("    " + sel.reason, flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("dev",), default="dev")
    ap.add_argument("--pairs", nargs="+", default=["en-fr", "en-fr50", "fi-fr"])
    ap.add_argument("--seeds", nargs="+", default=["dictionary", "identical"])
    args = ap.parse_args(argv)
    for pair in args.pairs:
        for seed in args.seeds:
            one(pair, seed, args.split)


if __name__ == "__main__":
    main()
