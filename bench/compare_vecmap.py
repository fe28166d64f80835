"""Side by side: VecMap and ``clwe align`` on the same files, the same seeds, the same test split.

For every pair and seed, both programs map the same word2vec files; both outputs are then scored by the
same code (``clwe evaluate``, CSLS P@1 on the bundled test split). VecMap also gets ``--validation`` on the
test split, so its log has an accuracy (NN) per iteration. The table gives P@1, wall time and the time
ratio VecMap / ours.

Pairs: ``en-fr50`` (French reduced to 50 dimensions by ``clwe convert --pca-dim 50``, because VecMap maps
only spaces of equal dimension), ``fi-fr`` (both 300-d) and ``en-fr`` (native 300-d French, which only
CLWE Lab can map; no VecMap column). Seeds: ``supervised`` (the bundled train split; VecMap
``--supervised``, ours ``--init dictionary``), ``identical`` and ``unsupervised``.

VecMap runs as a subprocess with a wall-clock cap (``--vecmap-timeout`` minutes, default 60); a capped run
writes no mapped files, so its row reports the last accuracy of its own log and says "capped". Its fully
unsupervised run on en-fr50 takes about an hour on one thread; ``--vecmap-log`` lets the table quote a
recorded trajectory instead (time to reach a given accuracy), and says so.

    python -m bench.compare_vecmap [--pairs en-fr50 fi-fr] [--seeds supervised identical unsupervised]
        [--vecmap-timeout 60] [--skip-vecmap unsupervised] [--vecmap-log en-fr50:unsupervised:FILE.tsv]

CPU: run it alone; VecMap and ours run one after the other, never at once.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VECMAP = Path(os.environ.get("VECMAP", "/work/shared/peers/vecmap/map_embeddings.py"))
DICTS = ROOT / "sample_data" / "dictionaries"
# pair name -> (source space, target space, bundled dictionary, PCA dimension of the target, VecMap can run)
PAIRS = {"en-fr50": ("en", "fr", "en-fr", 50, True), "fi-fr": ("fi", "fr", "fi-fr", None, True),
         "en-fr": ("en", "fr", "en-fr", None, False)}
SEEDS = {"supervised": ("--supervised", "dictionary"), "identical": ("--identical", "identical"),
         "unsupervised": ("--unsupervised", "unsupervised")}


def clwe(*args, timeout=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def prepare(work: Path, pair: str) -> tuple[Path, Path]:
    """word2vec files of both sides (the target PCA-reduced when the pair says so), written once."""
    s, t, _, pca, _ = PAIRS[pair]
    src = work / f"{s}.vec"
    tgt = work / (f"{t}{pca}.vec" if pca else f"{t}.vec")
    for space, path, dim in ((s, src, None), (t, tgt, pca)):
        if not path.exists():
            extra = ["--pca-dim", str(dim)] if dim else []
            done = clwe("convert", space, str(path), *extra)
            if done.returncode:
                raise SystemExit(done.stderr)
    return src, tgt


def evaluate(src_vec: Path, tgt_vec: Path, test: Path) -> float:
    done = clwe("evaluate", "--src", str(src_vec), "--tgt", str(tgt_vec), "--dictionary", str(test))
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])["p@1"]


def read_vecmap_log(path: Path) -> list[tuple[int, float, float]]:
    """(iteration, accuracy %, cumulative seconds) per line of a VecMap ``--log``."""
    rows, total = [], 0.0
    if not path.exists():
        return rows
    for line in path.read_text().splitlines():
        f = line.split("\t")
        if len(f) >= 6:
            total += float(f[5])
            rows.append((int(f[0]), float(f[3]), total))
    return rows


def time_to(rows, accuracy: float):
    """The first (iteration, seconds) at which a logged accuracy (%) reached ``accuracy``, or None."""
    return next(((it, sec) for it, acc, sec in rows if acc >= accuracy), None)


def run_vecmap(work: Path, pair: str, seed: str, src: Path, tgt: Path, timeout_min: float) -> dict:
    _, _, dic, _, _ = PAIRS[pair]
    out = work / f"vecmap-{pair}-{seed}"
    out.mkdir(exist_ok=True)
    flag = SEEDS[seed][0]
    args = [flag, str(DICTS / f"{dic}.train.txt")] if seed == "supervised" else [flag]
    log = out / "log.tsv"
    cmd = [sys.executable, str(VECMAP), str(src), str(tgt), str(out / "src.vec"), str(out / "tgt.vec"), *args,
           "--validation", str(DICTS / f"{dic}.test.txt"), "--log", str(log)]
    start = time.perf_counter()
    try:
        subprocess.run(cmd, cwd=VECMAP.parent, capture_output=True, text=True, timeout=60 * timeout_min, check=True)
    except subprocess.TimeoutExpired:
        rows = read_vecmap_log(log)
        last = rows[-1] if rows else (0, float("nan"), 0.0)
        return {"p1": None, "seconds": time.perf_counter() - start, "capped": True,
                "note": f"capped at {timeout_min:g} min, iteration {last[0]}, its own NN accuracy {last[1]:.1f}%"}
    except subprocess.CalledProcessError as e:
        return {"p1": None, "seconds": time.perf_counter() - start, "note": "failed: " + e.stderr[-200:]}
    seconds = time.perf_counter() - start
    p1 = evaluate(out / "src.vec", out / "tgt.vec", DICTS / f"{dic}.test.txt")
    return {"p1": p1, "seconds": seconds, "iterations": len(read_vecmap_log(log))}


def run_ours(work: Path, pair: str, seed: str, src: Path, tgt: Path, extra: list[str]) -> dict:
    _, _, dic, _, _ = PAIRS[pair]
    out = work / f"clwe-{pair}-{seed}"
    # no P@1 after every iteration (it costs more than the iterations themselves); the written files are
    # scored below, by the same code as VecMap's
    args = ["align", "--src", str(src), "--tgt", str(tgt), "--init", SEEDS[seed][1], "--out", str(out),
            "--no-eval", *extra]
    if seed == "supervised":
        args += ["--dictionary", str(DICTS / f"{dic}.train.txt")]
    start = time.perf_counter()
    done = clwe(*args)
    seconds = time.perf_counter() - start
    if done.returncode:
        return {"p1": None, "seconds": seconds, "note": done.stderr.strip().splitlines()[-1]}
    config = json.loads((out / "config.json").read_text())
    p1 = evaluate(out / "src.vec", out / "tgt.vec", DICTS / f"{dic}.test.txt")
    return {"p1": p1, "seconds": seconds, "iterations": config["iterations"], "collapse": config["collapse"]}


def fmt_p1(r) -> str:
    return "–" if r is None or r.get("p1") is None else f"{100 * r['p1']:.2f}"


def fmt_time(r) -> str:
    return "–" if r is None else f"{r['seconds']:.0f} s" + (" (capped)" if r.get("capped") else "")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", nargs="+", default=["en-fr50", "fi-fr"], choices=list(PAIRS))
    ap.add_argument("--seeds", nargs="+", default=list(SEEDS), choices=list(SEEDS))
    ap.add_argument("--vecmap-timeout", type=float, default=60.0, help="minutes per VecMap run")
    ap.add_argument("--skip-vecmap", nargs="*", default=[], choices=list(SEEDS),
                    help="seeds for which VecMap is not run (quote --vecmap-log instead)")
    ap.add_argument("--vecmap-log", action="append", default=[], metavar="PAIR:SEED:FILE",
                    help="a recorded VecMap --log to quote for a skipped or capped run")
    ap.add_argument("--target", type=float, default=15.0, help="accuracy (%%) whose time-to is quoted from logs")
    ap.add_argument("--work", default="/tmp/clwe-compare-vecmap")
    ap.add_argument("--ours-args", default="", help="extra arguments for clwe align (one string)")
    args = ap.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    logs = {}
    for item in args.vecmap_log:
        pair, seed, path = item.split(":", 2)
        logs[(pair, seed)] = Path(path)
    rows = []
    for pair in args.pairs:
        src, tgt = prepare(work, pair)
        for seed in args.seeds:
            vm = None
            if PAIRS[pair][4] and seed not in args.skip_vecmap:
                print(f"VecMap {pair} {seed} ...", file=sys.stderr, flush=True)
                vm = run_vecmap(work, pair, seed, src, tgt, args.vecmap_timeout)
            if (pair, seed) in logs:
                recorded = read_vecmap_log(logs[(pair, seed)])
                hit = time_to(recorded, args.target)
                quote = (f"recorded log: {args.target:g}% (its NN accuracy) at iteration {hit[0]}, {hit[1] / 60:.0f} min"
                         if hit else f"recorded log never reached {args.target:g}%")
                vm = vm or {"p1": None, "seconds": hit[1] if hit else recorded[-1][2], "recorded": True}
                vm["note"] = (vm.get("note", "") + "; " if vm.get("note") else "") + quote
            print(f"ours {pair} {seed} ...", file=sys.stderr, flush=True)
            ours = run_ours(work, pair, seed, src, tgt, args.ours_args.split())
            rows.append((pair, seed, vm, ours))
            print_table(rows)
    return 0


def verdict(sentence) -> str | None:
    """The engine's end-of-run diagnosis in two words."""
    if not sentence:
        return None
    return "ours: " + ("still searching" if "still searching" in sentence else
                       "unfinished" if "unfinished" in sentence else "collapse reported")


def print_table(rows) -> None:
    print("\n| pair | seed | VecMap P@1 | VecMap time | ours P@1 | ours time | VecMap / ours time | notes |")
    print("|---|---|---|---|---|---|---|---|")
    for pair, seed, vm, ours in rows:
        ratio = "–"
        if vm is not None and ours.get("seconds"):
            ratio = f"{vm['seconds'] / ours['seconds']:.1f}x"
        notes = "; ".join(x for x in ((vm or {}).get("note"), ours.get("note"), verdict(ours.get("collapse"))) if x)
        print(f"| {pair} | {seed} | {fmt_p1(vm)} | {fmt_time(vm)} | {fmt_p1(ours)} | {fmt_time(ours)} | {ratio} | "
              f"{notes} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
