"""The README's researcher-scale tables come from ``bench/scale.json`` (``python -m bench.scale --record`` and
``python -m bench.lab_scale --record`` write it), never typed: the committed README is what rendering the
record gives, and every verdict follows from its number."""

import copy
import json

from bench import scale


def _record():
    return json.loads(scale.RECORD.read_text())


def test_readme_scale_blocks_are_the_rendered_record():
    text = scale.README.read_text()
    assert "<!-- scale:curve -->" in text and "<!-- scale:targets -->" in text and "<!-- scale:lab -->" in text
    assert scale.render_readme(text, _record()) == text, "run: python -m bench.scale --render"


def test_every_curve_size_and_target_is_recorded():
    record = _record()
    assert sorted(int(n) for n in record["curve"]) == list(scale.SIZES)
    for row in record["curve"].values():
        assert row["unsupervised"]["seconds"] > 0 and row["supervised"]["peak_gb"] > 0
        assert row["supervised_refine"]["phases"]["refine"] > 0      # forced: the default skips it here
        assert "refine" not in row["supervised"]["phases"]
    assert {"unsupervised_vec", "unsupervised_shared", "supervised_shared", "logging"} <= set(record["targets"])
    # shared spellings at 200k: the default does not refine spaces larger than its dev splits
    assert "refine" not in record["targets"]["supervised_shared"]["phases"]
    assert {"load", "step", "inspector", "projections", "write"} <= set(record["lab"])


def test_verdicts_follow_the_numbers():
    record = _record()
    n = str(max(int(k) for k in record["curve"]))
    for seconds, log_share, ok in ((121.0, 0.2, False), (119.0, 0.05, True)):
        changed = copy.deepcopy(record)
        changed["curve"][n]["unsupervised"]["seconds"] = seconds
        changed["targets"]["logging"]["log_seconds"] = log_share * seconds
        rows = {t: met for t, _, met in scale.target_rows(changed["curve"][n], changed["targets"])}
        assert rows["unsupervised `clwe align` end to end from `.npz` <= 2 min"] is ok
        assert rows["per-iteration logging on a test dictionary <= 10% of the run"] is ok
    refine = record["curve"][n]["supervised_refine"]
    for rounds, ok in ((0.74 * refine["seconds"], True), (0.76 * refine["seconds"], False)):   # 3x the rest: 0.75
        changed = copy.deepcopy(record)
        changed["curve"][n]["supervised_refine"]["phases"]["refine"] = rounds
        rows = {t: met for t, _, met in scale.target_rows(changed["curve"][n], changed["targets"])}
        assert next(met for t, met in rows.items() if t.startswith("issue 18's bound")) is ok
