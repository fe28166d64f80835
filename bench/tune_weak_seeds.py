"""Choose the presets of the weak seeds (25 random pairs, identical strings) on a dev split carved from the
training dictionary (never the test split): the random pairs come from the rest of the training dictionary.

    python -m bench.tune_weak_seeds [--pairs fi-fr] [--inits random identical] [--configs preset keepseed ...]
"""

from __future__ import annotations

import argparse
import time

from bench.quality import split_dev
from core.io import load_bundled_dictionary, load_embeddings
from core.normalize import normalize
from core.seeds import build_seed
from core.selflearning import AlignConfig, SelfLearning

CONFIGS = {
    "preset": {},
    "keepseed": dict(keep_seed=True),
    "cut10k": dict(cutoff=10000),
    "cut5k": dict(cutoff=5000),
    "cut10k-keepseed": dict(cutoff=10000, keep_seed=True),
    "interval5": dict(stochastic_interval=5),
    "threshold1e-4": dict(threshold=1e-4, max_iter=40),
}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", nargs="+", default=["fi-fr"])
    ap.add_argument("--inits", nargs="+", default=["random", "identical"])
    ap.add_argument("--configs", nargs="+", default=list(CONFIGS))
    args = ap.parse_args(argv)
    for pair in args.pairs:
        s, t = pair.split("-")
        src, tgt = load_embeddings(s), load_embeddings(t)
        train, dev = split_dev(load_bundled_dictionary(pair, "train"))
        for init in args.inits:
            for name in args.configs:
                cfg = AlignConfig.preset("unsupervised", **CONFIGS[name])
                kw = dict(pairs=train, n=25, random_state=0) if init == "random" else {}
                t0 = time.perf_counter()
                seed = build_seed(init, src.with_vectors(normalize(src.vectors, cfg.normalize)),
                                  tgt.with_vectors(normalize(tgt.vectors, cfg.normalize)), **kw)
                sl = SelfLearning(src, tgt, seed.pairs, cfg)
                last = sl.run_until_converged()
                final = sl.finalize()
                p = {r: round(100 * sl.evaluate(dev, final, r).p_at_1, 1) for r in ("nn", "csls")}
                print(f"{pair} {init:9} {name:14} dev P@1 nn {p['nn']:5.1f} csls {p['csls']:5.1f}  "
                      f"{last.iteration:3d} it  {time.perf_counter() - t0:5.0f} s  "
                      f"{'collapse' if last.collapse else ''}", flush=True)


if __name__ == "__main__":
    main()
