"""The live unsupervised demo (issue 17, item 7), through streamlit.testing.v1.AppTest as a lecturer does it:
on the Lessons page, F8, click "Watch it live"; the lab opens doc_en-doc_fr with the unsupervised seed and
steps the search until the engine's take-off signal fires, then stops (it does not run to convergence).

How long that takes on a given machine is measured by ``bench/live_demo_browser.py``, not asserted here.
"""

import dataclasses
import re
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from app import actions, wording

APP = str(Path(__file__).resolve().parent.parent / "app" / "streamlit_app.py")
TIMEOUT = 900


def _clean(at):
    assert not at.exception, [e.value for e in at.exception]


def _messages(at, kind: str) -> list[str]:
    return [e.value for e in getattr(at.main, kind)] + [e.value for e in getattr(at.sidebar, kind)]


def test_watch_it_live_stops_at_the_first_aligned_iteration():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["lesson"] = "F8"
    at.run()
    at.switch_page("views/lessons.py").run()
    _clean(at)
    at.button(key="lesson_live_demo").click().run()
    _clean(at)
    lab = at.session_state["lab"]
    assert lab.data.key == f"bundled:{actions.DEMO_PAIR}:{actions.DEMO_VOCAB}"
    assert lab.run.seed.strategy == "unsupervised"
    # opening F8 started building the demo's run in the background; the click used that very run (the
    # server-wide cache entry a fresh session's settings name), not a second build
    from app.state import WIDGET_DEFAULTS

    assert actions._PREBUILD["started"]
    widgets = {**WIDGET_DEFAULTS, **actions.demo_widgets(max(len(lab.data.src), len(lab.data.tgt)))}
    assert lab.run.shared is actions._shared_for(lab.data, *actions.settings_from_widgets(widgets))
    learner = lab.run.learner
    last = learner.current
    # stopped exactly where the engine's signal first fired, not before and not at convergence
    assert learner.takeoff() == last.iteration > 0
    assert all(r.shared_agreement < learner.config.takeoff_agreement for r in learner.history[:-1])
    assert not last.converged and not actions.can_align(lab)
    msg = at.session_state["align_msg"]
    assert msg["outcome"] == "aligned" and msg["kind"] == "success" and msg["iteration"] == last.iteration
    # the sentence shown (main area and sidebar) carries the last record's numbers
    shown = [m for m in _messages(at, "success") if "Aligned" in m]
    assert len(shown) == 2, _messages(at, "success")   # main area and sidebar
    assert "already computed" not in shown[0]          # this click computed them
    assert f"iteration {last.iteration}," in shown[0]
    assert f"{last.shared_agreement:.1%} of identically spelled words agree" in shown[0]
    assert f"{last.bli['csls'].p_at_1:.1%} of the test words translate correctly" in shown[0]
    seconds = float(re.search(r"after (\d+) s", shown[0]).group(1))
    print(f"live demo: aligned at iteration {last.iteration} ({last.shared_agreement:.1%} agree, "
          f"P@1 {last.bli['csls'].p_at_1:.1%}) after {seconds:.0f} s (AppTest, this machine)")
    # the sidebar's button is gone (nothing left to align), Run until converged goes on from here
    assert not [b for b in at.sidebar.button if b.key == "b_align"]


def test_run_until_aligned_on_a_random_target_stops_as_failed():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["w_pair"] = "doc_en-doc_fr"
    at.session_state["w_max_vocab"] = 5000
    at.run()
    lab = at.session_state["lab"]
    # Same words, random vectors: nothing to align. (Vectors shuffled between the words would keep doc_fr's
    # geometry, which the search can still fit: its objective climbs, so it is searching, not failed.)
    noise = np.random.default_rng(0).standard_normal(lab.data.tgt.vectors.shape).astype(np.float32)
    tgt = lab.data.tgt.with_vectors(noise)
    lab.data = dataclasses.replace(lab.data, key="noise:doc_fr", kind="synthetic",
                                   label="doc_en vs random vectors", tgt=tgt)
    lab.run = None
    at.switch_page("views/seed.py").run()
    at.selectbox(key="w_seed_strategy").set_value("unsupervised").run()
    at.button(key="b_build_seed").click().run()
    _clean(at)
    assert actions.can_align(at.session_state["lab"])
    at.sidebar.button(key="b_align").click().run()
    _clean(at)
    learner = at.session_state["lab"].run.learner
    msg = at.session_state["align_msg"]
    assert learner.takeoff() is None
    assert msg["outcome"] == "failed" and msg["kind"] == "error", msg
    assert learner.current.iteration < actions.ALIGN_BUDGET and learner.current.collapse is not None
    assert any("this run has failed" in m for m in _messages(at, "error"))


def test_align_message_rule_both_outcomes():
    kind, text = wording.align_message("aligned", 30, 30, 48.4, 0.11, 0.117)
    assert kind == "success" and "Aligned** at iteration 30, after 48 s: 11.0%" in text and "11.7%" in text
    for outcome, expected in (("failed", "error"), ("stopped", "warning"), ("budget", "info")):
        kind, text = wording.align_message(outcome, 60, 60, 90.0, 0.004, 0.002)
        assert kind == expected and "Aligned" not in text and "0.4% of identically spelled words" in text
    assert "already computed on this server" in wording.align_message("aligned", 3, 3, 0.2, 0.2, 0.3, True)[1]
