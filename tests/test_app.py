"""The Streamlit app through streamlit.testing.v1.AppTest: every page, on the bundled en-fr pair.

AppTest cannot upload files, so the upload path is covered three ways: app.uploads is called with bytes and
a file name (tests/test_app_uploads.py); here a tiny script runs the app's own error guard around
actions.load_upload with bad bytes, to check the st.error and that the previous run survives (and one test
loads a small upload through actions and opens every page on it); and tests/test_browser.py uploads a broken
and then good files through the real st.file_uploader in Chromium.
"""

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app" / "streamlit_app.py")
TIMEOUT = 120


def _metric(at, label):
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r} among {[m.label for m in at.metric]}"
    return values[0]


def _percent(text):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)%", text)
    assert m, f"not a percentage: {text!r}"
    return float(m.group(1))


def _new_app():
    """A fresh session on en-fr cut to 5,000 words per side, so that steps take about a second."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["w_max_vocab"] = 5000
    at.session_state["w_cutoff"] = 5000
    return at.run()


def _clean(at):
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture(scope="module")
def opened():
    """One session opened on the default page (a fresh AppTest is costly: it loads and aligns)."""
    at = _new_app()
    _clean(at)
    return at


def test_default_pair_opens_with_a_chart(opened):
    at = opened
    lab = at.session_state["lab"]
    assert lab.data.label == "en-fr" and lab.run is not None
    assert not at.error, [e.value for e in at.error]
    assert at.header[0].value.startswith("Self-learning")
    assert len(at.get("plotly_chart")) >= 1  # the learning curves, with no click
    _percent(_metric(at, "Correct (CSLS)"))


def test_two_steps_then_rewind_changes_the_dictionary():
    at = _new_app()
    _clean(at)
    assert _metric(at, "Iteration") == "0 / 0"
    at.button(key="b_step").click().run()
    at.button(key="b_step").click().run()
    _clean(at)
    assert _metric(at, "Iteration") == "2 / 2"
    p1 = _percent(_metric(at, "Correct (CSLS)"))
    assert 0.0 <= p1 <= 100.0
    table_at_2 = at.dataframe[0].value
    size_at_2 = _metric(at, "Dictionary size")

    at.slider(key="w_iter").set_value(0).run()
    _clean(at)
    assert _metric(at, "Iteration") == "0 / 2"
    assert at.warning and "Viewing iteration 0 of 2" in at.warning[0].value
    table_at_0 = at.dataframe[0].value
    assert size_at_2 != _metric(at, "Dictionary size") or not table_at_0.equals(table_at_2)

    # Step from the rewound iteration: a branch replaces iterations 1-2.
    at.button(key="b_step").click().run()
    _clean(at)
    assert _metric(at, "Iteration") == "1 / 1"


def test_widget_change_and_other_session_keep_runs():
    a = _new_app()
    b = _new_app()
    a.button(key="b_step").click().run()
    uid = a.session_state["lab"].run.uid
    # A setting changed without clicking Build does not touch the run.
    a.switch_page("views/seed.py").run()
    a.selectbox(key="w_seed_strategy").set_value("numerals").run()
    _clean(a)
    assert a.session_state["lab"].run.uid == uid
    assert a.session_state["lab"].run.learner.current.iteration == 1
    # Session b never saw a's step.
    b.run()
    assert b.session_state["lab"].run.uid != uid
    assert b.session_state["lab"].run.learner is not a.session_state["lab"].run.learner
    assert b.session_state["lab"].run.learner.current.iteration == 0


def test_data_page_shows_sizes_and_coverage(opened):
    at = opened
    at.switch_page("views/data.py").run()
    _clean(at)
    assert _metric(at, "Source words (en)") == "5,000"
    assert _metric(at, "Target dimensions") == "300"
    cov = at.table[0].value
    assert list(cov.index) == ["train", "test"] and (cov["pairs in both vocabularies"] > 0).all()


def test_seed_page_table_and_share_correct(opened):
    at = opened
    at.switch_page("views/seed.py").run()
    _clean(at)
    assert not at.error, [e.value for e in at.error]
    assert int(_metric(at, "Seed pairs").replace(",", "")) == 100   # the default: 100 random training pairs
    assert _percent(_metric(at, "Correct vs gold")) == 100.0
    table = at.dataframe[0].value
    assert {"source", "target", "gold"} <= set(table.columns)
    assert set(table["gold"]) == {"✓ correct"}   # 100 random pairs of the training dictionary


def _build_seed(at, strategy, **numbers):
    """On the Seed page: choose a strategy, set its number inputs (by widget key), build the seed."""
    at.switch_page("views/seed.py").run()
    at.selectbox(key="w_seed_strategy").set_value(strategy).run()
    for key, value in numbers.items():
        at.number_input(key=key).set_value(value).run()
    at.button(key="b_build_seed").click().run()
    _clean(at)
    return at


def test_build_a_random_seed(opened):
    at = _build_seed(opened, "random", w_seed_n=50)
    run = at.session_state["lab"].run
    assert run.seed.strategy == "random" and len(run.seed.pairs) == 50


@pytest.mark.parametrize("method", ["pca", "tsne", "umap"])
def test_projection_renders(opened, method):
    at = opened
    at.switch_page("views/projections.py").run()
    at.slider(key="w_proj_n").set_value(10)
    at.text_input(key="w_proj_search").set_value("dog")
    at.radio(key="w_proj_method").set_value(method).run()
    _clean(at)
    assert not at.error, [e.value for e in at.error]
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    after = json.loads(charts[1].proto.spec)
    words = [w for trace in after["data"] if trace.get("mode", "").startswith("markers") for w in trace["text"]]
    assert "dog" in words and "chien" in words   # searched word and its gold translation
    assert len(words) >= 20
    lines = [t for t in after["data"] if t.get("mode") == "lines"]
    assert lines and all(t["name"] in ("correct pair", "wrong pair", "pair") for t in lines)


def test_similarity_chart_has_three_curves(opened):
    at = opened
    at.switch_page("views/similarity.py").run()
    _clean(at)
    assert [at.text_input(key=f"w_sim_word_{k}").value for k in range(3)] == ["two", "deux", "chien"]
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(fig["data"]) == 3
    scores = at.dataframe[0].value["second-order similarity"]
    assert len(scores) == 3 and scores.between(-1, 1).all()
    assert any("point of view" in m.value for m in at.markdown)
    at.radio(key="w_sim_curve").set_value("normalised second-order signatures").run()
    _clean(at)
    assert len(json.loads(at.get("plotly_chart")[0].proto.spec)["data"]) == 3


def test_inspector_neighbours_and_click_goes_back(opened):
    at = opened
    at.switch_page("views/inspector.py").run()
    at.text_input(key="w_insp_word").set_value("dog").run()
    _clean(at)
    assert at.subheader[0].value.startswith("Nearest neighbour")
    first = at.button(key="b_insp_csls_0")
    target_word = first.label.split(".", 1)[1].split("·")[0].replace("✓", "").strip()
    first.click().run()
    _clean(at)
    assert at.text_input(key="w_insp_word").value == target_word
    assert at.radio(key="w_insp_side").value == "target → source"


def test_analysis_by_band(opened):
    at = opened
    at.switch_page("views/analysis.py").run()
    _clean(at)
    assert len(at.get("plotly_chart")) >= 1


def _bad_upload_script():
    import streamlit as st

    from app import actions, ui
    from app.state import init_session

    lab = init_session()
    actions.ensure_default(lab)
    if st.button("upload", key="b_up"):
        with ui.guard("Loading the uploads", (lab, "data_error")):
            actions.load_upload(lab, (b"hello world\nnot a vector\n", "bad.vec"), (b"", "empty.vec"), None, None,
                                1000)
    ui.show_stored_error(lab, "data_error")
    st.write(lab.run.uid if lab.run else "no run")


def test_bad_upload_shows_error_and_keeps_previous_run():
    at = AppTest.from_function(_bad_upload_script, default_timeout=TIMEOUT)
    at.session_state["w_max_vocab"] = 5000
    at.run()
    _clean(at)
    uid = at.session_state["lab"].run.uid
    at.button(key="b_up").click().run()
    _clean(at)
    assert at.error and "bad.vec" in at.error[0].value
    assert "Traceback" not in at.error[0].value
    assert at.session_state["lab"].run.uid == uid and at.session_state["lab"].data.label == "en-fr"


def test_bli_against_seed_size(opened):
    at = opened
    at.switch_page("views/analysis.py").run()
    at.multiselect(key="w_an_sizes").set_value([25, 250]).run()
    at.button(key="b_seed_sizes").click().run()
    _clean(at)
    assert not at.error, [e.value for e in at.error]
    fig = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert fig["data"][0]["x"] == [25, 250]
    assert all(0 <= y <= 1 for y in fig["data"][0]["y"])


def test_run_n_then_reset(opened):
    at = opened
    at.switch_page("views/selflearning.py").run()
    start = at.session_state["lab"].run.learner.current.iteration
    at.number_input(key="w_run_n").set_value(2)
    at.button(key="b_run_n").click().run()
    _clean(at)
    assert at.session_state["lab"].run.learner.current.iteration == start + 2
    assert _metric(at, "Iteration") == f"{start + 2} / {start + 2}"
    at.button(key="b_diagnose").click().run()
    _clean(at)
    rec = at.session_state["lab"].run.learner.current
    assert rec.diagnostics   # the engine's diagnosis is attached and shown one way or the other
    banner = [e.value for e in at.error if "Collapse check" in e.value] + [i.value for i in at.info if "diagnosis" in i.value]
    assert len(banner) == 1
    at.button(key="b_reset").click().run()
    _clean(at)
    assert _metric(at, "Iteration") == "0 / 0"


def test_collapse_banner(opened):
    # The engine sets record.collapse when an alignment fails; here one record is marked by hand
    # to check that the page says so (the UI's job), not to claim a collapse happened.
    import dataclasses

    at = opened
    at.switch_page("views/selflearning.py").run()
    at.button(key="b_step").click().run()   # the marked record is dropped again by Reset below
    learner = at.session_state["lab"].run.learner
    learner.history[-1] = dataclasses.replace(learner.history[-1], collapse="the dictionary is all hubs")
    at.run()
    _clean(at)
    from app.ui import COLLAPSE_SENTENCE

    # one short sentence, once (the sidebar); the engine's reasons folded on the page
    assert [e.value for e in at.error].count(COLLAPSE_SENTENCE) == 1
    assert not any("all hubs" in e.value for e in at.error)
    assert any("Collapse check" in m.value and "all hubs" in m.value for m in at.markdown)
    at.button(key="b_reset").click().run()


def test_isomorphism_diagnostics(opened):
    at = opened
    at.switch_page("views/analysis.py").run()
    at.number_input(key="w_iso_n").set_value(200).run()
    at.button(key="b_iso").click().run()
    _clean(at)
    assert not at.error, [e.value for e in at.error]
    report = at.dataframe[-3].value if len(at.dataframe) >= 3 else None
    assert report is not None and len(report) == 4
    assert all(v != "–" for v in report["value"])
    at.selectbox(key="w_iso_word").set_value("two").run()
    assert any("two →" in m.value for m in at.markdown)


def test_adversarial_seed_plots_losses(opened):
    at = _build_seed(opened, "adversarial", w_seed_epochs=2, w_seed_epoch_size=2000)
    assert not at.error, [e.value for e in at.error]
    run = at.session_state["lab"].run
    assert run.seed.strategy == "adversarial"
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [t["name"] for t in fig["data"]] == ["generator (mapping W)", "discriminator"]
    assert len(fig["data"][0]["y"]) == 2


def test_branch_with_other_retrieval(opened):
    at = opened
    at.switch_page("views/selflearning.py").run()
    at.button(key="b_step").click().run()
    at.button(key="b_step").click().run()
    at.slider(key="w_iter").set_value(1).run()
    at.selectbox(key="sl_branch_retrieval_1").set_value("nn")
    at.button(key="b_branch").click().run()
    _clean(at)
    learner = at.session_state["lab"].run.learner
    assert learner.config.retrieval == "nn" and learner.current.iteration == 2
    assert _metric(at, "Iteration") == "2 / 2"
    at.button(key="b_reset").click().run()


def test_final_mapping(opened):
    at = opened
    at.switch_page("views/selflearning.py").run()
    at.button(key="b_step").click().run()
    at.button(key="b_final").click().run()
    _clean(at)
    assert not at.error, [e.value for e in at.error]
    assert any("Final multistep mapping" in s.value and "correct (CSLS)" in s.value for s in at.success)
    at.button(key="b_reset").click().run()


def test_select_mapping(opened):
    at = opened
    at.switch_page("views/selflearning.py").run()
    at.button(key="b_step").click().run()
    at.button(key="b_select").click().run()
    _clean(at)
    assert not at.error, [e.value for e in at.error]
    text = [i.value for i in at.info if "Kept" in i.value]
    assert text and "identically spelled words" in text[0] and "Test P@1 of the kept mapping" in text[0]
    at.button(key="b_reset").click().run()


def test_refine_mapping(opened):
    """The contrastive refinement button: the rounds as rows with their held-out score, the kept one marked."""
    at = opened
    at.switch_page("views/selflearning.py").run()
    at.button(key="b_step").click().run()
    at.button(key="b_refine").click().run()
    _clean(at)
    assert not at.error, [e.value for e in at.error]
    text = [i.value for i in at.info if "Kept" in i.value and "held out" in i.value]
    assert text, [i.value for i in at.info]
    rows = at.session_state["refine_eval"][1]["rows"]
    assert [r["round"] for r in rows] == [0, 1, 2] and sum(r["kept"] for r in rows) == 1
    kept = next(r for r in rows if r["kept"])
    assert kept["held-out score"] == max(r["held-out score"] for r in rows)
    assert f"{kept['held-out score']:.4f}" in text[0]            # the paragraph names the kept round's score
    assert all("test P@1 CSLS" in r for r in rows)
    # the rounds follow the last iteration on the learning curves, as iterations R1, R2, their test P@1 drawn
    import json

    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    trace = next(t for t in fig["data"] if t["name"] == "refinement round (CSLS)")
    last = at.session_state["lab"].run.learner.current.iteration
    assert trace["x"] == [last + 1, last + 2]
    assert [round(100 * y, 1) for y in trace["y"]] == [r["test P@1 CSLS"] for r in rows[1:]]
    assert fig["layout"]["xaxis"]["ticktext"][-2:] == ["R1", "R2"]
    # the Projections page offers the refined mapping: its title names it, its green lines are the test pairs
    # that mapping translates right (its own BLI, not the slider iteration's)
    at.switch_page("views/projections.py").run()
    at.slider(key="w_proj_n").set_value(40)
    at.radio(key="w_proj_method").set_value("pca")
    at.radio(key="w_proj_links").set_value("gold (test dictionary)")
    at.radio(key="w_mapping_shown").set_value("refined").run()
    _clean(at)
    view, data = at.session_state["refine_eval"][1]["view"], at.session_state["lab"].data
    after = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert view.label in json.dumps(after["layout"]["title"])
    assert any(f"test P@1 {100 * view.bli['csls'].p_at_1:.1f}%" in c.value for c in at.caption)
    if kept["round"] > 0:   # a kept round: the table's row (round 0 is the start refitted without held-out words)
        assert round(100 * view.bli["csls"].p_at_1, 1) == kept["test P@1 CSLS"]
    src_words = set(next(t for t in after["data"] if t["name"] == data.src.name)["text"])
    tgt_words = set(next(t for t in after["data"] if t["name"] == data.tgt.name)["text"])
    rank = {w.src: w.gold_rank for w in view.bli["csls"].per_word}
    drawn = [s for s, t in data.test if s in src_words and t in tgt_words and s in rank]
    lines = {t["name"]: len(t["x"]) // 3 for t in after["data"] if t["name"] in ("correct pair", "wrong pair")}
    assert drawn and lines.get("correct pair", 0) == sum(rank[s] == 1 for s in drawn)
    assert lines.get("wrong pair", 0) == sum(rank[s] != 1 for s in drawn)
    # induced-dictionary lines: the dictionary the refined mapping induces (computed on first use)
    at.radio(key="w_proj_links").set_value("induced dictionary").run()
    _clean(at)
    learner = at.session_state["lab"].run.learner
    import numpy as np

    assert np.array_equal(view.src_idx, learner.induced(view.mapping).src)
    after = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert sum(len(t["x"]) for t in after["data"] if t["name"] in ("correct pair", "wrong pair", "pair")) > 0
    # the Inspector shares the choice: its cosine neighbours are the refined mapping's
    word = "two"
    at.session_state["w_insp_word"], at.session_state["w_insp_side"] = word, "source → target"
    at.switch_page("views/inspector.py").run()
    _clean(at)
    assert any(c.value.startswith(view.label[:1].upper() + view.label[1:]) for c in at.caption)
    learner = at.session_state["lab"].run.learner
    first = learner.translate(word, k=1, mapping=view.mapping)[0][0]
    assert at.button(key="b_insp_nn_0").label.split("  ·  ")[0].split(" ", 1)[1].lstrip("✓ ") == first
    at.radio(key="w_mapping_shown").set_value("iteration").run()
    at.button(key="b_reset").click().run()


def test_every_page_on_a_small_upload():
    """Uploaded spaces (40 words, 6 and 8 dims, no test dictionary): every page works or says why not."""
    import numpy as np

    from app import actions

    def vec(prefix, dim, seed):
        rng = np.random.default_rng(seed)
        rows = [f"{prefix}{i} " + " ".join(f"{x:.4f}" for x in rng.normal(size=dim)) for i in range(40)]
        return ("\n".join(rows) + "\n").encode()

    at = _new_app()
    lab = at.session_state["lab"]
    train = "".join(f"s{i} t{i}\n" for i in range(30)).encode()
    actions.load_upload(lab, (vec("s", 6, 0), "s.vec"), (vec("t", 8, 1), "t.vec"), (train, "train.txt"), None, None)
    at.session_state["w_seed_strategy"] = "dictionary"
    at.run()
    _clean(at)
    assert lab.run is not None and len(lab.run.seed.pairs) == 30
    at.button(key="b_step").click().run()
    for page in ("data", "seed", "selflearning", "projections", "similarity", "inspector", "analysis"):
        at.switch_page(f"views/{page}.py").run()
        _clean(at)
    at.switch_page("views/inspector.py").run()
    at.text_input(key="w_insp_word").set_value("s3").run()
    _clean(at)
    assert at.subheader[0].value.startswith("Nearest neighbour")


def test_projection_animation(opened):
    at = opened
    at.switch_page("views/selflearning.py").run()
    at.button(key="b_step").click().run()
    at.switch_page("views/projections.py").run()
    at.slider(key="w_proj_n").set_value(10)
    at.radio(key="w_proj_method").set_value("pca")
    at.toggle(key="w_proj_anim").set_value(True).run()
    _clean(at)
    assert not at.error, [e.value for e in at.error]
    anim = json.loads(at.get("plotly_chart")[-1].proto.spec)
    n_iter = at.session_state["lab"].run.learner.current.iteration
    assert len(anim["frames"]) == n_iter + 1 and anim["layout"]["sliders"]
    at.toggle(key="w_proj_anim").set_value(False).run()


def test_seed_size_with_unsupervised_reference():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["w_max_vocab"] = 3000
    at.session_state["w_max_iter"] = 2   # a short unsupervised run: this checks the wiring, not the result
    at.run()
    at.switch_page("views/analysis.py").run()
    at.multiselect(key="w_an_sizes").set_value([50, 500])
    at.radio(key="w_an_ref").set_value("a fully unsupervised run (computed here)").run()
    at.button(key="b_unsup_ref").click().run()
    at.button(key="b_seed_sizes").click().run()
    _clean(at)
    assert not at.error, [e.value for e in at.error]
    fig = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert fig["data"][0]["x"] == [50, 500]
    ref = [a for a in fig["layout"].get("annotations", []) if "unsupervised" in a.get("text", "")]
    assert ref, "no unsupervised reference line"


def test_gromov_wasserstein_seed_plots_objective(opened):
    at = _build_seed(opened, "gromov-wasserstein", w_seed_gw_n=200)
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["lab"].run.seed.strategy == "gromov-wasserstein"
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert fig["data"][0]["name"] == "GW objective" and len(fig["data"][0]["y"]) >= 1
