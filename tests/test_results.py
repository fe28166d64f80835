"""The results tables: bench.results renders what it measured, and the published rows still hold.

``test_quick_rows_have_not_moved`` is the CI guard: it reruns the quick rows (the synthetic pair, one supervised
and one weak-seed row) and fails when one of them moved beyond its spread from bench/results.json, so an
engine change that moves a published number cannot land until the tables are regenerated.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from bench import results

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"table", "row", "command", "test", "p1_csls_mean", "p1_csls_sd", "p1_nn_mean", "p1_csls_no_identical",
        "n", "seeds", "seconds", "threads"}


def recorded() -> list:
    return json.loads(results.RESULTS.read_text())


def test_every_row_is_recorded_with_its_command_and_spread():
    recs = {r["row"]: r for r in recorded()}
    for row in results.rows():
        if row.slow and row.row not in recs:  # the slow rows run with --all (listed as not run in the README)
            continue
        rec = recs[row.row]
        assert KEYS <= set(rec), row.row
        assert rec["table"] == row.table and rec["command"] == row.command()
        assert "$OUT" in rec["command"] and "\n" not in rec["command"]
        assert len(rec["seeds"]) >= (3 if row.stochastic else 1), row.row
        assert 0 <= rec["p1_csls_mean"] <= 100 and rec["n"] > 0
        assert rec["p1_csls_sd"] == 0 or row.stochastic


def test_the_readme_tables_are_the_recorded_ones():
    """Every table marker in the READMEs holds exactly what bench.results renders from results.json."""
    recs = recorded()
    seen = set()
    for path in results.READMES:
        text = path.read_text(encoding="utf-8")
        assert results.rewrite(text, recs) == text, f"{path.name} differs: run python -m bench.results --render"
        seen |= set(re.findall(r"<!-- results:(\w+) -->", text))
    assert seen == {r["table"] for r in recs} | set(results.DERIVED)


def test_markers_are_rewritten_and_moves_are_caught():
    rec = {"table": "rcsls", "row": "x/procrustes", "cells": ["x", "procrustes"], "p1_csls_mean": 41.44,
           "p1_csls_sd": 0.0, "p1_nn_mean": 38.0, "p1_nn_sd": 0.0, "stochastic": False, "seconds": 3.0}
    text = "a\n<!-- results:rcsls -->\nold\n<!-- /results:rcsls -->\nb <!-- r:x/procrustes:p1_csls_mean -->0<!-- /r -->"
    out = results.rewrite(text, [rec])
    assert "| x | procrustes | 41.4 | 38.0 | 3 |" in out and "old" not in out
    assert out.endswith("b <!-- r:x/procrustes:p1_csls_mean -->41.4<!-- /r -->")
    assert results.moved(rec, {**rec, "p1_csls_mean": 41.8}) is None              # within the 0.5 floor
    assert "x/procrustes" in results.moved(rec, {**rec, "p1_csls_mean": 42.1})
    noisy = {**rec, "p1_csls_sd": 1.0}
    assert results.moved(noisy, {**noisy, "p1_csls_mean": 43.3}) is None          # within 2 sd


def test_no_identical_drops_every_pair_of_a_word_with_an_identical_translation():
    gold = [("radio", "radio"), ("radio", "poste"), ("dog", "chien"), ("table", "tableau")]
    assert results.no_identical(gold) == [("dog", "chien"), ("table", "tableau")]


def test_only_bench_results_reads_the_test_splits():
    """Choices are made on dev splits: no bench or tuning script names a test split but bench.results.

    (``clwe align`` reads a bundled test split only to report P@1 per iteration, and ``--no-eval`` turns that off;
    its choices, the presets and the gold-free selection, never see it.)"""
    readers = []
    for path in [*(ROOT / "bench").glob("*.py"), *(ROOT / "scripts").glob("tune_*.py")]:
        text = path.read_text(encoding="utf-8")
        if re.search(r"\.test\.txt|load_bundled_dictionary\([^)]*[\"']test[\"']", text):
            readers.append(path.relative_to(ROOT).as_posix())
    # hostile_inputs feeds the test files to clwe evaluate with the languages swapped, to check the error message
    assert sorted(readers) == ["bench/hostile_inputs.py", "bench/results.py"]


def test_quick_rows_have_not_moved():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "bench.results", "--quick", "--check"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    checked = [json.loads(line)["row"] for line in done.stdout.splitlines()]
    assert checked == [r.row for r in results.rows() if r.quick]


def test_status_cell_says_what_the_collapse_check_said():
    """A run the engine called "may have failed, or may just be unfinished" is counted, not only "probably
    failed" ones."""
    assert results.status_cell({"seeds": [0, 1, 2]}) == ""
    cell = results.status_cell({"seeds": [0, 1, 2], "failed_runs": 1, "doubtful_runs": 2})
    assert cell == " (1 of 3 reported as failed; 2 of 3 reported as possibly failed or unfinished)"
