"""Shared UI pieces: error display and the run panel every page shows in the sidebar."""

from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager

import streamlit as st

from app import actions, charts, wording
from app.wording import error_text  # noqa: F401  (pages call ui.error_text)
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


def branch_rows(run) -> list[dict]:
    """Earlier runs left at a branch point, as ``learning_curves(branches=...)`` takes them."""
    return [{"rows": history_rows(b["records"]), "label": b["label"], "branch_point": b["branch_point"]}
            for b in getattr(run, "branches", [])]


# --------------------------------------------------------------------------------------------------
# Presenting mode and charts

# Less empty space above the page title, so a chart fits above the fold at 1280x720.
PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem !important; }
</style>"""
PRESENT_CSS = """<style>
html { font-size: 21px; }
h1, h2 { font-size: 1.5rem !important; padding-top: 0 !important; padding-bottom: 0.2rem !important; }
[data-testid="stMainBlockContainer"] { padding-top: 3rem !important; padding-bottom: 0 !important; }
[data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] { font-size: 1.1rem !important; }
</style>"""
PRESENT_CHART_HEIGHT = 480   # fits under the page title (and tabs) at 1280x720


def presenting() -> bool:
    return bool(st.session_state.get("w_present", False))


def present_style() -> None:
    """Less padding always; large type for the whole page in presenting mode."""
    st.markdown(PRESENT_CSS if presenting() else PAGE_CSS, unsafe_allow_html=True)


@contextmanager
def controls(label: str = "Settings"):
    """Where a page draws its settings: inline, or folded away in presenting mode (the chart comes first)."""
    if presenting():
        with st.expander(label, expanded=False):
            yield
    else:
        yield


def chart(fig, key: str, export: bool = True, height: int | None = None) -> None:
    """Draw a plotly figure (projector type sizes in presenting mode) with PNG / SVG export buttons."""
    from app import export as ex

    if presenting():
        fig = ex.projector_style(fig, height=height or PRESENT_CHART_HEIGHT)
    config = {"toImageButtonOptions": {"format": "png", "width": 1920, "height": 1080, "filename": key},
              "displaylogo": False}
    st.plotly_chart(fig, width="stretch", key=key, theme=None, config=config)
    if export and not presenting():
        export_buttons(fig, key)


@st.cache_resource(max_entries=256, show_spinner=False)
def learning_curves_figure(rows: list[dict], view: int | None, branches: list[dict], retrieval: str,
                           changed_at: int | None, refinement: list[dict] | None = None):
    """``charts.learning_curves`` built once per server for the same numbers, shared read-only.

    A class stepping the same run draws the same curves; building the figure is ~100 ms of Python that
    holds the interpreter lock, so every student's rerun waited for every other's."""
    return charts.learning_curves(rows, view, branches, retrieval=retrieval, changed_at=changed_at,
                                  refinement=refinement)


def export_buttons(fig, key: str) -> None:
    """PNG and SVG at projector sizes, rendered only when clicked (kaleido takes a few seconds)."""
    from app import export as ex

    snapshot = fig.to_json()

    def make(fmt, w, h):
        import plotly.io as pio

        return lambda: ex.figure_bytes(pio.from_json(snapshot), fmt, w, h)

    with st.popover("Export figure", icon=":material/download:"):
        st.caption("For slides: projector-sized files with large type.")
        for label, w, h in ex.SIZES:
            cols = st.columns(len(ex.FORMATS))
            for col, fmt in zip(cols, ex.FORMATS):
                col.download_button(f"{fmt.upper()} {label}", data=make(fmt, w, h), file_name=f"{key}_{w}x{h}.{fmt}",
                                    mime=ex.MIME[fmt], key=f"dl_{key}_{fmt}_{w}", on_click="ignore", width="stretch")


HELP_P1_CSLS = ("Share of test words whose top-scoring translation is correct: BLI precision at 1 (P@1), "
                "with CSLS retrieval (Conneau et al. 2018), which corrects for 'hub' words that are everyone's "
                "neighbour.")
HELP_P1_NN = ("Share of test words whose nearest neighbour (cosine) in the other language is a correct "
              "translation: BLI precision at 1 (P@1) with plain nearest-neighbour retrieval.")
HELP_OBJECTIVE = ("The objective: mean similarity of the induced pairs under the previous mapping. Self-learning "
                  "stops when it stops improving. It measures how well the dictionary fits the spaces, not "
                  "whether the translations are right.")


def run_panel(lab: LabState) -> int | None:
    """Sidebar: the run's controls and the iteration slider. Returns the iteration to show (or None)."""
    sb = st.sidebar
    sb.toggle("Presenting mode", key="w_present",
              help="For a projector: large type, one chart per screen, settings folded away "
                   "(also by adding ?present=1 to the address)")
    present = presenting()
    ss = st.session_state
    demo_seconds = 0.0
    if ss.get("run_pending") == "demo":   # the live unsupervised demo: open the pair and build the seed first
        demo_seconds = _start_demo(lab)
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
    if "pending_iter" in ss:   # set by a page action after the slider was drawn
        ss["w_iter"] = ss.pop("pending_iter")
    last = learner.current.iteration
    view = min(int(ss.get("w_iter", last)), last)

    c1, c2 = sb.columns(2)
    slots = {"step": c1.empty(), "reset": c2.empty()}
    if not present:   # presenting: Step and Reset are enough, fewer buttons on the screen
        c3, c4 = sb.columns([1, 1])
        c3.number_input("N", min_value=1, max_value=100, step=1, key="w_run_n", label_visibility="collapsed")
        slots.update(run_n=c4.empty(), converge=sb.empty())
    if actions.can_align(lab) or ss.get("run_pending") == "align":   # an unsupervised search not aligned yet
        slots["align"] = sb.empty()
    # A click only records the request (on_click runs before the script); while it runs, the buttons are
    # drawn disabled, so further clicks visibly do nothing instead of silently interrupting the step.
    pending = ss.pop("run_pending", None)
    _run_buttons(slots, busy=pending)
    step, reset, run_n, converge, align = (pending == name for name in ("step", "reset", "run_n", "converge",
                                                                         "align"))
    progress_slot = sb.empty()
    notice = st.empty()   # main area, above the page: the outcome of Run until aligned
    live = st.empty()     # main area, above the page: the live chart (and the demo's progress)

    def progress(total: int, aligning: bool = False):
        # Run until aligned is the lecture's live demo: its progress goes above the chart, in the main area
        # (presenting mode folds the sidebar away).
        box = live.container() if aligning else progress_slot.container()
        bar = box.progress(0.0, text="Searching…" if aligning else "Self-learning…")
        # Any click reruns the script, which interrupts the run between two iterations (records are
        # only appended once complete); this button makes that visible.
        box.button("Stop", key="b_stop", width="stretch" if not aligning else "content")
        chart_slot = box.empty() if aligning else live
        # The run starts from the shown iteration: it rewinds there first (a branch), so count from it.
        start = min(view, learner.current.iteration)
        t0 = time.perf_counter()
        drawn = [-LIVE_CHART_EVERY]

        def callback(record):
            # Live chart at the top of the page while the run goes on (the page below is redrawn after). The
            # search redraws it every few seconds only: on a busy machine the browser's redraws slow the run.
            now = time.perf_counter()
            if not aligning or now - drawn[0] >= LIVE_CHART_EVERY:
                chart_slot.plotly_chart(charts.learning_curves(history_rows(learner.history), record.iteration,
                                                               branch_rows(run)), width="stretch", theme=None)
                drawn[0] = now
            ss["w_iter"] = record.iteration   # an interrupted run still shows its newest iteration
            p1 = bli_p1(record, "csls")
            shared = shared_agreement(record)
            if aligning:   # the bar: the agreement against the level the engine calls aligned
                level = learner.config.takeoff_agreement
                frac = min(max((shared or 0.0) / level, 0.0), 1.0)
                text = (f"Iteration {record.iteration} · {demo_seconds + time.perf_counter() - t0:.0f} s · "
                        + wording.search_progress(shared)
                        + (f" · test words translated correctly: {fmt_pct(p1)}" if p1 is not None else ""))
                bar.progress(frac, text=text)
                return
            done = record.iteration - start
            frac = min(max(done / total, 0.0), 1.0)
            text = f"Iteration {record.iteration}" + (f" · correct {fmt_pct(p1)}" if p1 is not None else "")
            if record.keep_prob < 1.0:   # a stochastic search: show what it is doing while P@1 is still ~0
                text += " · " + wording.search_progress(shared)
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
        elif align:
            lab.run_error = None
            out = actions.run_until_aligned(lab, view, callback=progress(actions.ALIGN_BUDGET, aligning=True))
            rec = learner.current
            kind, text = wording.align_message(out["outcome"], out["iteration"], out["steps"],
                                               demo_seconds + out["seconds"], shared_agreement(rec),
                                               bli_p1(rec, "csls"), shared_steps=out["cached"])
            ss["align_msg"] = {"run": run.uid, "iteration": out["iteration"], "kind": kind, "text": text,
                               "seconds": demo_seconds + out["seconds"], "outcome": out["outcome"]}
            acted = True
        elif reset:
            lab.run_error = None
            actions.reset(lab)
            acted = True
        if acted:
            # The slider follows the newest iteration; set before the slider exists in this run.
            ss["w_iter"] = learner.current.iteration

    if pending:
        if "align" in slots and not actions.can_align(lab):   # aligned now: nothing left to align
            slots.pop("align").empty()
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
    m1.metric("Correct (CSLS)", fmt_pct(bli_p1(record, "csls")), help=HELP_P1_CSLS)
    m2.metric("Correct (nearest)", fmt_pct(bli_p1(record, "nn")), help=HELP_P1_NN)
    if run.last_step_seconds is not None and not present:
        sb.caption(f"Last step: {run.last_step_seconds:.2f} s in the engine"
                   + (" (computed once on this server for every session on the same run)"
                      if run.last_step_shared else ""))
    if lab.run_error:
        sb.error(md(lab.run_error), icon=":material/error:")
    msg = ss.get("align_msg")
    if msg and msg["run"] == run.uid and msg["iteration"] == view:   # until the run moves on
        getattr(sb, msg["kind"])(msg["text"])
        if align:   # once in the main area too: presenting mode folds the sidebar away
            getattr(notice, msg["kind"])(msg["text"])
    if getattr(record, "collapse", None) and still_searching(record):
        sb.info(SEARCHING_SENTENCE, icon=":material/hourglass_top:")
    elif getattr(record, "collapse", None):
        # One short sentence, here only; the Self-learning page explains why.
        sb.error(COLLAPSE_SENTENCE, icon=":material/warning:")
    return view


LIVE_CHART_EVERY = 4.0   # seconds between two live charts of Run until aligned


RUN_BUTTONS = {  # action: (label, label while it runs, help)
    "step": ("Step ▶", "Stepping…", "One self-learning iteration: map with the current dictionary, induce a new one"),
    "reset": ("Reset ⟲", "Reset ⟲", "Back to iteration 0 (the seed)"),
    "run_n": ("Run N", "Running…", "Run N iterations from the iteration shown"),
    "converge": ("Run until converged", "Running until converged…", "Self-learn until the schedule converges"),
    "align": ("Run until aligned", "Running until aligned…",
              "Step the unsupervised search until it has found the alignment (identically spelled words agree "
              "at the level of a real alignment), then stop; Run until converged finishes the run"),
}


def request_demo() -> None:
    """on_click of a "watch it live" button: the next script run opens the live unsupervised demo."""
    st.session_state["run_pending"] = "demo"


def _start_demo(lab: LabState) -> float:
    """Open the live demo's pair and build its unsupervised seed (in the main area, which presenting mode
    keeps in view); queue Run until aligned. Returns the seconds it took."""
    t0 = time.perf_counter()
    box = st.empty()
    box.info(f"Live unsupervised demo on {actions.DEMO_PAIR}: building the seed without any dictionary "
             "(each frequent word's sorted similarities to the others, matched across the languages)…",
             icon=":material/hourglass_top:")
    st.session_state.pop("run_pending", None)
    with guard("Live demo", (lab, "seed_error")):
        actions.start_demo(lab)
        st.session_state["run_pending"] = "align"
    box.empty()
    return time.perf_counter() - t0


def _request_run(action: str) -> None:
    st.session_state["run_pending"] = action


def _run_buttons(slots: dict, busy: str | None) -> None:
    """Draw the run buttons into their slots; while ``busy`` (an action name) they are disabled copies."""
    for action, (label, busy_label, help_text) in RUN_BUTTONS.items():
        if action not in slots:
            continue
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


COLLAPSE_SENTENCE = "This run has probably failed: the two spaces are not aligned."
SEARCHING_SENTENCE = "Still searching: not aligned yet, but the fit is still improving."


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


def dictionary_table(run, record, data, gold):
    """``(marks, precision, frame)`` of a record's dictionary: shared by every session when the record is one
    of the server-wide run's (``actions.SharedRun``), else computed for this session. Read-only."""
    shared = run.shared
    if shared is not None and record.iteration < len(shared.records) and shared.records[record.iteration] is record:
        return _shared_dictionary_table(shared.uid, record.iteration, record, data, gold)
    return _dictionary_table(record, data, gold)


def _dictionary_table(record, data, gold):
    marks, precision = pair_marks(record.src_idx, record.tgt_idx, data, gold)
    return marks, precision, pairs_frame(record.src_idx, record.tgt_idx, getattr(record, "scores", None), data, marks)


@st.cache_resource(max_entries=64, show_spinner=False)
def _shared_dictionary_table(run_uid: str, iteration: int, _record, _data, _gold):
    # Marking ~10k pairs and building their table is Python work that holds the interpreter lock: once per
    # record of a shared run, not once per student and rerun.
    return _dictionary_table(_record, _data, _gold)


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


def shown_mapping(lab: LabState, record, view: int, container=None):
    """The mapping a page draws: the slider's iteration, or the one the contrastive refinement kept once the run
    as it stands was refined on the Self-learning page (a radio, shared by the pages that offer it, chooses).

    Returns ``(shown, token, label)``: an object with ``mapping``, ``bli``, ``src_idx`` and ``tgt_idx`` (the
    iteration's record, or :class:`app.actions.RefinedView`), a cache token naming it, and words naming it."""
    refined = actions.current_refinement(lab)
    iteration = (record, lab.record_token(view), f"iteration {view}")
    if refined is None:
        return iteration
    view_ = refined["view"]
    (container or st).radio("Mapping shown", ("iteration", "refined"), key="w_mapping_shown", horizontal=True,
                            format_func=lambda o: f"iteration {view} (the slider's)" if o == "iteration"
                            else f"the contrastive refinement ({view_.kept})")
    if st.session_state.get("w_mapping_shown") != "refined":
        return iteration
    return view_, f"{lab.record_token(lab.run.learner.current.iteration)}:refined", view_.label


def view_record(lab: LabState):
    """The iteration record chosen with the sidebar slider."""
    learner = lab.run.learner
    view = min(int(st.session_state.get("w_iter", learner.current.iteration)), learner.current.iteration)
    return learner.history[view]
