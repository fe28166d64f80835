"""Calibrate collapse detection: diagnostics at the end of good and failed runs on the bundled data.

Good: the training dictionary as seed. Failed: 25 random (wrong) word pairs as seed, and a Gaussian target
space (non-isomorphic by construction).

    python -m bench.calibrate_collapse [--cutoff 10000] [--max-iter 30]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from core.io import Embeddings, load_bundled_dictionary, load_embeddings, pairs_to_indices
from core.selflearning import AlignConfig, SelfLearning


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", nargs="+", default=["en-fr", "fi-fr"])
    ap.add_argument("--cutoff", type=int, default=10000)
    ap.add_argument("--max-iter", type=int, default=15)
    args = ap.parse_args(argv)
    for pair in args.pairs:
        s, t = pair.split("-")
        src, tgt = load_embeddings(s), load_embeddings(t)
        train = pairs_to_indices(load_bundled_dictionary(pair, "train"), src, tgt)
        rng = np.random.default_rng(0)
        wrong = np.stack([rng.choice(len(src) // 4, 25), rng.choice(len(tgt) // 4, 25)], 1)
        gauss = Embeddings(tgt.words, rng.standard_normal((len(tgt), tgt.dim)).astype(np.float32), "gauss")
        cases = [("good (train seed)", tgt, train, 1.0), ("random seed", tgt, wrong, 0.1),
                 ("gaussian target", gauss, train[:500], 0.1)]
        for name, target, seed, kp in cases:
            t0 = time.perf_counter()
            cfg = AlignConfig(cutoff=args.cutoff, max_iter=args.max_iter, stochastic_initial=kp)
            sl = SelfLearning(src, target, seed, cfg)
            rec = sl.run_until_converged()
            d = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in rec.diagnostics.items()}
            print(pair, name, f"it={rec.iteration}", d, "COLLAPSE" if rec.collapse else "ok",
                  f"{time.perf_counter() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
