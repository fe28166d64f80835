"""Dev-split trials for ``build_doc_spaces.py``'s training settings (never looks at a test split).

For a folder built with ``build_doc_spaces.py --out DIR --set key=value ...``, split each pair's TRAIN dictionary
by source word into dev-train (80%) and dev (20%, seeded), then run ``clwe align`` with ``--init dictionary``
(dev-train pairs) and ``--init unsupervised``, both evaluated on dev, and print P@1 (CSLS) and time.

Usage::

    python scripts/tune_doc_spaces.py DIR [--pairs doc_en-doc_fr] [--inits dictionary unsupervised]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def dev_split(train: Path, dev_dir: Path, share: float = 0.2, seed: int = 0) -> tuple[Path, Path]:
    pairs = [line.split() for line in train.read_text(encoding="utf-8").splitlines() if line.strip()]
    sources = sorted({s for s, _ in pairs})
    rng = np.random.default_rng(seed)
    dev_sources = set(rng.choice(sources, size=int(share * len(sources)), replace=False).tolist())
    fit, dev = dev_dir / "fit.txt", dev_dir / "dev.txt"
    fit.write_text("".join(f"{s} {t}\n" for s, t in pairs if s not in dev_sources), encoding="utf-8")
    dev.write_text("".join(f"{s} {t}\n" for s, t in pairs if s in dev_sources), encoding="utf-8")
    return fit, dev


def run(folder: Path, pair: str, init: str, fit: Path, dev: Path, work: Path) -> dict:
    src, tgt = pair.split("-")
    out = work / f"{pair}-{init}"
    command = [sys.executable, "-m", "core.cli", "align", "--src", str(folder / f"{src}.npy"),
               "--tgt", str(folder / f"{tgt}.npy"), "--init", init, "--eval-dictionary", str(dev),
               "--out", str(out)]
    if init == "dictionary":
        command += ["--dictionary", str(fit)]
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    record = json.loads((out / "config.json").read_text())
    return {"pair": pair, "init": init, "dev_p@1_csls": round(100 * record["final_bli"]["csls"]["p_at_1"], 1),
            "iterations": record["iterations"], "seconds": round(time.perf_counter() - started)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--pairs", nargs="+", default=["doc_en-doc_fr"])
    parser.add_argument("--inits", nargs="+", default=["dictionary", "unsupervised"])
    args = parser.parse_args(argv)
    settings = json.loads((args.folder / "manifest.json").read_text())["doc_spaces"]["training"]
    with tempfile.TemporaryDirectory() as tmp:
        for pair in args.pairs:
            fit, dev = dev_split(args.folder / "dictionaries" / f"{pair}.train.txt", Path(tmp))
            for init in args.inits:
                print(json.dumps({**run(args.folder, pair, init, fit, dev, Path(tmp)),
                                  **{k: settings[k] for k in ("vector_size", "window", "epochs", "negative",
                                                               "sample", "min_count")}}), flush=True)


if __name__ == "__main__":
    main()
