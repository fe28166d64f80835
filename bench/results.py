"""Every results table of the README, regenerated from scratch by one command.

Each table row is a shell command (``clwe align`` with a preset, or VecMap's ``map_embeddings.py``) that
writes the mapped spaces to ``$OUT/src.vec`` and ``$OUT/tgt.vec``; the written files are then scored by the
code of ``clwe evaluate`` (:func:`core.evaluate.evaluate_bli` on the loaded files, exactly as
``core.cli.cmd_evaluate`` does) on the row's test dictionary. This module is the only reader of the bundled
``*.test.txt`` splits: every preset value was chosen on dev splits (``bench/tuning.md``).

A row whose method is stochastic runs with every seed of ``SEEDS`` (``--random-seed`` / VecMap's ``--seed``);
its P@1 is the mean and the sample standard deviation over the seeds. Runs happen one after the other, with
``THREADS`` BLAS threads for every program (VecMap and ours alike), or ``--jobs N`` rows at a time with
``THREADS // N`` threads each; seconds compare within one run of this command only.

    python -m bench.results                 # every row but the slow (unsupervised) ones: bench/results.json and the
                                            # README tables; --all adds the slow rows
    python -m bench.results --quick         # the CI subset (synthetic pair, one supervised, one weak-seed row)
    python -m bench.results --only ROW ...  # chosen rows (ids as in results.json, or shell patterns)
    python -m bench.results --quick --check # run, compare with bench/results.json, write nothing; exit 1 when a
                                            # row moved beyond its spread
    python -m bench.results --list          # the rows and their commands
    python -m bench.results --all --jobs 2  # everything, two rows at a time (one BLAS thread each)

With ``--quick`` or ``--only`` the new records replace the old ones of the same rows in ``bench/results.json``
and the README is re-rendered from the merged file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
READMES = (ROOT / "README.md", ROOT / "sample_data" / "README.md")
DICTS = "sample_data/dictionaries"
THREADS = 2
SEEDS = (0, 1, 2)
# A row "moved" when its mean P@1 differs from the recorded one by more than its spread: twice the larger
# seed standard deviation, and never less than FLOOR points (deterministic rows: float32 sums in another
# order, another BLAS, may move a word or two).
FLOOR = 0.5
CLWE = "python -m core.cli"
FAMILY_PAIRS = {"trained differently": ("en-fr", "fi-fr"),
                "same algorithm": ("doc_en-doc_fr", "doc_en-doc_de", "doc_en-doc_it", "doc_de-doc_fr")}


@dataclass(frozen=True)
class Row:
    """One table row: its cells, the shell command that writes ``{OUT}/src.vec`` and ``{OUT}/tgt.vec``."""

    table: str
    row: str                      # unique id
    cells: tuple                  # the row's label cells (left columns of its table)
    main: str                     # the timed step; {IN} inputs folder, {OUT} output folder, {SEED} seed
    test: str                     # gold dictionary, relative to the repository root
    prep: tuple = ()              # untimed (command, file it writes) steps into {IN}, cached between rows
    stochastic: bool = False
    quick: bool = False
    program: str = "ours"         # "ours" or "VecMap"
    ratio_to: str | None = None   # a VecMap row with the same settings: print VecMap / ours seconds
    note: str = ""
    timeout: float = 1800.0
    same_as: str | None = None    # the runs of this other row, shown again in this table (not re-run)
    slow: bool = False            # an unsupervised row: run with --all or --only (about 2 minutes per seed idle)

    @property
    def seeds(self) -> tuple:
        return SEEDS if self.stochastic else (0,)

    def steps(self, seed: int, inp: str, out: str) -> tuple[list[str], str]:
        main = self.main.format(IN=inp, OUT=out, SEED=seed, CLWE=CLWE)
        return [cmd.format(IN=inp, CLWE=CLWE) for cmd, _ in self.prep], main

    def command(self) -> str:
        """One shell line (repository root, ``$OUT`` an empty folder): the first seed's run."""
        prep, main = self.steps(self.seeds[0], "$OUT/in", "$OUT")
        return " && ".join([*prep, main])


def convert(space: str, name: str, pca: int | None = None) -> tuple[str, str]:
    return f"{{CLWE}} convert {space} {{IN}}/{name}" + (f" --pca-dim {pca}" if pca else ""), f"{{IN}}/{name}"


SYNTH = ("python -m bench.synthetic_pair {IN}/synthetic", "{IN}/synthetic/test.txt")


def align(src: str, tgt: str, init: str, extra: str = "", files: bool = False) -> str:
    """``clwe align`` with its preset; ``--no-eval``: the test split is read by this module only."""
    seed = " --random-seed {SEED}"
    tail = " --overwrite" if files else ""  # $OUT holds the converted inputs ($OUT/in) in the recorded command
    return f"{{CLWE}} align --src {src} --tgt {tgt} --init {init}{seed}{(' ' + extra) if extra else ''} --no-eval --out {{OUT}}{tail}"


def test_of(pair: str) -> str:
    return f"{DICTS}/{pair}.test.txt"


def train_of(pair: str) -> str:
    return f"{DICTS}/{pair}.train.txt"


def rows() -> list[Row]:
    r: list[Row] = []
    # --- the trained-differently family and the synthetic control ---------------------------------------
    syn_files = "{IN}/synthetic/src.vec", "{IN}/synthetic/tgt.vec"
    r.append(Row("bli", "synthetic/random", ("synthetic (en, 3,000 words, rotated + noised copy)", "25 random pairs"),
                 align(*syn_files, "random", "--dictionary {IN}/synthetic/train.txt", files=True),
                 "{IN}/synthetic/test.txt", prep=(SYNTH,), stochastic=True, quick=True))
    for pair, n_train in (("en-fr", "4,945"), ("fi-fr", "3,520")):
        s, t = pair.split("-")
        r.append(Row("bli", f"{pair}/dictionary", (pair, f"dictionary ({n_train} training pairs), no self-learning"),
                     align(s, t, "dictionary", "--no-self-learning"), test_of(pair), quick=pair == "en-fr"))
        r.append(Row("bli", f"{pair}/dictionary+sl", (pair, "dictionary + self-learning (the default)"),
                     align(s, t, "dictionary"), test_of(pair)))
    r.append(Row("bli", "en-fr/identical", ("en-fr", "identical strings"), align("en", "fr", "identical"),
                 test_of("en-fr"), stochastic=True, quick=True))
    r.append(Row("bli", "en-fr/unsupervised", ("en-fr", "unsupervised"), align("en", "fr", "unsupervised"),
                 test_of("en-fr"), stochastic=True, slow=True))
    # --- both families side by side: every seed strategy that applies to a bundled pair ------------------------
    # (numerals: no bundled space keeps a word with a digit; adversarial and Gromov-Wasserstein: see the README)
    families = tuple(FAMILY_PAIRS.items())
    inits = (("dictionary", "dictionary, no self-learning", "--no-self-learning"),
             ("dictionary+sl", "dictionary + self-learning (the default)", ""),
             ("identical", "identical strings", ""), ("unsupervised", "unsupervised", ""))
    measured = {row.row for row in r}
    for family, pairs in families:
        for pair in pairs:
            s, t = pair.split("-")
            for key, label, extra in inits:
                init = key.split("+")[0]
                stochastic, slow = init != "dictionary", init == "unsupervised"
                own = f"{pair}/{key}"
                if own in measured:  # the row of the table above, shown again
                    r.append(Row("families", f"families:{own}", (family, pair, label), align(s, t, init, extra),
                                 test_of(pair), stochastic=stochastic, slow=slow, same_as=own))
                else:
                    r.append(Row("families", own, (family, pair, label), align(s, t, init, extra), test_of(pair),
                                 stochastic=stochastic, slow=slow))
    # --- model selection: the seed's own mapping, the last iteration, the kept one ----------------------------
    for init, own, kept in (("dictionary", "--no-self-learning", "en-fr/dictionary+sl"),
                            ("identical", "--max-iter 0", "en-fr/identical")):
        stochastic = init != "dictionary"
        r.append(Row("selection", f"en-fr/{init}/own", ("en-fr", init, "seed's own mapping"),
                     align("en", "fr", init, own), test_of("en-fr"), stochastic=stochastic,
                     same_as="en-fr/dictionary" if init == "dictionary" else None))
        if init == "dictionary":  # (the identical-strings seed's --no-select runs are left out: time)
            # like for like: the dictionary seed's default refines whatever it keeps, so the selection is read
            # on unrefined mappings, and the refined default is a row of its own
            r.append(Row("selection", f"en-fr/{init}/last", ("en-fr", init, "last iteration (`--no-select --no-refine`)"),
                         align("en", "fr", init, "--no-select --no-refine"), test_of("en-fr"), stochastic=stochastic))
            r.append(Row("selection", f"en-fr/{init}/kept-unrefined",
                         ("en-fr", init, "kept by the gold-free selection (`--no-refine`)"),
                         align("en", "fr", init, "--no-refine"), test_of("en-fr"), stochastic=stochastic))
        label = "kept, then refined (default)" if init == "dictionary" else "kept by the gold-free selection (default)"
        r.append(Row("selection", f"en-fr/{init}/kept", ("en-fr", init, label),
                     align("en", "fr", init), test_of("en-fr"), stochastic=stochastic, same_as=kept))
    # --- final mappings fitted on the training dictionary ---------------------------------------------------
    for pair in ("en-fr",):
        s, t = pair.split("-")
        for mapping in ("procrustes", "multistep", "rcsls"):
            r.append(Row("rcsls", f"{pair}/{mapping}", (pair, mapping),
                         align(s, t, "dictionary", f"--no-self-learning --mapping {mapping}"), test_of(pair),
                         same_as=f"{pair}/dictionary" if mapping == "multistep" else None))
    # --- side by side with VecMap (bench.compare_vecmap): same files, settings, threads and scoring ------------
    from bench.compare_vecmap import PAIRS, RECIPES, vecmap_command

    for pair, (s, t, dic, pca) in PAIRS.items():
        a, b = f"{{IN}}/{s}.vec", f"{{IN}}/{t}{pca or ''}.vec"
        prep = (convert(s, f"{s}.vec"), convert(t, f"{t}{pca or ''}.vec", pca))
        # identical strings with equal settings is left out: VecMap needs about 5 minutes per seed here
        kinds = ("supervised", "unsupervised") if pair == "en-fr50" else ("supervised",)
        for kind in kinds:
            vm, stochastic = f"vecmap:{pair}/{kind}", kind != "supervised"
            settings = f"VecMap `{RECIPES[kind].replace(' {TRAIN}', '')}`"
            if kind == "unsupervised":
                settings += " (capped by its own options)"
            r.append(Row("vecmap", vm, (pair, kind, settings),
                         vecmap_command(a, b, kind, train_of(dic)), test_of(dic), prep=prep, program="VecMap",
                         stochastic=stochastic, slow=kind == "unsupervised"))
            if kind == "supervised":
                ours, extra = "`--init dictionary --no-self-learning` (same settings)", \
                    f"--dictionary {train_of(dic)} --no-self-learning"
            elif kind == "identical":  # VecMap has no collapse stop, no iteration cap, no model selection
                ours, extra = ("`--init identical --collapse-patience 0 --max-iter 1000 --no-select` (same settings)",
                               "--collapse-patience 0 --max-iter 1000 --no-select")
            else:
                ours, extra = "`--init unsupervised`, our default (settings differ: no speed ratio)", ""
            r.append(Row("vecmap", f"ours:{pair}/{kind}", (pair, kind, "ours " + ours),
                         align(a, b, kind if kind != "supervised" else "dictionary", extra, files=True),
                         test_of(dic), prep=prep, stochastic=stochastic,
                         ratio_to=vm if kind != "unsupervised" else None, slow=kind == "unsupervised"))
    r.extend(refine_rows())
    return r


def refine_rows() -> list[Row]:
    """Issue 18: per pair and seed size, VecMap, ours today (``--no-refine``) and ours refined (``--refine``, the
    contrastive refinement), on the same files as ``bench.compare_vecmap``; slow rows (``--all`` or ``--only
    'refine:*'``). Seed sizes: the whole training split (VecMap ``--supervised``), and its first 500 or 1,000
    in-vocabulary pairs (VecMap ``--semi_supervised``, capped like its identical-strings recipe); unsupervised:
    ``--init unsupervised`` and the same refined."""
    from bench.compare_vecmap import PAIRS, RECIPES, SEMI_SIZES, vecmap_command

    r: list[Row] = []
    doc = {p: (*p.split("-"), p, None) for p in FAMILY_PAIRS["same algorithm"]}   # equal dimensions: as they are
    for pair, (s, t, dic, pca) in {**PAIRS, **doc}.items():
        a, b = f"{{IN}}/{s}.vec", f"{{IN}}/{t}{pca or ''}.vec"
        files = (convert(s, f"{s}.vec"), convert(t, f"{t}{pca or ''}.vec", pca))
        for n in (None, *SEMI_SIZES):
            if n is None:
                train, prep, size = train_of(dic), files, "whole training split"
            else:
                train = f"{{IN}}/{dic}.first{n}.txt"
                prep = (*files, (f"python -m bench.compare_vecmap --first {n} {a} {b} {train_of(dic)} {train}", train))
                size = f"first {n:,} pairs"
            tag = "all" if n is None else str(n)
            kind = "supervised" if n is None else "semi_supervised"
            settings = f"VecMap `{RECIPES[kind].replace(' {TRAIN}', '')}`"
            r.append(Row("refine", f"refine:{pair}/{tag}/vecmap", (pair, size, settings),
                         vecmap_command(a, b, kind, train), test_of(dic), prep=prep, program="VecMap",
                         stochastic=n is not None, slow=True,
                         same_as=f"vecmap:{pair}/supervised" if n is None and pair in PAIRS else None))
            base = f"refine:{pair}/{tag}/ours"
            r.append(Row("refine", base, (pair, size, "ours `--init dictionary --no-refine` (self-learning, selection)"),
                         align(a, b, "dictionary", f"--dictionary {train} --no-refine", files=True), test_of(dic),
                         prep=prep, slow=True))
            r.append(Row("refine", f"refine:{pair}/{tag}/refined", (pair, size, "ours `--init dictionary --refine`"),
                         align(a, b, "dictionary", f"--dictionary {train} --refine", files=True), test_of(dic),
                         prep=prep, stochastic=True, slow=True))
        if pair == "en-fr50":
            r.append(Row("refine", f"refine:{pair}/unsupervised/refined", (pair, "unsupervised",
                                                                          "ours `--init unsupervised --refine`"),
                         align(a, b, "unsupervised", "--refine", files=True), test_of(dic), prep=files,
                         stochastic=True, slow=True))
        else:   # en-fr50's VecMap and unrefined rows are the VecMap table's
            settings = f"VecMap `{RECIPES['unsupervised']}`"
            r.append(Row("refine", f"refine:{pair}/unsupervised/vecmap", (pair, "unsupervised", settings),
                         vecmap_command(a, b, "unsupervised"), test_of(dic), prep=files, program="VecMap",
                         stochastic=True, slow=True))
            base = f"refine:{pair}/unsupervised/ours"
            r.append(Row("refine", base, (pair, "unsupervised", "ours `--init unsupervised --no-refine`"),
                         align(a, b, "unsupervised", "--no-refine", files=True), test_of(dic), prep=files,
                         stochastic=True, slow=True))
            r.append(Row("refine", f"refine:{pair}/unsupervised/refined", (pair, "unsupervised",
                                                                          "ours `--init unsupervised --refine`"),
                         align(a, b, "unsupervised", "--refine", files=True), test_of(dic), prep=files,
                         stochastic=True, slow=True))
    return r


# --------------------------------------------------------------------------------------------------------
# Running and scoring


def no_identical(pairs: list) -> list:
    """The gold pairs of the source words none of whose gold translations is spelled like the word itself."""
    same = {s for s, t in pairs if s == t}
    return [(s, t) for s, t in pairs if s not in same]


def score(out: Path, test: Path) -> dict:
    """P@1 (%) of the written spaces, by the code of ``clwe evaluate`` (loaded once, three evaluations)."""
    from core.evaluate import evaluate_bli
    from core.io import load_dictionary, load_embeddings

    src, tgt = load_embeddings(str(out / "src.vec")), load_embeddings(str(out / "tgt.vec"))
    gold = load_dictionary(str(test))
    csls = evaluate_bli(src, tgt, gold, retrieval="csls")
    nn = evaluate_bli(src, tgt, gold, retrieval="nn")
    rest = evaluate_bli(src, tgt, no_identical(gold), retrieval="csls")
    return {"csls": 100 * csls.p_at_1, "nn": 100 * nn.p_at_1, "no_identical": 100 * rest.p_at_1, "n": csls.n,
            "n_no_identical": rest.n}


def environment() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               # the commands say `python`: the interpreter running this module (a venv need not be activated)
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(THREADS)
    return env


def shell(cmd: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", cmd], cwd=ROOT, env=environment(), capture_output=True, text=True,
                          timeout=timeout)


_PREPARING = threading.Lock()  # rows run concurrently (--jobs) share the inputs folder


def prepare(row: Row, inp: Path) -> None:
    """The untimed input conversions, each written once into the shared inputs folder."""
    with _PREPARING:
        _prepare(row, inp)


def _prepare(row: Row, inp: Path) -> None:
    for step, product in row.prep:
        cmd = step.format(IN=str(inp), CLWE=CLWE)
        if not Path(product.format(IN=str(inp))).exists():
            done = shell(cmd, 600)
            if done.returncode:
                raise SystemExit(f"{row.row}: preparing inputs failed: {cmd}\n{done.stderr[-500:]}")


def run_seeds(row: Row, work: Path) -> list:
    """Run the row's command once per seed; score each output; the per-seed results."""
    inp = work / "in"
    inp.mkdir(parents=True, exist_ok=True)
    prepare(row, inp)
    test = Path(row.test.format(IN=str(inp)))
    test = test if test.is_absolute() else ROOT / test
    runs = []
    for seed in row.seeds:
        out = work / "runs" / f"{re.sub(r'[^A-Za-z0-9_.+-]', '_', row.row)}-seed{seed}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        _, main = row.steps(seed, str(inp), str(out))
        print(f"[results] {row.row} seed {seed}: {main}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            done = shell(main, row.timeout)
            error = done.stderr.strip().splitlines()[-1] if done.returncode else None
        except subprocess.TimeoutExpired:
            error = f"timed out after {row.timeout:.0f} s"
        seconds = time.perf_counter() - start
        if error:
            raise SystemExit(f"{row.row} seed {seed} failed: {error}")
        rec = {"seed": seed, "seconds": round(seconds, 1), **score(out, test)}
        config = out / "config.json"
        if config.exists():
            c = json.loads(config.read_text())
            rec["iterations"] = c["iterations"]
            rec["search_iterations"] = c["seed"].get("search_iterations")
            rec["failed"] = bool(c["collapse"]) and "probably failed" in c["collapse"]
            rec["doubtful"] = bool(c["collapse"]) and "may have failed" in c["collapse"]
            rec["kept_iteration"] = (c.get("selection") or {}).get("iteration")
            if c.get("refinement"):   # its own seconds, measured inside the same run (issue 18's speed target)
                rec["refine_seconds"] = c["refinement"]["seconds"]
        runs.append(rec)
        print(f"[results] {row.row} seed {seed}: CSLS {rec['csls']:.2f} NN {rec['nn']:.2f} in {seconds:.0f} s",
              file=sys.stderr, flush=True)
    return runs


def _mean(values) -> float:
    return round(statistics.fmean(values), 2)


def _sd(values) -> float:
    return round(statistics.stdev(values), 2) if len(values) > 1 else 0.0


def record(row: Row, runs: list) -> dict:
    from core.evaluate import accuracy_se

    csls = [r["csls"] for r in runs]
    rec = {"table": row.table, "row": row.row, "cells": list(row.cells), "program": row.program,
           "command": row.command(), "test": row.test.replace("{IN}", "$OUT/in"),
           "p1_csls_mean": _mean(csls), "p1_csls_sd": _sd(csls),
           "p1_nn_mean": _mean([r["nn"] for r in runs]), "p1_nn_sd": _sd([r["nn"] for r in runs]),
           "p1_csls_no_identical": _mean([r["no_identical"] for r in runs]),
           "n": runs[0]["n"], "n_no_identical": runs[0]["n_no_identical"],
           "seeds": [r["seed"] for r in runs], "seconds": _mean([r["seconds"] for r in runs]),
           "threads": THREADS, "stochastic": row.stochastic, "ratio_to": row.ratio_to, "note": row.note,
           "runs": runs}
    p = rec["p1_csls_mean"] / 100
    rec["p1_csls_se"] = round(100 * accuracy_se(p, rec["n"]), 2) if rec["n"] else None
    for key in ("iterations", "search_iterations"):
        values = [r[key] for r in runs if r.get(key) is not None]
        rec[key] = values or None
    rec["failed_runs"] = sum(bool(r.get("failed")) for r in runs)
    rec["doubtful_runs"] = sum(bool(r.get("doubtful")) for r in runs)
    refine = [r.get("refine_seconds") for r in runs]
    if all(x is not None for x in refine):
        rec["refine_seconds"] = _mean(refine)
    return rec


REFINE_SPEED_TARGET = 3.0   # issue 18: a refinement costs at most 3x the self-learning run it refines


def refine_ratio(rec: dict) -> float | None:
    """A refined row's refinement seconds over the rest of the same run (self-learning, selection, writing):
    both measured in one process, so the ratio is like for like. None for rows without the refinement's own
    time (not refined, or recorded before it was kept)."""
    if rec.get("refine_seconds") is None:
        return None
    return rec["refine_seconds"] / (rec["seconds"] - rec["refine_seconds"])


def spread(old: dict, new: dict | None = None) -> float:
    """How far a row's mean P@1 may move (points): 2 sd of the seeds (the larger of the two), at least FLOOR."""
    sd = max(old["p1_csls_sd"], new["p1_csls_sd"] if new else 0.0)
    return max(2 * sd, FLOOR)


def moved(old: dict, new: dict) -> str | None:
    d = new["p1_csls_mean"] - old["p1_csls_mean"]
    if abs(d) > spread(old, new):
        return (f"{new['row']}: CSLS P@1 {new['p1_csls_mean']:.2f} against {old['p1_csls_mean']:.2f} in "
                f"bench/results.json ({d:+.2f} points, spread {spread(old, new):.2f}): regenerate the table "
                f"(python -m bench.results --only {new['row']})")
    return None


# --------------------------------------------------------------------------------------------------------
# Tables


def p1_cell(rec: dict, key: str = "p1_csls") -> str:
    mean = rec[f"{key}_mean"]
    if rec["stochastic"]:
        return f"{mean:.1f} ± {rec[f'{key}_sd']:.1f}"
    return f"{mean:.1f}"


def iterations_cell(rec: dict) -> str:
    its = rec.get("iterations") or []
    if not its:
        return "–"
    text = f"{min(its)}–{max(its)}" if min(its) != max(its) else str(its[0])
    search = rec.get("search_iterations") or []
    if search:
        text = (f"{min(search)}–{max(search)}" if min(search) != max(search) else str(search[0])) + " + " + text
    return text


def status_cell(rec: dict) -> str:
    """What the engine's own collapse check said of the row's runs ("probably failed" / "may have failed")."""
    n = len(rec["seeds"])
    said = [f"{rec[key]} of {n} reported as {what}" for key, what in
            (("failed_runs", "failed"), ("doubtful_runs", "possibly failed or unfinished")) if rec.get(key)]
    return f" ({'; '.join(said)})" if said else ""


def seconds_cell(rec: dict) -> str:
    return f"{rec['seconds']:.0f}"


def render_bli(recs: list) -> str:
    head = ("| pair | init | P@1 CSLS | P@1 NN | CSLS without identical pairs | test words | seeds | iterations "
            "| seconds |\n|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in recs:
        lines.append(f"| {' | '.join(r['cells'])} | {p1_cell(r)}{status_cell(r)} | {p1_cell(r, 'p1_nn')} | "
                     f"{r['p1_csls_no_identical']:.1f} | {r['n']:,} | {len(r['seeds'])} | {iterations_cell(r)} | "
                     f"{seconds_cell(r)} |")
    return "\n".join(lines)


def render_selection(recs: list) -> str:
    lines = ["| pair | seed | mapping | P@1 CSLS | P@1 NN | seeds | kept iteration | seconds |",
             "|---|---|---|---|---|---|---|---|"]
    for r in recs:
        kept = sorted({x.get("kept_iteration") for x in r["runs"] if x.get("kept_iteration") is not None})
        lines.append(f"| {' | '.join(r['cells'])} | {p1_cell(r)} | {p1_cell(r, 'p1_nn')} | {len(r['seeds'])} | "
                     f"{', '.join(map(str, kept)) or '–'} | {seconds_cell(r)} |")
    return "\n".join(lines)


def render_rcsls(recs: list) -> str:
    lines = ["| pair | final mapping (`--mapping`) | P@1 CSLS | P@1 NN | seconds |", "|---|---|---|---|---|"]
    for r in recs:
        lines.append(f"| {' | '.join(r['cells'])} | {p1_cell(r)} | {p1_cell(r, 'p1_nn')} | {seconds_cell(r)} |")
    return "\n".join(lines)


def render_vecmap(recs: list, by_row: dict) -> str:
    lines = ["| pair | seed | program and settings | P@1 CSLS | P@1 NN | seeds | seconds | VecMap / ours seconds |",
             "|---|---|---|---|---|---|---|---|"]
    for r in recs:
        ratio = "–"
        other = by_row.get(r.get("ratio_to") or "")
        if other:
            ratio = f"{other['seconds'] / r['seconds']:.1f}"
        lines.append(f"| {' | '.join(r['cells'])} | {p1_cell(r)}{status_cell(r)} | {p1_cell(r, 'p1_nn')} | "
                     f"{len(r['seeds'])} | {seconds_cell(r)} | {ratio} |")
    return "\n".join(lines)


def render_refine(recs: list) -> str:
    """Issue 18's table; a refined row also shows its refinement's own seconds and their ratio to the rest of
    the same run (:func:`refine_ratio`)."""
    lines = ["| pair | seed | program and settings | P@1 CSLS | P@1 NN | seeds | seconds "
             "| of which refinement | refinement ÷ the run it refines |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in recs:
        ratio = refine_ratio(r)
        own = f"{r['refine_seconds']:.0f}" if ratio is not None else "–"
        lines.append(f"| {' | '.join(r['cells'])} | {p1_cell(r)}{status_cell(r)} | {p1_cell(r, 'p1_nn')} | "
                     f"{len(r['seeds'])} | {seconds_cell(r)} | {own} | {'–' if ratio is None else f'{ratio:.1f}'} |")
    return "\n".join(lines)


def render_families(recs: list) -> str:
    lines = ["| family | pair | seed | P@1 CSLS | P@1 NN | CSLS without identical pairs | test words | seeds "
             "| iterations | seconds |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in recs:
        lines.append(f"| {' | '.join(r['cells'])} | {p1_cell(r)}{status_cell(r)} | {p1_cell(r, 'p1_nn')} | "
                     f"{r['p1_csls_no_identical']:.1f} | {r['n']:,} | {len(r['seeds'])} | {iterations_cell(r)} | "
                     f"{seconds_cell(r)} |")
    return "\n".join(lines)


REFINE_TARGET = 2.0   # issue 18: ours refined at least VecMap + 2 CSLS P@1 points


def render_refine_targets(records: list) -> str:
    """Issue 18's targets, cell by cell, from the refine rows: ours refined against VecMap on the same files and
    seed pairs (means over the seeds), the gap with its test-split standard error (binomial, the two runs as
    independent: :func:`core.evaluate.difference_se`), and whether the gap reaches ``REFINE_TARGET``."""
    from core.evaluate import difference_se

    by_row = {r["row"]: r for r in records}
    lines = ["| pair | seed pairs | VecMap | ours without refinement | ours refined | refined − VecMap (SE) | "
             f"+{REFINE_TARGET:.0f} target | refinement ÷ the run it refines (at most {REFINE_SPEED_TARGET:.0f}) |",
             "|---|---|---|---|---|---|---|---|"]
    sizes = (("all", "whole training split"), ("1000", "first 1,000"), ("500", "first 500"),
             ("unsupervised", "none (unsupervised)"))
    pairs = list(dict.fromkeys(r["row"].split("/")[0].split(":")[1] for r in records if r["table"] == "refine"))
    for pair in pairs:
        for tag, label in sizes:
            refined = by_row.get(f"refine:{pair}/{tag}/refined")
            vecmap = by_row.get(f"refine:{pair}/{tag}/vecmap") or by_row.get(f"vecmap:{pair}/{tag}")
            ours = by_row.get(f"refine:{pair}/{tag}/ours") or by_row.get(f"ours:{pair}/{tag}")
            if not (refined and vecmap):
                continue
            gap = refined["p1_csls_mean"] - vecmap["p1_csls_mean"]
            se = 100 * difference_se(refined["p1_csls_mean"] / 100, vecmap["p1_csls_mean"] / 100, refined["n"],
                                     vecmap["n"])
            verdict = "met" if gap >= REFINE_TARGET else "missed"
            if abs(gap - REFINE_TARGET) <= 2 * se:
                verdict += f" (the gap is within 2 SE of +{REFINE_TARGET:.0f})"
            lines.append(f"| {pair} | {label} | {p1_cell(vecmap)}{status_cell(vecmap)} | "
                         f"{p1_cell(ours) + status_cell(ours) if ours else '–'} | {p1_cell(refined)}{status_cell(refined)} | "
                         f"{gap:+.1f} ({se:.1f}) | {verdict} | {speed_cell(refined)} |")
    return "\n".join(lines)


def speed_cell(rec: dict) -> str:
    ratio = refine_ratio(rec)
    if ratio is None:
        return "–"
    return f"{ratio:.1f}, {'met' if ratio <= REFINE_SPEED_TARGET else 'missed'}"


RENDER = {"bli": render_bli, "families": render_families, "selection": render_selection, "rcsls": render_rcsls,
          "vecmap": render_vecmap, "refine": render_refine}
DERIVED = {"refine_targets": render_refine_targets}   # tables computed from other tables' rows


def render(table: str, records: list) -> str:
    if table in DERIVED:
        return DERIVED[table](records)
    order = {row.row: i for i, row in enumerate(rows())}
    recs = sorted((r for r in records if r["table"] == table), key=lambda r: order.get(r["row"], 1 << 20))
    fn = RENDER[table]
    if fn is render_vecmap:
        return fn(recs, {r["row"]: r for r in records})
    return fn(recs)


def value(records: dict, ref: str) -> str:
    """An inline number: ``ROW:FIELD`` (a record's field, one decimal), ``ROW|ROW2:ratio`` (CSLS P@1 of ROW as a
    percentage of ROW2's), ``ROW:identical_share`` (percent of the test words with an identically spelled gold
    translation), ``@total:minutes`` (wall time of every distinct run, one after the other) or
    ``@default:minutes`` (the same without the slow rows: what ``python -m bench.results`` runs)."""
    name, _, fieldname = ref.rpartition(":")
    if name not in ("@total", "@default") and not all(part in records for part in name.split("|")):
        return "–"  # a row not run yet
    if name in ("@total", "@default"):
        slow = {r.row for r in rows() if r.slow} if name == "@default" else set()
        distinct = {(r["command"], tuple(r["seeds"])): r for r in records.values() if r["row"] not in slow}
        return f"{sum(r['seconds'] * len(r['seeds']) for r in distinct.values()) / 60:.0f}"
    if fieldname == "identical_share":
        r = records[name]
        return f"{100 * (r['n'] - r['n_no_identical']) / r['n']:.0f}%"
    if fieldname == "n":
        return f"{records[name]['n']:,}"
    if fieldname == "ratio":
        a, b = name.split("|")
        return f"{100 * records[a]['p1_csls_mean'] / records[b]['p1_csls_mean']:.0f}%"
    v = records[name][fieldname]
    if isinstance(v, list):
        return f"{min(v)}–{max(v)}" if min(v) != max(v) else str(v[0])
    if fieldname == "seconds":
        return f"{v:.0f}"
    return f"{v:.1f}" if isinstance(v, float) else str(v)


TABLE = re.compile(r"(<!-- results:(\w+) -->\n)(.*?)(<!-- /results:\2 -->)", re.S)
INLINE = re.compile(r"(<!-- r:([^ ]+) -->)(.*?)(<!-- /r -->)")


def rewrite(text: str, records: list) -> str:
    by_row = {r["row"]: r for r in records}
    text = TABLE.sub(lambda m: m.group(1) + render(m.group(2), records) + "\n" + m.group(4)
                     if m.group(2) in DERIVED or any(r["table"] == m.group(2) for r in records) else m.group(0),
                     text)
    return INLINE.sub(lambda m: m.group(1) + value(by_row, m.group(2)) + m.group(4), text)


def select_rows(args) -> list[Row]:
    every = rows()
    if args.only:
        chosen = [r for r in every if any(fnmatchcase(r.row, p) for p in args.only)]
        unknown = [p for p in args.only if not any(fnmatchcase(r.row, p) for r in every)]
        if unknown:
            raise SystemExit(f"no row {', '.join(unknown)}; python -m bench.results --list shows them")
        return chosen
    if args.quick:
        return [r for r in every if r.quick]
    return every if args.all else [r for r in every if not r.slow]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true",
                    help="also the slow rows (the unsupervised ones: three seeds of a few minutes each)")
    ap.add_argument("--quick", action="store_true", help="the CI subset (about 2 minutes on an idle 2-core machine)")
    ap.add_argument("--only", nargs="+", metavar="ROW", help="only these rows (ids or shell patterns such as 'vecmap:*')")
    ap.add_argument("--check", action="store_true",
                    help="compare with bench/results.json and write nothing; exit 1 when a row moved beyond its spread")
    ap.add_argument("--list", action="store_true", help="print the rows and their commands")
    ap.add_argument("--work", default=None, help="scratch folder (default: a fresh one under /tmp)")
    ap.add_argument("--results", default=str(RESULTS), help="the results file to compare with or write")
    ap.add_argument("--render", action="store_true", help="only re-render the README tables from the results file")
    ap.add_argument("--jobs", type=int, default=1,
                    help="rows run at a time (each with THREADS // jobs BLAS threads; seconds then compare within "
                         "one run only)")
    ap.add_argument("--no-readme", action="store_true", help="write the results file only, not the READMEs")
    args = ap.parse_args(argv)
    chosen = select_rows(args)
    if args.list:
        for row in chosen:
            print(f"{row.row}\t{'x'.join([str(len(row.seeds))])} seed(s)\t{row.command()}")
        return 0
    results = Path(args.results)
    old = json.loads(results.read_text()) if results.exists() else []
    if args.render:
        write_readmes(old)
        return 0
    import tempfile

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="clwe-results-"))
    started = time.perf_counter()
    partial = not args.check and (args.quick or args.only)
    # saved row by row (an interrupted run keeps what it measured); --check writes nothing
    new = measure(chosen, work, args.jobs, {r["row"]: r for r in old} if partial else {},
                  (lambda records: None) if args.check else (lambda records: save(results, merge(old, records))))
    print(f"[results] {len(new)} rows in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    if args.check:
        recorded = {r["row"]: r for r in old}
        problems = [p for r in new if r["row"] in recorded for p in [moved(recorded[r["row"]], r)] if p]
        missing = [r["row"] for r in new if r["row"] not in recorded]
        for r in new:
            print(json.dumps({k: r[k] for k in ("row", "p1_csls_mean", "p1_csls_sd", "seconds")}))
        for p in problems:
            print("MOVED " + p, file=sys.stderr)
        for m in missing:
            print(f"NOT RECORDED {m}: run python -m bench.results --only {m}", file=sys.stderr)
        return 1 if problems or missing else 0
    # a full run replaces every row it ran; without --all it keeps the slow rows recorded earlier
    slow = {r.row for r in rows() if r.slow}
    merged = merge(old, new) if partial else merge([r for r in old if r["row"] in slow and not args.all], new)
    save(results, merged)
    if not args.no_readme:
        write_readmes(merged)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def measure(chosen: list[Row], work: Path, jobs: int, recorded: dict, progress) -> list[dict]:
    """The records of ``chosen``: each distinct run once (``same_as`` rows reuse it; with ``recorded`` given,
    a row outside ``chosen`` keeps its recorded runs), ``jobs`` rows at a time; ``progress(records)`` after each."""
    global THREADS
    if jobs > 1:  # one BLAS thread per job, so that concurrent rows do not oversubscribe the cores
        THREADS = max(1, THREADS // jobs)
    by_id = {row.row: row for row in rows()}
    ids = {row.row for row in chosen}
    done = {row.same_as: recorded[row.same_as]["runs"] for row in chosen
            if row.same_as and row.same_as not in ids and row.same_as in recorded}
    todo = list(dict.fromkeys(row.same_as or row.row for row in chosen if (row.same_as or row.row) not in done))

    def records() -> list[dict]:
        return [record(row, done[row.same_as or row.row]) for row in chosen if (row.same_as or row.row) in done]

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(run_seeds, by_id[name], work): name for name in todo}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            progress(records())
    return records()


def merge(old: list, new: list) -> list:
    """``old`` with the rows of ``new`` replaced or added, in the order of :func:`rows`."""
    keep = {r["row"] for r in new}
    merged = [r for r in old if r["row"] not in keep] + new
    order = {row.row: i for i, row in enumerate(rows())}
    return sorted(merged, key=lambda r: order.get(r["row"], 1 << 20))


def save(path: Path, records: list) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_readmes(records: list) -> None:
    for path in READMES:
        text = path.read_text(encoding="utf-8")
        again = rewrite(text, records)
        if again != text:
            path.write_text(again, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
