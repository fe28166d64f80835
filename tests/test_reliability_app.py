"""Issue 12 in the lab (AppTest): Run N / Run until converged after a rewind, a visibly busy Step button,
words rendered as text (no markdown injection), and a NUL in an upload's file name.
"""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app" / "streamlit_app.py")
TIMEOUT = 120
INJECTION = "![x](http://HOST/pixel.png)"


def _new_app(max_iter=None):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["w_max_vocab"] = 3000
    at.session_state["w_cutoff"] = 3000
    if max_iter is not None:
        at.session_state["w_max_iter"] = max_iter
    return at.run()


def _clean(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.session_state["lab"].run_error, at.session_state["lab"].run_error


def _iterations(at):
    return [r.iteration for r in at.session_state["lab"].run.learner.history]


def test_run_n_and_until_converged_after_rewinding():
    at = _new_app(max_iter=5)
    _clean(at)
    for _ in range(3):
        at.button(key="b_step").click().run()
    _clean(at)
    assert _iterations(at) == [0, 1, 2, 3]
    old_third = at.session_state["lab"].run.learner.history[2]

    # Rewind to iteration 1, Run 2: the run continues from 1 (a branch), with no out-of-range progress bar.
    at.slider(key="w_iter").set_value(1).run()
    at.number_input(key="w_run_n").set_value(2)
    at.button(key="b_run_n").click().run()
    _clean(at)
    assert _iterations(at) == [0, 1, 2, 3]
    # the branch dropped 2-3 and stepped again: same settings, so the same (server-wide, shared) iterations
    new_third = at.session_state["lab"].run.learner.history[2]
    assert np.array_equal(new_third.tgt_idx, old_third.tgt_idx) and new_third.objective == old_third.objective
    assert at.slider(key="w_iter").value == 3

    # Rewind to 0, Run until converged: stops at max_iter (5), every iteration from 0 recorded once.
    at.slider(key="w_iter").set_value(0).run()
    at.button(key="b_converge").click().run()
    _clean(at)
    assert _iterations(at) == [0, 1, 2, 3, 4, 5]


def test_failure_after_rewind_says_what_is_kept(monkeypatch):
    """An unexpected failure mid-run must not claim that the previous state is kept when the rewind dropped it."""
    at = _new_app()
    for _ in range(3):
        at.button(key="b_step").click().run()
    learner = at.session_state["lab"].run.learner
    at.session_state["lab"].run.shared = None   # this session steps its own learner, not the server-wide run
    real_step = type(learner).step
    calls = []

    def failing_step(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(type(learner), "step", failing_step)
    at.slider(key="w_iter").set_value(1).run()
    at.number_input(key="w_run_n").set_value(3)
    at.button(key="b_run_n").click().run()
    assert not at.exception
    message = at.session_state["lab"].run_error
    assert message and "disk on fire" in message
    assert "previous state is kept" not in message
    assert f"ends at iteration {learner.current.iteration}" in message and learner.current.iteration == 2


def test_step_button_is_disabled_while_stepping(monkeypatch):
    """While a step runs, the run buttons are drawn disabled (clicks then visibly do nothing); afterwards
    they are enabled again."""
    import streamlit as st

    from app import actions

    at = _new_app()
    _clean(at)
    real = actions.step

    def stopped_mid_step(lab, view):
        st.stop()   # freeze the page as the browser sees it during the step

    monkeypatch.setattr(actions, "step", stopped_mid_step)
    at.button(key="b_step").click().run()
    busy = {b.key: b for b in at.button if b.key and b.key.endswith("_busy")}
    assert {"b_step_busy", "b_run_n_busy", "b_converge_busy", "b_reset_busy"} <= set(busy)
    assert all(b.disabled for b in busy.values())
    assert busy["b_step_busy"].label == "Stepping…"
    assert not [b for b in at.button if b.key == "b_step"]   # no enabled Step button while busy

    monkeypatch.setattr(actions, "step", real)
    at.run()   # the next run (no click pending) draws the real buttons again
    step = at.button(key="b_step")
    assert not step.disabled
    step.click().run()
    _clean(at)
    assert at.session_state["lab"].run.learner.current.iteration == 1
    assert not step.disabled and not [b for b in at.button if b.key and b.key.endswith("_busy")]


def _markdown_texts(at):
    texts = []
    for kind in ("markdown", "caption", "subheader", "header", "title", "warning", "error", "info", "success"):
        texts += [str(e.value) for e in getattr(at, kind)]
    texts += [str(m.label) for m in at.metric] + [str(b.label) for b in at.button]
    return texts


def test_words_are_rendered_as_text_not_markdown():
    from app import actions

    rng = np.random.default_rng(0)

    def vec(words, dim):
        rows = [w + " " + " ".join(f"{x:.4f}" for x in rng.normal(size=dim)) for w in words]
        return ("\n".join(rows) + "\n").encode()

    src_words = [INJECTION, "**bold**", "$x^2$", ":red[alarm]"] + [f"s{i}" for i in range(36)]
    tgt_words = [INJECTION] + [f"t{i}" for i in range(39)]
    train = f"{INJECTION} {INJECTION}\n" + "".join(f"s{i} t{i}\n" for i in range(30))
    at = _new_app()
    lab = at.session_state["lab"]
    actions.load_upload(lab, (vec(src_words, 6), f"{INJECTION}.vec"), (vec(tgt_words, 8), "t.vec"),
                        (train.encode(), "train.txt"), None, None)
    at.session_state["w_seed_strategy"] = "dictionary"
    at.run()
    _clean(at)
    at.switch_page("views/data.py").run()
    _clean(at)
    shown = " ".join(t.value for t in at.text)
    assert INJECTION in shown and "**bold**" in shown          # the words are shown, as plain text
    at.switch_page("views/inspector.py").run()
    at.text_input(key="w_insp_word").set_value(INJECTION).run()
    _clean(at)
    at.text_input(key="w_insp_word").set_value(INJECTION + "missing").run()
    _clean(at)
    at.switch_page("views/similarity.py").run()
    at.text_input(key="w_sim_word_0").set_value(INJECTION).run()
    at.text_input(key="w_sim_word_1").set_value("nothere![y](http://HOST/y.png)").run()
    _clean(at)
    rendered = _markdown_texts(at)
    assert any("pixel" in t for t in rendered)                 # the word is there ...
    # ... but never as markdown image/link syntax: the brackets are escaped
    assert not [t for t in rendered if "[x](" in t or "[y](" in t or "[alarm]" in t or "**bold**" in t]


def test_nul_in_upload_file_name_is_a_clear_error_or_a_load():
    from app import uploads
    from core.errors import CLWEError

    data = "".join(f"w{i} {i + 1}.0 {i % 3}.5\n" for i in range(12)).encode()
    emb = uploads.load_uploaded_embeddings(data, "bad\x00name.vec")
    assert emb.name == "bad?name.vec" and len(emb) == 12
    with pytest.raises(CLWEError, match=r"bad\?name\.txt: none of its 1 pairs"):
        src = uploads.load_uploaded_embeddings(data, "s.vec")
        uploads.check_usable(uploads.load_uploaded_dictionary(b"x y\n", "bad\x00name.txt"), src, src,
                             uploads.safe_name("bad\x00name.txt"))
