"""The Lessons page through AppTest: one click per figure, the chart exists, and its data shows the trend
the scene claims (or the scene says plainly that the data disagrees).

The charts' numbers are read back from the plotly figure the page sent, not from the scene code. Long
runs (F4, F6, F8) come from app/lesson_results.json; test_precomputed_run_matches_a_fresh_run re-runs the
first F4 iterations to check that file against the engine.
"""

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app import lesson_charts as lc
from app import scenes
from app.lessons import BY_ID, SCENES
from core.evaluate import difference_se
from app.scenes import _rounded as stored      # the precision app/lesson_results.json keeps (6 digits)

APP = str(Path(__file__).resolve().parent.parent / "app" / "streamlit_app.py")


@pytest.fixture(scope="module")
def lessons():
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["w_max_vocab"] = 5000   # the default run of the lab, small: these tests are about lessons
    at.session_state["w_cutoff"] = 5000
    at.run()
    at.switch_page("views/lessons.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open(at, scene_id):
    at.button(key=f"lesson_{scene_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["lesson"] == scene_id
    return at


def _figure(at) -> dict:
    charts = at.get("plotly_chart")
    assert charts, "no chart on the page"
    return json.loads(charts[0].proto.spec)


def _trace(fig, name):
    hits = [t for t in fig["data"] if t.get("name") == name]
    assert hits, f"no trace {name!r} among {[t.get('name') for t in fig['data']]}"
    return hits[0]


def _verdict_box(at, holds: bool) -> str:
    """The verdict box's text and, after it, the numbers behind it the page shows beside it ("The numbers:")."""
    boxes = at.success if holds else at.warning
    texts = [b.value for b in boxes if ("agrees" in b.value) or ("disagrees" in b.value)]
    assert texts, f"no {'agreement' if holds else 'disagreement'} box"
    more = [m.value for m in at.markdown if m.value.startswith("**The numbers:** ")]
    return texts[0] + scenes.MORE + "".join(more[:1])


def test_every_figure_has_a_button(lessons):
    keys = {b.key for b in lessons.button}
    assert {f"lesson_{s.id}" for s in SCENES} <= keys
    assert [s.id for s in SCENES] == ["F2", "F3", "F4", "F6", "F7", "F8", "F9", "F12"]


def test_f2_framework_diagram_highlights_the_run(lessons):
    at = _open(lessons, "F2")
    graphs = at.get("graphviz_chart")
    assert graphs, "no diagram"
    dot = graphs[0].proto.spec
    # the default run of the lab: 100 random pairs, Procrustes: those boxes are filled, the others not
    # (a normal page: two-line option labels, so the diagram scaled to its column keeps its type large)
    assert 's_random [label="N random\\npairs" shape=box style="filled,bold"' in dot
    assert 's_unsupervised [label="unsupervised\\n(2nd-order, GAN, GW)" shape=box style="filled" fillcolor="#F2F2F2"' in dot
    assert "m_procrustes" in dot and "-> m_procrustes" in dot


def test_f3_projection_translations_interleave(lessons):
    at = _open(lessons, "F3")
    fig = _figure(at)
    res = scenes.result(BY_ID["F3"])
    n = len(res["words"])
    assert n >= 10
    # content words, not the frequent function words
    assert not {"the", "of", "and", "de", "la", "et"} & {w for pair in res["words"] for w in pair}
    assert res["same_dim"]               # both spaces 200-d skip-gram: "before" is one joint PCA too
    good = _trace(fig, "translation is nearest")
    n_good = sum(x is None for x in good["x"])          # one None ends each drawn pair
    assert n_good == sum(res["hits_after"]) and n_good > n / 2
    assert res["mixing_after"] > res["mixing_before"] + 0.3
    _verdict_box(at, True)


def test_f4_step_twice_raises_bli(lessons):
    at = _open(lessons, "F4")
    fig = _figure(at)
    assert len(_trace(fig, "CSLS retrieval")["y"]) == 1          # the seed's mapping only
    at.button(key="lesson_step").click().run()
    at.button(key="lesson_step").click().run()
    assert at.session_state["lesson_iter"] == 2
    y = _trace(_figure(at), "CSLS retrieval")["y"]
    assert len(y) == 3 and y[0] < y[1] < y[2] and y[2] > 2 * y[0]  # self-learning improves BLI, step by step
    rows = scenes.result(BY_ID["F4"])["rows"]
    assert max(r["p1_csls"] for r in rows) > rows[0]["p1_csls"] + 0.2  # and far, by the last iteration
    at.button(key="lesson_back").click().run()
    assert len(_trace(_figure(at), "CSLS retrieval")["y"]) == 2
    assert at.get("graphviz_chart"), "the loop diagram beside the curves"
    _verdict_box(at, True)


def test_f6_adversarial_losses_and_an_honest_verdict(lessons):
    at = _open(lessons, "F6")
    fig = _figure(at)
    scene = BY_ID["F6"]
    gen = _trace(fig, "generator (the map W)")["y"]
    disc = _trace(fig, "discriminator")["y"]
    assert len(gen) == len(disc) == scene.params["n_epochs"]
    assert all(np.isfinite(gen)) and all(np.isfinite(disc))
    res = scenes.result(scene)
    holds, _ = scenes.verdict(scene, res)
    assert holds == (res["seed_precision"] >= 0.2)
    _verdict_box(at, holds)
    f8 = scenes.load_precomputed().get(scenes.stored_key(BY_ID["F8"]))
    if not holds and f8 and not f8["unsup_collapse"]:   # the game fails where second-order unsupervised works
        assert any("It is this game that fails" in m.value and f"{f8['unsupervised']:.0%}" in m.value
                   for m in at.markdown)
    # the same game on an isomorphic copy, drawn dotted for comparison: there it finds real translations
    ref = res["reference"]
    assert len(_trace(fig, "generator (rotated copy)")["y"]) == scene.params["n_epochs"]
    assert ref["seed_precision"] > 0.9 and ref["seed_precision"] > res["seed_precision"]


def _numbers(text: str) -> list[str]:
    """The percentages and decimals a sentence states, as written."""
    return re.findall(r"-?\d+(?:,\d{3})*(?:\.\d+)?%?", text)


def test_f4_caption_numbers_are_the_charts(lessons):
    at = _open(lessons, "F4")
    rows = scenes.result(BY_ID["F4"])["rows"]
    at.session_state["lesson_iter"] = len(rows) - 1
    at.run()
    fig = _figure(at)
    p1 = _trace(fig, "CSLS retrieval")["y"]
    sizes = next(t for t in fig["data"] if t["type"] == "bar")["y"]
    text = _verdict_box(at, True)
    best = max(range(len(p1)), key=lambda i: (p1[i], -i))
    assert f"{p1[0]:.1%} with the seed alone, {p1[best]:.1%} at its best (iteration {best})" in text
    assert f"{p1[-1]:.1%} at iteration {len(p1) - 1}" in text
    assert f"at the seed" in text and f"{sizes[-1]:,} at iteration {len(sizes) - 1}" in text
    peak = max(range(len(sizes)), key=lambda i: (sizes[i], -i))
    if sizes[peak] > sizes[-1]:           # the bars go up then down: the sentence says both
        assert f"grows to {sizes[peak]:,} at iteration {peak}, then shrinks to {sizes[-1]:,}" in text
    shown = [m.value for m in at.markdown if m.value.startswith(f"**Iteration {len(p1) - 1}:**")][0]
    assert f"P@1 {p1[-1]:.1%}, dictionary {sizes[-1]:,} pairs" in shown


def test_f7_two_due_cane_works_and_the_differently_trained_pair_is_said_to_fail(lessons):
    at = _open(lessons, "F7")
    fig = _figure(at)
    res = scenes.result(BY_ID["F7"])
    alike, different = res["panels"]
    assert alike["pair"] == "doc_en-doc_it" and alike["words"] == ["two", "due", "cane"]
    assert different["pair"] == "en-fr"
    names = [t["name"] for t in fig["data"]]
    assert names[:3] == ["two: the word", "due / deux: its translation", "cane / chien: an unrelated word"]
    # the chart's curves are the result's, and without the word itself (no cosine 1 at rank 1)
    at.radio(key="lesson_f7_kind").set_value("raw sorted cosines").run()
    fig = _figure(at)
    assert fig["data"][0]["y"] == alike["curves"][0] and max(fig["data"][0]["y"]) < 0.99
    # the title says what is plotted, from the words drawn
    assert any("sorted similarities of two, due, cane and two, deux, chien to the 4,000 most frequent" in m.value
               for m in at.markdown)
    holds, text = scenes.verdict(BY_ID["F7"], res)
    assert holds == (alike["second_order"]["translation"] > alike["second_order"]["unrelated"]
                     and alike["translation_rank"] <= 0.1 * alike["n"])
    assert f"{alike['second_order']['translation']:.2f}" in _verdict_box(at, holds)
    failed = not scenes.panel_works(different)
    assert any(scenes.contrast_sentence(different) in m.value for m in at.markdown)
    assert ("a failure" in scenes.contrast_sentence(different)) == failed
    assert ("fails" in fig["layout"]["annotations"][1]["text"]) == failed
    # the same number on the Similarity page: tests/test_lesson_pages.py


def test_f8_like_for_like_with_and_without_self_learning(lessons):
    at = _open(lessons, "F8")
    fig = _figure(at)
    res = scenes.result(BY_ID["F8"])
    with_sl = _trace(fig, "N pairs, with self-learning")
    without = _trace(fig, "N pairs, without self-learning")
    assert with_sl["x"] == without["x"] == [r["n"] for r in res["rows"]]
    assert with_sl["y"] == [r["p1_sl"] for r in res["rows"]] and without["y"] == [r["p1"] for r in res["rows"]]
    # 2,500 and 5,000 either drawn or said why not
    for n in (2500, 5000):
        assert n in with_sl["x"] or n in res["dropped"]
    unsup = fig["layout"]["shapes"][0]["y0"]
    assert unsup == res["unsupervised"]
    holds, text = scenes.verdict(BY_ID["F8"], res)
    box = _verdict_box(at, holds)
    near = [y for x, y in zip(with_sl["x"], with_sl["y"]) if 500 <= x <= 1000]
    # like for like (with self-learning), and by more than 2 standard errors: a tie is not a win
    assert holds == (any(scenes.beats(y, unsup, res["n_test"]) for y in near) and not res["unsup_collapse"])
    if not holds and not res["unsup_collapse"]:     # said to be a tie, with the standard error
        se = difference_se(max(near), unsup, res["n_test"])
        assert f"one is {100 * se:.1f} points on {res['n_test']:,} test words" in box.split(scenes.MORE)[0]
    assert f"{unsup:.1%}" in box
    for x, y in zip(with_sl["x"], with_sl["y"]):
        assert f"{x:,} → {y:.1%}" in box
    # the chart writes the same numbers under each N (blue tick labels), not rounded otherwise
    # (two sizes closer than 15% share one label, so that they do not print over each other)
    ticks = fig["layout"]["xaxis"]["ticktext"]
    assert len(ticks) == len(with_sl["x"])
    for k, (tick, x, y) in enumerate(zip(ticks, with_sl["x"], with_sl["y"])):
        shared = tick or ticks[k - 1]
        assert f"{x:,}" in shared.split("<br>")[0] and f"{y:.1%}" in shared and f"{x:,} → {y:.1%}" in box
        assert tick or with_sl["x"][k] < 1.15 * with_sl["x"][k - 1]
    if res["dropped"]:
        assert f"{res['available']:,} pairs in both vocabularies" in box


def test_f9_measures_with_a_scale_and_which_predicts_unsupervised_success(lessons):
    at = _open(lessons, "F9")
    fig = _figure(at)
    res = scenes.result(BY_ID["F9"])
    names = list(res["reports"])
    assert res["kinds"][names[0]] == "isomorphic" and "isomorphic" in names[0]
    for trace, (key, *_rest) in zip(fig["data"], scenes.ISO_MEASURES):
        assert trace["x"] == [res["reports"][n][key] for n in names]    # the bars are the reports
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert all(("1 = isomorphic" in t) or ("0 = isomorphic" in t) for t in titles)
    holds, text = scenes.verdict(BY_ID["F9"], res)
    assert res["predicts"] == scenes.predictors(res["reports"], res["outcomes"])
    assert holds == (any(res["predicts"].values()) and text.startswith("Every real pair"))
    _verdict_box(at, holds)
    # the outcome under the chart is the one the rule used, per pair
    for n, o in res["outcomes"].items():
        assert o["works"] == scenes.unsup_works(o)
        assert any(f"**{n}**: unsupervised {'works' if o['works'] else 'fails'} ({o['p1']:.1%})" in m.value
                   for m in at.markdown)
    # the bars' colours are the outcomes: green works, red fails, grey the isomorphic copy
    colours = fig["data"][0]["marker"]["color"]
    assert [c for n, c in zip(names, colours) if n in res["outcomes"]] == \
        [lc.OK_COLOR if res["outcomes"][n]["works"] else lc.BAD_COLOR for n in names if n in res["outcomes"]]
    # consistent with F8: the pair F8 runs unsupervised on is a "works" pair here iff F8's run did not collapse
    f8 = scenes.result(BY_ID["F8"])
    if BY_ID["F8"].pair in res["outcomes"]:
        assert res["outcomes"][BY_ID["F8"].pair]["works"] == (not f8["unsup_collapse"])


def test_f12_bands_and_a_plain_verdict(lessons):
    at = _open(lessons, "F12")
    fig = _figure(at)
    p1 = _trace(fig, "P@1")["y"]
    assert len(p1) >= 4
    assert p1[-1] < max(p1) - 0.05                 # the rarest band is well below the best one
    holds, _ = scenes.verdict(BY_ID["F12"], scenes.result(BY_ID["F12"]))
    text = _verdict_box(at, holds)
    if not holds:      # the scene must say where the data disagrees, and why
        assert any("Why the most frequent band is lower" in m.value for m in at.markdown)
    assert "P@1 by band" in text
    # each bar's label and tick are the verdict's numbers for that band (same rounding)
    bars = _trace(fig, "P@1")
    for label, tick, band in zip(bars["text"], bars["x"], scenes.result(BY_ID["F12"])["bands"]):
        assert label == f"{band['p1']:.1%}" and tick.endswith(f"n={band['n']}")
        assert f"{band['p1']:.1%} (n={band['n']})" in text


def test_precomputed_run_matches_a_fresh_run():
    """The F4 numbers shown come from the engine: two fresh iterations give the same P@1 and sizes."""
    scene = BY_ID["F4"]
    pre = scenes.load_precomputed()
    assert scenes.stored_key(scene) in pre, "app/lesson_results.json is out of date: run scripts/build_lessons.py"
    short = dataclasses.replace(scene, settings=tuple((k, 2 if k == "max_iter" else v) for k, v in scene.settings))
    result = scenes.compute(short)
    fresh = result["rows"]
    # the test words every P@1 is over (the verdicts' standard errors): the engine's count; F8 scores on the
    # same pair, vocabulary and test split
    assert result["n_test"] == pre[scenes.stored_key(scene)]["n_test"] == pre[scenes.stored_key(BY_ID["F8"])]["n_test"]
    assert (BY_ID["F8"].pair, BY_ID["F8"].max_vocab) == (scene.pair, scene.max_vocab)
    # exactly: the engine decides the same way on every BLAS kernel and thread count (bench/determinism.py)
    for a, b in zip(fresh, pre[scenes.stored_key(scene)]["rows"][:3]):
        assert a["size"] == b["size"]
        assert a["p1_csls"] == b["p1_csls"] and a["p1_nn"] == b["p1_nn"]
        assert a["objective"] == b["objective"] or a["iteration"] == 0     # nan before the first induction


def test_every_slow_scene_is_precomputed():
    pre = scenes.load_precomputed()
    for scene_id in ("F3", "F4", "F6", "F7", "F8", "F9", "F12"):
        assert scenes.stored_key(BY_ID[scene_id]) in pre, f"{scene_id} not precomputed: run scripts/build_lessons.py"


@pytest.mark.parametrize("scene_id", ["F3", "F7", "F12"])
def test_precomputed_cheap_scenes_match_the_engine(scene_id):
    """The file holds what the engine computes now (the same words, the same headline numbers)."""
    scene = BY_ID[scene_id]
    pre = scenes.load_precomputed()[scenes.stored_key(scene)]
    fresh = scenes.compute(scene)
    assert scenes.verdict(scene, fresh)[0] == scenes.verdict(scene, pre)[0]
    if scene_id == "F3":
        assert fresh["words"] == pre["words"] and fresh["hits_after"] == pre["hits_after"]
        assert fresh["mixing_after"] == pytest.approx(pre["mixing_after"], abs=1e-6)
    elif scene_id == "F7":
        for a, b in zip(fresh["panels"], pre["panels"]):
            assert a["second_order"] == pytest.approx(b["second_order"], abs=1e-4)
            assert a["win_rate"] == pytest.approx(b["win_rate"], abs=1e-6)
    else:
        assert [b["p1"] for b in fresh["bands"]] == pytest.approx([b["p1"] for b in pre["bands"]], abs=1e-6)


def test_open_the_self_learning_scene_in_the_lab(lessons):
    """One more click puts the scene's data, seed, settings and iteration into this session's lab."""
    at = _open(lessons, "F4")
    at.button(key="lesson_step").click().run()
    at.button(key="lesson_to_lab").click().run()
    assert not at.exception, [e.value for e in at.exception]
    lab = at.session_state["lab"]
    scene = BY_ID["F4"]
    assert lab.data.label == scene.pair and len(lab.data.src) == scene.max_vocab
    assert lab.run.seed.strategy == "random" and len(lab.run.seed.pairs) == scene.params["n"]
    assert lab.run.learner.current.iteration == at.session_state["lesson_iter"] == 1
    # the lab's run reproduces the lesson's numbers at that iteration, exactly
    rows = scenes.result(scene)["rows"]
    assert stored(lab.run.learner.current.bli["csls"].p_at_1) == rows[1]["p1_csls"]


@pytest.mark.slow
def test_the_lab_replays_every_iteration_of_the_lesson(lessons):
    """Opened at its last iteration, the F4 scene's lab run shows the lesson's numbers at every iteration."""
    scene = BY_ID["F4"]
    rows = scenes.result(scene)["rows"]
    at = _open(lessons, "F4")
    at.session_state["lesson_iter"] = len(rows) - 1
    at.run()
    at.button(key="lesson_to_lab").click().run()
    assert not at.exception, [e.value for e in at.exception]
    history = at.session_state["lab"].run.learner.history
    assert [r.iteration for r in history] == [row["iteration"] for row in rows]
    for rec, row in zip(history, rows):
        assert (stored(rec.bli["csls"].p_at_1), stored(rec.bli["nn"].p_at_1), int(rec.dictionary_size)) == \
            (row["p1_csls"], row["p1_nn"], row["size"]), f"iteration {rec.iteration}"
