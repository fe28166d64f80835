"""Choose self-learning defaults on a dev split carved from the training dictionaries (never the test
split): supervised seed = the rest of the training dictionary.

    python -m bench.tune_selflearning [--pairs en-fr fi-fr]
"""

from __future__ import annotations

import argparse

from bench.quality import run
from core.selflearning import AlignConfig

CONFIGS = {
    "cut20k-1e-6": AlignConfig(stochastic_initial=1.0, threshold=1e-6, max_iter=30),
    "cut20k-1e-4": AlignConfig(stochastic_initial=1.0, threshold=1e-4, max_iter=30),
    "cut10k": AlignConfig(stochastic_initial=1.0, threshold=1e-4, cutoff=10000, max_iter=30),
    "cut5k": AlignConfig(stochastic_initial=1.0, threshold=1e-4, cutoff=5000, max_iter=30),
    "mutual20k": AlignConfig(stochastic_initial=1.0, threshold=1e-4, mutual=True, max_iter=30),
    "keepseed20k": AlignConfig(stochastic_initial=1.0, keep_seed=True, max_iter=30),
    "keepseed-cut5k": AlignConfig(stochastic_initial=1.0, keep_seed=True, cutoff=5000, max_iter=30),
}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", nargs="+", default=["en-fr", "fi-fr"])
    ap.add_argument("--configs", nargs="+", default=list(CONFIGS))
    args = ap.parse_args(argv)
    for pair in args.pairs:
        run(pair, dev=True, sl_iter=30, configs={k: CONFIGS[k] for k in args.configs})


if __name__ == "__main__":
    main()
