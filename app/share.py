"""Keep and share a run: the scene in the address bar's query parameters, and the run as a zip file.

A link such as ``?pair=en-fr&vocab=10000&seed=random&n=100&it=3`` opens the same data, seed and settings and
replays the run to iteration 3 (every step is deterministic given the settings and the random seed), so a
reload or a shared link shows the same scene; ``seed=unsupervised`` (with ``un``, the words its second-order
seed compares) rebuilds the unsupervised seed too. On the Lessons page ``lesson=F4&lit=3`` adds the lesson
scene and its iteration. ``present=1`` opens presenting mode.
"""

from __future__ import annotations

import streamlit as st

from app.state import CHEAP_SEEDS, DIRECTION_LABELS, NORMALIZATION_PRESETS, SEED_LABELS, LabState
from core.io import BUNDLED_PAIRS

# Seeds a link rebuilds: the cheap ones, and the unsupervised seed (deterministic, about 20 s).
URL_SEEDS = CHEAP_SEEDS + ("unsupervised",)
LESSON_PAGE = "lessons"

NORM_CODES = {steps: "+".join(steps) for steps in NORMALIZATION_PRESETS.values()}
NORM_BY_CODE = {code: name for name, steps in NORMALIZATION_PRESETS.items() for code in [NORM_CODES[steps]]}
MAX_REPLAY = 100


def _bounded(cast, lo, hi):
    """A parser of a query value: ``cast`` it and check it lies in [lo, hi]."""
    def parse(v):
        x = cast(v)
        if not lo <= x <= hi:
            raise ValueError(f"{x} outside {lo}..{hi}")
        return x
    return parse


def _int(lo, hi):
    return _bounded(int, lo, hi)


def _float(lo, hi):
    return _bounded(float, lo, hi)


def _choice(options):
    def parse(v):
        if v not in options:
            raise ValueError(f"{v!r} is not one of {', '.join(options)}")
        return v
    return parse


# query key -> (widget key, parser)
PARAMS = {
    "pair": ("w_pair", _choice(list(BUNDLED_PAIRS))),
    "vocab": ("w_max_vocab", _int(1000, 200_000)),
    "seed": ("w_seed_strategy", _choice(list(SEED_LABELS))),
    "n": ("w_seed_n", _int(2, 20_000)),
    "un": ("w_seed_unsup_n", _int(100, 20_000)),
    "rs": ("w_seed_random_state", _int(0, 10_000)),
    "norm": ("w_norm", lambda v: NORM_BY_CODE[_choice(list(NORM_BY_CODE))(v)]),
    "retrieval": ("w_retrieval", _choice(["csls", "nn"])),
    "k": ("w_csls_k", _int(1, 100)),
    "dir": ("w_direction", _choice(list(DIRECTION_LABELS))),
    "cutoff": ("w_cutoff", _int(100, 200_000)),
    "mapping": ("w_mapping", _choice(["procrustes", "least_squares", "multistep"])),
    "keep": ("w_keep_prob", _float(0.01, 1.0)),
    "stall": ("w_stoch_interval", _int(1, 50)),
}


def restore_from_url(lab: LabState) -> tuple[int, list[str]]:
    """On a session's first run: copy the query parameters into the settings.

    Returns ``(iteration to replay to, problems)``; a bad parameter is skipped and named in ``problems``.
    """
    ss = st.session_state
    pending = ss.pop("_pending_scene", None)   # a scene asked for within the session (open_scene)
    if pending is not None:
        qp = pending
    elif ss.get("_url_restored"):
        return 0, []
    else:
        ss["_url_restored"] = True
        qp = {k: st.query_params[k] for k in st.query_params}
    problems = []
    if qp.get("present") in ("1", "true", "yes"):
        ss["w_present"] = True
    for q, (key, parse) in PARAMS.items():
        if q in qp:
            try:
                ss[key] = parse(qp[q])
            except (ValueError, KeyError) as e:
                problems.append(f"{q}={qp[q]} ({e})")
    if qp.get("seed") in URL_SEEDS and qp.get("seed") not in CHEAP_SEEDS and "pair" in qp:
        ss["_url_start_seed"] = True     # ensure_default starts only cheap seeds unless a link asks
    _restore_lesson(qp, problems)
    it = 0
    if "it" in qp:
        try:
            it = _int(0, MAX_REPLAY)(qp["it"])
        except ValueError as e:
            problems.append(f"it={qp['it']} ({e})")
    return it, problems


def _restore_lesson(qp: dict, problems: list[str]) -> None:
    """``lesson=F4&lit=3``: the Lessons page opens that scene at that iteration."""
    from app.lessons import BY_ID

    if "lesson" not in qp:
        return
    if qp["lesson"] not in BY_ID:
        problems.append(f"lesson={qp['lesson']} (not one of {', '.join(BY_ID)})")
        return
    st.session_state["lesson"] = qp["lesson"]
    st.session_state["lesson_iter"] = BY_ID[qp["lesson"]].iteration
    if "lit" in qp:
        try:
            st.session_state["lesson_iter"] = _int(0, MAX_REPLAY)(qp["lit"])
        except ValueError as e:
            problems.append(f"lit={qp['lit']} ({e})")


def lesson_params() -> dict[str, str]:
    """The Lessons page's scene (and its iteration, for a scene with steps) as query parameters."""
    from app.lessons import BY_ID

    ss = st.session_state
    scene = BY_ID.get(ss.get("lesson"))
    if scene is None:
        return {}
    out = {"lesson": scene.id}
    if scene.steps and int(ss.get("lesson_iter", 0)):
        out["lit"] = str(int(ss["lesson_iter"]))
    return out


def open_scene(lab: LabState, params: dict) -> None:
    """Replace this session's run by the scene ``params`` describe (same keys as the URL), on the next run
    of the script: the caller then reruns or switches page (which clears the URL, so it goes through
    session state)."""
    st.session_state["_pending_scene"] = {str(k): str(v) for k, v in params.items()}
    lab.data = lab.run = None
    lab.data_error = lab.seed_error = lab.run_error = None


def replay(lab: LabState, iteration: int) -> None:
    """Step the fresh run of a restored link up to ``iteration`` (deterministic: same settings, same seed).

    A bundled-data link takes its iterations from the server-wide run (``actions.SharedRun``): a class
    opening the same link pays for one replay, and no two sessions share a learner."""
    from app import actions

    run = lab.run
    if run is None or iteration <= run.learner.current.iteration:
        return
    actions.run_n(lab, run.learner.current.iteration, iteration - run.learner.current.iteration)
    run.tokens = []
    # start_run queued "show iteration 0" for the sidebar slider; show the replayed one instead
    st.session_state["pending_iter"] = min(iteration, run.learner.current.iteration)


def scene_params(lab: LabState) -> dict[str, str]:
    """The query parameters that rebuild the current scene (the run's own settings, not unsaved widgets)."""
    ss = st.session_state
    out = {}
    if ss.get("w_present"):
        out["present"] = "1"
    data, run = lab.data, lab.run
    if data is None or data.kind != "bundled" or run is None:
        return out
    pair, vocab = data.key.split(":")[1:3]
    cfg = run.config
    strategy = run.seed.strategy
    out.update(pair=pair, vocab=vocab, seed=strategy)
    if strategy == "random":
        out["n"] = str(len(run.seed.pairs))
    elif strategy == "unsupervised":
        out["un"] = str(int(ss.get("w_seed_unsup_n", 4000)))
    out.update(rs=str(cfg.random_state), norm=NORM_CODES.get(tuple(cfg.normalize), "unit+center+unit"),
               retrieval=cfg.retrieval, k=str(cfg.csls_k), dir=cfg.direction, cutoff=str(cfg.cutoff),
               mapping=cfg.mapping, keep=f"{cfg.stochastic_initial:g}", stall=str(cfg.stochastic_interval))
    view = int(ss.get("w_iter", run.learner.current.iteration))
    if view:
        out["it"] = str(view)
    return out


def write_url(lab: LabState, page: str = "") -> None:
    """Put the scene in the address bar (only when it changed: no needless browser history); on the Lessons
    page (``page`` is the page's url path) the lesson scene too."""
    params = scene_params(lab)
    if lab.run is not None and not is_replayable(lab):
        # A run whose settings changed at a branch cannot be replayed from them: share the zip instead.
        params.pop("it", None)
    if page == LESSON_PAGE:
        params.update(lesson_params())
    current = {k: st.query_params[k] for k in st.query_params.keys()}
    if current != params:
        st.query_params.from_dict(params)


def is_replayable(lab: LabState) -> bool:
    """Whether the URL's settings rebuild this run (bundled data, a cheap seed, no settings changed mid-run)."""
    run = lab.run
    return run is not None and lab.data is not None and lab.data.kind == "bundled" \
        and run.seed.strategy in URL_SEEDS and run.mixed_from is None and not run.config.mutual


# --------------------------------------------------------------------------------------------------
# Run files


def run_description(lab: LabState) -> dict:
    """config.json's description of the lab's data and seed (the AlignConfig is added by core.runfile)."""
    data, run = lab.data, lab.run
    seed_params = {"random_state": int(run.config.random_state)}
    if run.seed.strategy == "random":
        seed_params["n"] = int(len(run.seed.pairs))
    desc = {"command": "CLWE Lab", "data": data.label, "data_kind": data.kind, "src_name": data.src.name,
            "tgt_name": data.tgt.name, "init": run.seed.strategy, "seed": {"pairs": int(len(run.seed.pairs))},
            "seed_params": seed_params, "branched": run.mixed_from is not None or bool(run.config.mutual),
            "query": scene_params(lab)}
    if data.kind == "bundled":
        pair, vocab = data.key.split(":")[1:3]
        desc.update(pair=pair, max_vocab=int(vocab))
    return desc


def run_zip(lab: LabState, iteration: int) -> bytes:
    from core import runfile

    return runfile.run_bytes(runfile.from_learner(lab.run.learner, run_description(lab), iteration=iteration))


def share_panel(lab: LabState) -> None:
    """Sidebar: download the run as a zip; the address bar already holds the link."""
    if lab.run is None or lab.data is None:
        return
    view = int(st.session_state.get("w_iter", lab.run.learner.current.iteration))
    view = min(view, lab.run.learner.current.iteration)
    st.sidebar.download_button(
        "Download this run (.zip)", data=lambda: run_zip(lab, view), file_name=f"clwe-run-it{view}.zip",
        mime="application/zip", key="dl_run", on_click="ignore", width="stretch",
        help="config.json, history.jsonl, dictionary.tsv and the mapped vectors (.npy) of the iteration shown; "
             "open it again on the Run file page, or compare it with a 'clwe align' run.zip")
    if is_replayable(lab):
        st.sidebar.caption("The address bar holds this scene: copy it to share, reload to restore.")
