"""Shared UI pieces: error display and the run panel every page shows in the sidebar."""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager

import streamlit as st

from app import actions, charts
from app.state import LabState

log = logging.getLogger("clwe.app")


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]<>#|~$&])")


def md(text) -> str:
    """User text (words, file names, error messages quoting them) escaped for st.markdown and friends.

    Brackets (links, images, Streamlit's ``:color[...]`` directives), emphasis, code, HTML, tables and
    LaTeX (``$``) get a backslash, so a word like ``![x](http://host/pixel.png)`` shows as those characters
    and the browser fetches nothing. Line breaks become spaces; "." ":" "(" ")" are kept as they are (inert
    once brackets are escaped), so messages still read "file.vec, line 2: ...".
    """
    text = " ".join(str(text).splitlines())
    return ("\\" if text[:1] in "-+=" and text else "") + _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def error_text(e: BaseException, kept: str = "The previous state is kept") -> str:
    """A user-facing sentence for any exception (core's CLWEError messages already say what to fix).

    ``kept`` says what survives an unexpected failure; it must be true for the action that failed.
    """
    from core.errors import CLWEError

    if isinstance(e, CLWEError):
        return str(e)
    if isinstance(e, MemoryError):
        return "Out of memory. Lower the maximum vocabulary size and try again."
    if isinstance(e, KeyError):
        return f"Not found: {e.args[0] if e.args else e}"
    return (f"Something went wrong ({type(e).__name__}: {e}). {kept}; "
            "try other settings, and report this if it persists.")


@contextmanager
def guard(what: str, store: tuple[LabState, str] | None = None, kept=None):
    """Run an action; on failure show an st.error (never a traceback) and keep the previous state.

    ``store=(lab, "data_error")`` also keeps the message in LabState so it survives the next rerun.
    ``kept`` is a callable giving what survives an unexpected failure, when it is not the previous state
    (a run that rewound and then failed). Streamlit's own control flow (st.rerun, st.stop) derives from
    BaseException and passes through.
    """
    try:
        yield
    except Exception as e:  # noqa: BLE001 - every failure must become a message
        from core.errors import CLWEError

        if not isinstance(e, CLWEError):
            log.exception("%s failed", what)
        text = f"{what}: {error_text(e) if kept is None else error_text(e, kept())}"
        if store is not None:
            setattr(store[0], store[1], text)
        else:
            st.error(md(text), icon=":material/error:")


def show_stored_error(lab: LabState, attr: str) -> None:
    text = getattr(lab, attr)
    if text:
        st.error(md(text), icon=":material/error:")


def fmt_pct(x) -> str:
    if x is None:
        return "–"
    try:
        return f"{100 * float(x):.1f}%"
    except (TypeError, ValueError):
        return "–"


def fmt_num(x, digits: int = 4) -> str:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "–"
    return "–" if x != x else f"{x:.{digits}f}"


def bli_p1(record, retrieval: str):
    """P@1 of a record for a retrieval ("nn" or "csls"), or None when no gold test dictionary."""
    bli = getattr(record, "bli", None)
    if not bli or retrieval not in bli or bli[retrieval] is None:
        return None
    return bli[retrieval].p_at_1


def history_rows(history) -> list[dict]:
    """Per-iteration numbers of a run, as the learning-curve chart takes them."""
    return [{"iteration": r.iteration, "p1_nn": bli_p1(r, "nn"), "p1_csls": bli_p1(r, "csls"),
             "size": int(r.dictionary_size), "objective": float(r.objective),
             "shared": shared_agreement(r)} for r in history]


def shared_agreement(record) -> float | None:
    """Share of identically spelled words that find their twin under a record's mapping (None: too few)."""
    value = getattr(record, "shared_agreement", float("nan"))
    return None if value != value else float(value)


def run_panel(lab: LabState) -> int | None:
    """Sidebar: the run's controls and the iteration slider. Returns the iteration to show (or None)."""
    sb = st.sidebar
    sb.markdown("### CLWE Lab")
    if lab.data is not None:
        sb.caption(f"**Data:** {md(lab.data.label)}")
    if lab.run is None:
        st.session_state.pop("run_pending", None)   # a click for a run that is gone does nothing later
        if lab.seed_error:
            sb.error(md(lab.seed_error), icon=":material/error:")
            sb.info("Pick another seed strategy on the Seed page.")
        elif lab.seed_pending:
            sb.info(lab.seed_pending)
        return None
    run = lab.run
    sb.caption(f"**Seed:** {run.seed_label}, {len(run.seed.pairs):,} pairs")

    learner = run.learner
    ss = st.session_state
    if "pending_iter" in ss:   # set by a page action after the slider was drawn
        ss["w_iter"] = ss.pop("pending_iter")
    last = learner.current.iteration
    view = min(int(ss.get("w_iter", last)), last)

    c1, c2 = sb.columns(2)
    c3, c4 = sb.columns([1, 1])
    c3.number_input("N", min_value=1, max_value=100, step=1, key="w_run_n", label_visibility="collapsed")
    slots = {"step": c1.empty(), "reset": c2.empty(), "run_n": c4.empty(), "converge": sb.empty()}
    # A click only records the request (on_click runs before the script); while it runs, the buttons are
    # drawn disabled, so further clicks visibly do nothing instead of silently interrupting the step.
    pending = ss.pop("run_pending", None)
    _run_buttons(slots, busy=pending)
    step, reset, run_n, converge = (pending == name for name in ("step", "reset", "run_n", "converge"))
    progress_slot = sb.empty()
    live = st.empty()   # main area, above the page

    def progress(total: int):
        box = progress_slot.container()
        bar = box.progress(0.0, text="Self-learning…")
        # Any click reruns the script, which interrupts the run between two iterations (records are
        # only appended once complete); this button makes that visible.
        box.button("Stop", key="b_stop", width="stretch")
        # The run starts from the shown iteration: it rewinds there first (a branch), so count from it.
        start = min(view, learner.current.iteration)

        def callback(record):
            # Live chart at the top of the page while the run goes on (the page below is redrawn after).
            live.plotly_chart(charts.learning_curves(history_rows(learner.history), record.iteration),
                              width="stretch", theme=None)
            ss["w_iter"] = record.iteration   # an interrupted run still shows its newest iteration
            done = record.iteration - start
            frac = min(max(done / total, 0.0), 1.0)
            p1 = bli_p1(record, "csls")
            text = f"Iteration {record.iteration}" + (f" · P@1 (CSLS) {fmt_pct(p1)}" if p1 is not None else "")
            bar.progress(frac, text=text)
        return callback

    def kept() -> str:
        return f"The run now ends at iteration {learner.current.iteration}"

    with guard("Self-learning", (lab, "run_error"), kept=kept):
        acted = False
        if step:
            lab.run_error = None
            with st.spinner("Step…"):
                actions.step(lab, view)
            acted = True
        elif run_n:
            lab.run_error = None
            actions.run_n(lab, view, int(ss["w_run_n"]), callback=progress(int(ss["w_run_n"])))
            acted = True
        elif converge:
            lab.run_error = None
            actions.run_until_converged(lab, view, callback=progress(max(run.config.max_iter - view, 1)))
            acted = True
        elif reset:
            lab.run_error = None
            actions.reset(lab)
            acted = True
        if acted:
            # The slider follows the newest iteration; set before the slider exists in this run.
            ss["w_iter"] = learner.current.iteration

    if pending:
        _run_buttons(slots, busy=None)   # enabled again (same slots: replaces the disabled copies)
    progress_slot.empty()   # also after a failure: no stale bar or live chart
    live.empty()
    last = learner.current.iteration
    if int(ss.get("w_iter", 0)) > last:
        ss["w_iter"] = last
    if last > 0:
        sb.slider("Iteration shown", min_value=0, max_value=last, key="w_iter",
                  help="Rewind to any earlier iteration; Step from there starts a new branch")
    else:
        ss["w_iter"] = 0
        sb.caption("Iteration 0 (the seed's mapping). Click **Step** to self-learn.")
    view = int(ss["w_iter"])
    if view < last:
        sb.warning(f"Viewing iteration {view} of {last}. Step / Run from here drops iterations {view + 1}–{last} "
                   "(a new branch).")
    record = learner.history[view]
    m1, m2 = sb.columns(2)
    m1.metric("P@1 CSLS", fmt_pct(bli_p1(record, "csls")))
    m2.metric("P@1 NN", fmt_pct(bli_p1(record, "nn")))
    if run.last_step_seconds is not None:
        sb.caption(f"Last step: {run.last_step_seconds:.2f} s in the engine")
    if lab.run_error:
        sb.error(md(lab.run_error), icon=":material/error:")
    if getattr(record, "collapse", None) and still_searching(record):
        sb.info(f"Iteration {view}: {md(record.collapse)}", icon=":material/hourglass_top:")
    elif getattr(record, "collapse", None):
        sb.error(f"Collapse at iteration {view}: {md(record.collapse)}", icon=":material/warning:")
    return view


RUN_BUTTONS = {  # action: (label, label while it runs, help)
    "step": ("Step ▶", "Stepping…", "One self-learning iteration: map with the current dictionary, induce a new one"),
    "reset": ("Reset ⟲", "Reset ⟲", "Back to iteration 0 (the seed)"),
    "run_n": ("Run N", "Running…", "Run N iterations from the iteration shown"),
    "converge": ("Run until converged", "Running until converged…", "Self-learn until the schedule converges"),
}


def _request_run(action: str) -> None:
    st.session_state["run_pending"] = action


def _run_buttons(slots: dict, busy: str | None) -> None:
    """Draw the run buttons into their slots; while ``busy`` (an action name) they are disabled copies."""
    for action, (label, busy_label, help_text) in RUN_BUTTONS.items():
        if busy:
            slots[action].button(busy_label if action == busy else label, key=f"b_{action}_busy", disabled=True,
                                 width="stretch", type="primary" if action == "step" else "secondary")
        else:
            slots[action].button(label, key=f"b_{action}", width="stretch", help=help_text,
                                 type="primary" if action == "step" else "secondary",
                                 on_click=_request_run, args=(action,))


def still_searching(record) -> bool:
    """The engine's diagnosis says the run is unfinished (still climbing), not failed: no collapse banner."""
    return (getattr(record, "diagnostics", None) or {}).get("verdict") in ("searching", "unfinished")


MARK_SYMBOL = {1: "✓ correct", 0: "✗ wrong", -1: "? not in gold"}


def pair_marks(src_idx, tgt_idx, data, gold):
    """Correct/wrong marks of pairs against gold, and the share correct, from core.evaluate.

    Returns ``(marks, precision)``; ``(None, None)`` when there is no gold dictionary.
    """
    from core import evaluate

    if not gold:
        return None, None
    marks = evaluate.mark_pairs(src_idx, tgt_idx, data.src, data.tgt, gold)
    return marks, evaluate.pair_precision(marks)


def pairs_frame(src_idx, tgt_idx, scores, data, marks, limit: int | None = None):
    """A table of word pairs (source, target, score, gold mark) for st.dataframe."""
    import pandas as pd

    n = len(src_idx) if limit is None else min(limit, len(src_idx))
    frame = {"source": [data.src.words[i] for i in src_idx[:n]],
             "target": [data.tgt.words[j] for j in tgt_idx[:n]]}
    if scores is not None:
        frame["score"] = [float(s) for s in scores[:n]]
    if marks is not None:
        frame["gold"] = [MARK_SYMBOL[int(m)] for m in marks[:n]]
    return pd.DataFrame(frame)


def require_run(lab: LabState, before_stop=None):
    """Stop the page with a hint when no run exists yet; else return ``(run, data, record, iteration)`` of
    the iteration chosen with the sidebar slider."""
    if lab.run is None:
        if before_stop is not None:
            before_stop()
        st.info(lab.seed_pending or "No run yet: build a seed on the Seed page.")
        st.stop()
    record = view_record(lab)
    return lab.run, lab.data, record, record.iteration


def view_record(lab: LabState):
    """The iteration record chosen with the sidebar slider."""
    learner = lab.run.learner
    view = min(int(st.session_state.get("w_iter", learner.current.iteration)), learner.current.iteration)
    return learner.history[view]
