"""The lab's fully unsupervised run, through streamlit.testing.v1.AppTest, as a user does it: on the Seed page
pick the unsupervised (second-order) seed, build it, then click Run until converged in the sidebar.

The lab must run what ``clwe align --init unsupervised`` runs (the unsupervised preset's slow stochastic search
with take-off detection): on doc_en-doc_fr it finds the alignment, and on a target whose vectors were shuffled
between words (nothing to find) the run is reported as failed.
"""

import dataclasses
import re
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from core.selflearning import AlignConfig

APP = str(Path(__file__).resolve().parent.parent / "app" / "streamlit_app.py")
TIMEOUT = 600
VOCAB = 10000          # doc_en-doc_fr at 10k words: 91 iterations, take-off at 34, 41.5% (5k: 155 iterations, 50.1%)
SHUFFLED_VOCAB = 5000  # nothing to find: flagged as failed after 40 iterations at 5k words (60 at 10k)


def _clean(at):
    assert not at.exception, [e.value for e in at.exception]


def _open(pair: str, vocab: int = VOCAB) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["w_pair"] = pair
    at.session_state["w_max_vocab"] = vocab
    at.run()
    _clean(at)
    return at


def _unsupervised_until_converged(at: AppTest) -> AppTest:
    at.switch_page("views/seed.py").run()
    at.selectbox(key="w_seed_strategy").set_value("unsupervised").run()
    _clean(at)
    # the schedule widgets now show the preset the run will use
    preset = AlignConfig.preset("unsupervised")
    assert at.number_input(key="w_keep_prob").value == preset.stochastic_initial
    assert at.number_input(key="w_stoch_interval").value == preset.stochastic_interval
    assert at.number_input(key="w_max_iter").value == preset.max_iter
    at.button(key="b_build_seed").click().run()
    _clean(at)
    run = at.session_state["lab"].run
    assert run.seed.strategy == "unsupervised"
    cfg = run.learner.config   # the settings used are the preset's
    assert (cfg.stochastic_initial, cfg.stochastic_interval, cfg.threshold, cfg.takeoff_agreement) == (
        preset.stochastic_initial, preset.stochastic_interval, preset.threshold, preset.takeoff_agreement)
    at.button(key="b_converge").click().run()
    _clean(at)
    return at


def _sidebar_collapse_banner(at: AppTest) -> bool:
    return any("probably failed" in e.value for e in at.sidebar.error)


def test_unsupervised_seed_finds_the_alignment_on_doc_en_doc_fr():
    at = _unsupervised_until_converged(_open("doc_en-doc_fr"))
    learner = at.session_state["lab"].run.learner
    last = learner.current
    print(f"doc_en-doc_fr {VOCAB} words: CSLS P@1 {last.bli['csls'].p_at_1:.3f} after {last.iteration} iterations, "
          f"take-off at {learner.takeoff()}")
    assert last.iteration > 1
    assert learner.takeoff() is not None            # the slow search found it, then finished fast
    assert last.collapse is None and not _sidebar_collapse_banner(at)
    assert last.bli["csls"].p_at_1 > 0.20, last.bli["csls"].p_at_1
    shown = [m.value for m in at.metric if m.label == "Correct (CSLS)"]
    assert shown and float(re.sub("%", "", shown[0])) > 20.0


def test_unsupervised_run_on_a_shuffled_target_is_flagged_as_failed():
    at = _open("doc_en-doc_fr", SHUFFLED_VOCAB)
    lab = at.session_state["lab"]
    # Same words, vectors shuffled between them: no mapping can align the two spaces.
    rows = np.random.default_rng(0).permutation(len(lab.data.tgt))
    tgt = lab.data.tgt.with_vectors(np.ascontiguousarray(lab.data.tgt.vectors[rows]))
    lab.data = dataclasses.replace(lab.data, key="shuffled:doc_fr", kind="synthetic", label="doc_en vs shuffled doc_fr", tgt=tgt)
    lab.run = None
    at = _unsupervised_until_converged(at)
    last = at.session_state["lab"].run.learner.current
    print(f"shuffled target: CSLS P@1 {last.bli['csls'].p_at_1:.3f}, stopped at iteration {last.iteration}")
    assert last.collapse is not None
    assert last.bli["csls"].p_at_1 < 0.05
    assert _sidebar_collapse_banner(at)
