"""The lab in a lecture hall (issue 11, items 2-8), through AppTest on bundled en-fr cut to 3,000 words.

Presenting mode, plain labels and unique ticks, branches side by side, the scene in the URL, run files, figure
export, the small snags (cutoff, inspector direction, the mirror-spelled synthetic pair) and the hubness view.
"""

import dataclasses
import json
import struct
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app import charts, export
from core import runfile

APP = str(Path(__file__).resolve().parent.parent / "app" / "streamlit_app.py")
TIMEOUT = 120
VOCAB = 3000


def _new_app(query: dict | None = None, run: bool = True):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["w_max_vocab"] = VOCAB
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run() if run else at


def _clean(at):
    assert not at.exception, [e.value for e in at.exception]


def _figures(at):
    """The plotly figures of the page as dicts."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _metric(at, label):
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r} among {[m.label for m in at.metric]}"
    return values[0]


@pytest.fixture(scope="module")
def opened():
    at = _new_app()
    _clean(at)
    return at


# --- item 2: presenting mode ------------------------------------------------------------------------

def test_presenting_mode_from_the_url_hides_controls_and_enlarges_text():
    at = _new_app({"present": "1"})
    _clean(at)
    assert at.session_state["w_present"] is True
    keys = {b.key for b in at.button}
    assert "b_step" in keys and not {"b_run_n", "b_converge"} & keys   # fewer buttons in front of a class
    assert not at.dataframe and not at.get("plotly_chart")[1:]           # one chart, no tables
    fig = _figures(at)[0]
    assert fig["layout"]["font"]["size"] >= 16
    assert all(a["font"]["size"] >= 16 for a in fig["layout"]["annotations"])
    assert fig["layout"]["height"] <= 520                                # fits under the title at 1280x720

    at.switch_page("views/projections.py").run()
    _clean(at)
    # the page's settings are folded into a "Settings" expander; before and after side by side (compared)
    settings = [e for e in at.expander if e.label == "Settings"]
    assert settings and settings[0].radio(key="w_proj_method") is not None
    assert len(at.tabs) == 0 and len(at.get("plotly_chart")) == 2

    at.toggle(key="w_present").set_value(False).run()
    keys = {b.key for b in at.button}
    assert {"b_run_n", "b_converge"} <= keys and "present" not in at.query_params


# --- item 3: plain words, best iteration, distinct curves, unique ticks --------------------------------

@pytest.mark.parametrize("values", [[0.001, 0.0012, 0.0009, 0.0], [0.0, 0.4], [0.05, 0.051], [0.0], [0.3, 0.95]])
def test_percent_ticks_never_repeat(values):
    axis = charts.percent_axis(values)
    labels = charts.percent_tick_labels(axis)
    assert len(labels) >= 2 and len(set(labels)) == len(labels), labels
    assert axis["range"][1] >= max(values)


def test_learning_curves_plain_labels_best_star_and_distinct_curves(opened):
    at = opened
    at.switch_page("views/selflearning.py").run()
    at.button(key="b_step").click().run()
    at.button(key="b_step").click().run()
    _clean(at)
    labels = {m.label for m in at.metric}
    assert {"Correct (CSLS)", "Correct (nearest)", "Fit of the dictionary"} <= labels
    assert not any("P@1" in label or "Objective" in label for label in labels)
    assert all(m.help for m in at.metric if m.label.startswith("Correct"))   # the technical term is in help
    fig = _figures(at)[0]
    traces = {t["name"]: t for t in fig["data"]}
    shared, nn, csls = traces[charts.SHARED_NAME], traces[charts.NN_NAME], traces[charts.CSLS_NAME]
    # not just a grey dash: three colours and three marker symbols
    assert len({shared["line"]["color"], nn["line"]["color"], csls["line"]["color"]}) == 3
    assert len({shared["marker"]["symbol"], nn["marker"]["symbol"], csls["marker"]["symbol"]}) == 3
    star = traces["best iteration"]
    best = int(np.argmax(csls["y"]))
    assert star["x"] == [csls["x"][best]] and star["y"] == [csls["y"][best]]
    ya = fig["layout"]["yaxis"]
    labels = charts.percent_tick_labels({"dtick": ya["dtick"], "range": ya["range"], "tickformat": ya["tickformat"]})
    assert len(set(labels)) == len(labels)


def test_converged_after_a_fall_is_not_a_success(opened):
    at = opened
    at.switch_page("views/selflearning.py").run()
    learner = at.session_state["lab"].run.learner
    while learner.current.iteration < 2:
        at.button(key="b_step").click().run()
    # the engine says "converged" while accuracy is below an earlier iteration: mark it by hand (the UI's job)
    learner.history[-1] = dataclasses.replace(learner.history[-1], converged=True, bli=learner.history[0].bli)
    at.run()
    _clean(at)
    assert not any("Converged" in s.value for s in at.success)
    assert any("not the accuracy" in w.value and "best iteration" in w.value for w in at.warning)
    at.button(key="b_reset").click().run()


# --- item 4: branches side by side -----------------------------------------------------------------

def test_branch_keeps_the_earlier_run_on_the_chart(opened):
    at = opened
    at.switch_page("views/selflearning.py").run()
    at.button(key="b_reset").click().run()
    at.button(key="b_step").click().run()
    at.button(key="b_step").click().run()
    at.slider(key="w_iter").set_value(1).run()
    at.selectbox(key="sl_branch_retrieval_1").set_value("nn")
    at.button(key="b_branch").click().run()
    _clean(at)
    run = at.session_state["lab"].run
    old = run.branches[-1]
    assert run.mixed_from == 1 and "it" not in at.query_params   # not replayable from its settings
    assert old["branch_point"] == 1 and len(old["records"]) == 3 and old["records"][2] is not run.learner.history[2]
    fig = _figures(at)[0]
    names = [t["name"] for t in fig["data"]]
    assert old["label"] in names and charts.CSLS_NAME in names           # both runs on one chart
    earlier = next(t for t in fig["data"] if t["name"] == old["label"])
    assert earlier["x"] == [0, 1, 2]
    assert any(a.get("text", "").strip() == "branch at 1" for a in fig["layout"]["annotations"])


# --- item 5: the scene in the URL, run files -------------------------------------------------------

def test_a_shared_link_restores_the_run():
    first = _new_app()
    first.button(key="b_step").click().run()
    first.button(key="b_step").click().run()
    _clean(first)
    query = {k: first.query_params[k] for k in first.query_params}
    assert query["pair"] == "en-fr" and query["vocab"] == str(VOCAB) and query["it"] == "2"
    a = first.session_state["lab"].run.learner

    second = _new_app(query)   # a new session opening the shared link
    _clean(second)
    b = second.session_state["lab"].run.learner
    assert b.current.iteration == 2 and second.session_state["w_iter"] == 2
    for ra, rb in zip(a.history, b.history):   # recomputed deterministically
        assert np.array_equal(ra.src_idx, rb.src_idx) and np.array_equal(ra.tgt_idx, rb.tgt_idx)
        assert ra.bli["csls"].p_at_1 == rb.bli["csls"].p_at_1

    third = _new_app(query)    # the same link again: its own learner on the server-wide run's records
    c = third.session_state["lab"].run.learner
    assert c is not b and c.history is not b.history and c.current.iteration == 2
    with pytest.raises(ValueError):   # shared records are read-only: a write fails instead of reaching b
        c.history[2].tgt_idx[0] = 0
    assert np.array_equal(c.current.tgt_idx, b.current.tgt_idx)
    third.button(key="b_step").click().run()
    assert c.current.iteration == 3 and b.current.iteration == 2     # sessions never share a run

    bad = _new_app({"pair": "en-fr", "vocab": str(VOCAB), "k": "many"})
    _clean(bad)
    assert any("k=many" in w.value for w in bad.warning)
    assert bad.session_state["lab"].run.config.csls_k == 10


def test_run_zip_round_trip_and_run_file_page(opened):
    from app import share

    at = opened
    at.switch_page("views/selflearning.py").run()
    lab = at.session_state["lab"]
    at.button(key="b_reset").click().run()   # earlier tests branched this run: start a clean one
    at.button(key="b_step").click().run()
    view = lab.run.learner.current.iteration
    assert lab.run.mixed_from is None and lab.run.branches   # Reset keeps the old run, and this one replays
    blob = share.run_zip(lab, view)
    rf = runfile.read_run(blob)
    rec = lab.run.learner.history[view]
    assert rf.config["format"] == runfile.FORMAT and rf.config["iteration"] == view
    assert rf.config["query"]["pair"] == "en-fr"
    assert [h["iteration"] for h in rf.history] == list(range(view + 1))
    assert len(rf.dictionary) == len(rec.src_idx)
    assert rf.dictionary[0][:2] == (lab.data.src.words[rec.src_idx[0]], lab.data.tgt.words[rec.tgt_idx[0]])
    assert rf.src.words == lab.data.src.words and rf.src.dim == rf.tgt.dim
    assert rf.history[-1]["bli"]["csls"]["p_at_1"] == pytest.approx(rec.bli["csls"].p_at_1)

    at.session_state["run_file"] = ("run.zip", rf)   # what the page's uploader stores
    at.switch_page("views/runfile.py").run()
    _clean(at)
    assert _metric(at, "Dictionary pairs") == f"{int(rec.dictionary_size):,}"     # distinct, as Self-learning counts
    assert len(at.get("plotly_chart")) == 1
    at.text_input(key="w_runfile_word").set_value("two").run()
    assert "deux" in list(at.dataframe[-1].value["target"])[:5]

    # "Replay this run in the lab": a fresh run from the file's settings, stepped to its iteration
    p1 = rec.bli["csls"].p_at_1
    at.button(key="b_runfile_replay").click().run()
    _clean(at)
    lab = at.session_state["lab"]
    assert lab.run.learner.current.iteration == view and at.session_state["w_iter"] == view
    assert lab.run.learner.history[view].bli["csls"].p_at_1 == p1 and not lab.run.branches


def test_clwe_replay_reproduces_a_lab_run(opened, tmp_path, capsys):
    from app import share
    from core.cli import main

    at = opened
    at.switch_page("views/selflearning.py").run()
    at.button(key="b_reset").click().run()
    at.button(key="b_step").click().run()
    lab = at.session_state["lab"]
    (tmp_path / "lab.zip").write_bytes(share.run_zip(lab, 1))
    code = main(["replay", str(tmp_path / "lab.zip"), "--out", str(tmp_path / "cli")])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["iterations_identical"] == 2 and out["dictionary_identical"], out
    again = runfile.read_run(tmp_path / "cli" / "run.zip")
    assert again.history[1]["bli"]["csls"]["p_at_1"] == pytest.approx(lab.run.learner.history[1].bli["csls"].p_at_1)


# --- item 6: export -----------------------------------------------------------------------------------

def test_export_png_and_svg_at_projector_size():
    rows = [{"iteration": i, "p1_nn": 0.1 * i, "p1_csls": 0.12 * i, "size": 100 + i, "objective": 0.5,
             "shared": 0.05 * i} for i in range(4)]
    fig = charts.learning_curves(rows, 2)
    png = export.figure_bytes(fig, "png", 1280, 720)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (1280, 720) and len(png) > 20_000
    svg = export.figure_bytes(fig, "svg", 1920, 1080).decode()
    assert svg.startswith("<svg") and 'width="1920"' in svg and "correct (CSLS)" in svg


def test_learning_curves_draw_refinement_rounds_as_later_iterations():
    """Without gold the rounds show the held-out score that judged them; the kept round is ringed, and a kept
    start is said on the chart."""
    rows = [{"iteration": i, "p1_nn": None, "p1_csls": None, "size": 100 + i, "objective": 0.5,
             "shared": 0.05 * i} for i in range(4)]
    rounds = [{"round": k, "p1_csls": None, "score": s, "pairs": 900 + k, "kept": k == 1}
              for k, s in enumerate([0.30, 0.42, 0.40])]
    fig = charts.learning_curves(rows, 3, refinement=rounds).to_plotly_json()
    trace = next(t for t in fig["data"] if t["name"] == "held-out identical words (refinement)")
    assert list(trace["x"]) == [4, 5] and list(trace["y"]) == [0.42, 0.40]
    assert list(trace["marker"]["line"]["width"]) == [3, 0]
    assert list(fig["layout"]["xaxis"]["ticktext"][-2:]) == ["R1", "R2"]
    assert fig["layout"]["yaxis"]["range"][1] >= 0.42
    none_kept = [dict(r, kept=r["round"] == 0) for r in rounds]
    fig = charts.learning_curves(rows, 3, refinement=none_kept).to_plotly_json()
    assert any("start kept" in a["text"] for a in fig["layout"]["annotations"])


# --- item 7: small snags -------------------------------------------------------------------------------

def test_seed_page_shows_the_cutoff_the_run_uses(opened):
    at = opened
    at.switch_page("views/seed.py").run()
    _clean(at)
    used = at.session_state["lab"].run.config.cutoff
    assert used == VOCAB and at.number_input(key="w_cutoff").value == used


def test_typing_a_word_after_clicking_a_neighbour_looks_it_up(opened):
    at = opened
    at.switch_page("views/inspector.py").run()
    at.text_input(key="w_insp_word").set_value("two").run()
    at.button(key="b_insp_csls_0").click().run()          # a French neighbour: the direction flips
    assert at.session_state["w_insp_side"] == "target → source"
    at.text_input(key="w_insp_word").set_value("dog").run()
    _clean(at)
    assert at.session_state["w_insp_side"] == "source → target"
    assert not at.warning, [w.value for w in at.warning]


def test_synthetic_pair_has_its_own_words_and_starts_low():
    at = _new_app()
    at.switch_page("views/data.py").run()
    at.radio(key="w_data_source").set_value("Synthetic pair").run()
    at.number_input(key="w_max_vocab").set_value(2000).run()
    at.button(key="b_load_synthetic").click().run()
    _clean(at)
    lab = at.session_state["lab"]
    assert not set(lab.data.src.words) & set(lab.data.tgt.words)
    assert lab.data.tgt.name == "mirror-en" and "*" not in lab.data.label
    learner = lab.run.learner
    start = learner.current.bli["csls"].p_at_1
    assert start < 0.2
    at.switch_page("views/selflearning.py").run()
    for _ in range(5):
        at.button(key="b_step").click().run()
    assert learner.current.bli["csls"].p_at_1 > start + 0.3   # something moves


# --- item 8: hubness ---------------------------------------------------------------------------------

def test_hubness_view(opened):
    at = opened
    at.switch_page("views/analysis.py").run()
    at.button(key="b_hubness").click().run()
    _clean(at)
    nn_max = int(_metric(at, "Biggest hub (nearest)").replace(",", ""))
    cs_max = int(_metric(at, "Biggest hub (CSLS)").replace(",", ""))
    assert nn_max > cs_max > 0    # CSLS spreads the neighbours out
    table = at.dataframe[-1].value
    assert list(table.iloc[:, 1]) == sorted(table.iloc[:, 1], reverse=True) and table.iloc[0, 1] == nn_max
    fig = next(f for f in _figures(at) if f["data"][0]["type"] == "histogram")
    assert {t["name"] for t in fig["data"]} == {"nearest neighbour", "CSLS"}
