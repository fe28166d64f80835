"""The quality table: `clwe align` for every seed strategy on the bundled pairs, BLI P@1 on the test split.

Each run is the real command line (preset per init, FreeDict train split for dictionary/random, test split
for evaluation); the table prints P@1 with NN and CSLS retrieval after the final mapping, the number of
self-learning iterations, the wall time, and whether the engine diagnosed a collapse.

    python bench/bli_table.py [--pairs en-fr fi-fr] [--inits dictionary identical ...] [--max-iter N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INITS = ("dictionary", "random", "identical", "numerals", "unsupervised", "adversarial", "gromov-wasserstein")


def align(pair: str, init: str, out: Path, max_iter: int | None) -> dict:
    src, tgt = pair.split("-")
    cmd = [sys.executable, "-m", "core.cli", "align", "--src", src, "--tgt", tgt, "--init", init, "--out", str(out)]
    if max_iter is not None:
        cmd += ["--max-iter", str(max_iter)]
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1], "seconds": seconds}
    config = json.loads((out / "config.json").read_text())
    return {**config, "wall": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", nargs="+", default=["en-fr", "fi-fr"])
    parser.add_argument("--inits", nargs="+", default=list(INITS))
    parser.add_argument("--max-iter", type=int, default=None)
    parser.add_argument("--keep", help="write each run's output folder under this directory (default: discard)")
    args = parser.parse_args()
    print(f"{'pair':6} {'init':19} {'P@1 nn':>7} {'P@1 csls':>8} {'iters':>5} {'seconds':>8}  note", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = args.keep or tmp
        for pair in args.pairs:
            for init in args.inits:
                r = align(pair, init, Path(tmp) / f"{pair}-{init}", args.max_iter)
                if "error" in r:
                    print(f"{pair:6} {init:19} {'–':>7} {'–':>8} {'–':>5} {r['seconds']:8.1f}  {r['error']}", flush=True)
                    continue
                bli = r["final_bli"]
                note = "collapse: " + r["collapse"] if r["collapse"] else ""
                print(f"{pair:6} {init:19} {100 * bli['nn']['p_at_1']:6.1f}% {100 * bli['csls']['p_at_1']:7.1f}% "
                      f"{r['iterations']:5d} {r['wall']:8.1f}  {note}", flush=True)


if __name__ == "__main__":
    main()
