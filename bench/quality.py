"""P@1 of the supervised modes on the bundled pairs, on a dev split carved from the training dictionary
(the numbers used to choose defaults; the test splits are read by ``bench.results`` only).

    python -m bench.quality [--pairs en-fr fi-fr] [--sl-iter 30]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from core.io import load_bundled_dictionary, load_embeddings, pairs_to_indices
from core.selflearning import AlignConfig, SelfLearning


def emit(record: dict, jsonl: str | None) -> None:
    """Print one dev-run record as a JSON line and, with ``jsonl``, append it to that file (the tuning benches)."""
    import json

    print(json.dumps(record), flush=True)
    if jsonl:
        with open(jsonl, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")


def split_dev(pairs, share=0.2, seed=0):
    """Split a dictionary by source word (all translations of a word on the same side)."""
    words = sorted({s for s, _ in pairs})
    rng = np.random.default_rng(seed)
    dev = set(rng.choice(words, size=int(len(words) * share), replace=False).tolist())
    return [p for p in pairs if p[0] not in dev], [p for p in pairs if p[0] in dev]


def p1(sl, pairs, mapping):
    return {r: round(100 * sl.evaluate(pairs, mapping, r).p_at_1, 1) for r in ("nn", "csls")}


def run(pair, dev=True, sl_iter=30, configs=None):
    s, t = pair.split("-")
    src, tgt = load_embeddings(s), load_embeddings(t)
    train, test = split_dev(load_bundled_dictionary(pair, "train"))  # "test" here is the dev split
    seed = pairs_to_indices(train, src, tgt)
    rows = []
    for name, cfg in (configs or {"default": AlignConfig(stochastic_initial=1.0, max_iter=sl_iter)}).items():
        t0 = time.perf_counter()
        sl = SelfLearning(src, tgt, seed, cfg)
        rows.append((pair, name, "procrustes", p1(sl, test, sl.current.mapping)))
        from core.mapping import fit_mapping
        X = sl.src.vectors[seed[:, 0]]
        Z = sl.tgt.vectors[seed[:, 1]]
        rows.append((pair, name, "least_squares", p1(sl, test, fit_mapping("least_squares", X, Z))))
        rows.append((pair, name, "multistep", p1(sl, test, sl.finalize())))
        if sl_iter:
            sl.run_until_converged()
            rows.append((pair, name, f"SL procrustes ({sl.current.iteration} it)",
                         p1(sl, test, sl.current.mapping)))
            rows.append((pair, name, "SL + multistep", p1(sl, test, sl.finalize())))
        for r in rows[-5:]:
            print(*r, flush=True)
        print(f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", nargs="+", default=["en-fr", "fi-fr"])
    ap.add_argument("--sl-iter", type=int, default=30)
    ap.add_argument("--configs", nargs="+", default=["vecmap", "supervised"],
                    help="vecmap: VecMap's settings from a seed dictionary; supervised: the tuned preset")
    args = ap.parse_args(argv)
    known = {"vecmap": AlignConfig(stochastic_initial=1.0, max_iter=args.sl_iter),
             "supervised": AlignConfig.preset("supervised", max_iter=args.sl_iter)}
    for pair in args.pairs:
        run(pair, sl_iter=args.sl_iter, configs={k: known[k] for k in args.configs})


if __name__ == "__main__":
    main()
