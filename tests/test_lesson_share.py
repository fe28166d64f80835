"""The address holds everything a colleague needs: a lesson scene (and its iteration), an unsupervised run,
and a run replayed from a run file. Each test opens the address in a fresh AppTest session (a new browser)
and checks the same chart numbers come back.
"""

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app import scenes, share
from app.lessons import BY_ID
from core import runfile

APP = str(Path(__file__).resolve().parent.parent / "app" / "streamlit_app.py")
VOCAB = 3000


def _clean(at):
    assert not at.exception, [e.value for e in at.exception]


def _session(query=None, vocab=VOCAB):
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["w_max_vocab"] = vocab
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def _query(at) -> dict:
    return {k: at.query_params[k] for k in at.query_params}


def _figure(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_the_address_round_trips_a_lesson_scene_and_its_iteration():
    first = _session()
    first.switch_page("views/lessons.py").run()
    first.button(key="lesson_F4").click().run()
    first.button(key="lesson_step").click().run()
    first.button(key="lesson_step").click().run()
    _clean(first)
    query = _query(first)
    assert query["lesson"] == "F4" and query["lit"] == "2"
    shown = [m.value for m in first.markdown if m.value.startswith("**Iteration 2:**")]
    assert shown

    second = _session(query)            # a fresh browser opening the address (the /lessons path)
    second.switch_page("views/lessons.py").run()
    _clean(second)
    assert second.session_state["lesson"] == "F4" and second.session_state["lesson_iter"] == 2
    assert [m.value for m in second.markdown if m.value.startswith("**Iteration 2:**")] == shown
    assert _figure(second)["data"] == _figure(first)["data"]
    assert _query(second)["lesson"] == "F4"

    # another page does not carry the lesson
    second.switch_page("views/selflearning.py").run()
    assert "lesson" not in _query(second)

    bad = _session({"lesson": "F99"})
    _clean(bad)
    assert any("lesson=F99" in w.value for w in bad.warning)


def test_the_address_round_trips_an_unsupervised_run():
    pair = "doc_en-doc_fr"
    first = _session({"pair": pair, "vocab": str(VOCAB), "seed": "unsupervised", "un": "2000", "it": "2"})
    _clean(first)
    lab = first.session_state["lab"]
    assert lab.run is not None and lab.run.seed.strategy == "unsupervised", "the link did not start the seed"
    assert lab.run.learner.current.iteration == 2
    query = _query(first)
    assert query["seed"] == "unsupervised" and query["un"] == "2000" and query["it"] == "2"

    second = _session(query)
    _clean(second)
    a, b = lab.run.learner, second.session_state["lab"].run.learner
    assert b.current.iteration == 2 and second.session_state["w_iter"] == 2
    assert [r.bli["csls"].p_at_1 for r in a.history] == [r.bli["csls"].p_at_1 for r in b.history]
    assert not any("build a seed" in i.value for i in second.info)


def test_the_address_round_trips_a_replayed_run_file():
    first = _session()
    first.button(key="b_step").click().run()
    lab = first.session_state["lab"]
    view = lab.run.learner.current.iteration
    p1 = lab.run.learner.history[view].bli["csls"].p_at_1
    rf = runfile.read_run(share.run_zip(lab, view))

    opener = _session()
    opener.session_state["run_file"] = ("run.zip", rf)       # what the page's uploader stores
    opener.switch_page("views/runfile.py").run()
    _clean(opener)
    # the Run file page counts distinct pairs, as the Self-learning page does
    size = int(lab.run.learner.history[view].dictionary_size)
    assert [m.value for m in opener.metric if m.label == "Dictionary pairs"] == [f"{size:,}"]
    opener.button(key="b_runfile_replay").click().run()
    _clean(opener)
    replayed = opener.session_state["lab"].run.learner
    assert replayed.current.iteration == view and replayed.history[view].bli["csls"].p_at_1 == p1
    query = _query(opener)
    assert query["it"] == str(view) and query["pair"] == "en-fr"

    third = _session(query)          # the replayed run's address, in a fresh browser
    _clean(third)
    assert third.session_state["lab"].run.learner.history[view].bli["csls"].p_at_1 == p1
