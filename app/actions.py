"""What the buttons do: load data, build a seed, start and drive a self-learning run.

Each action calls core and stores the result in this session's LabState. On failure it raises, and the
caller shows the message (``app.ui.guard``) with the previous state untouched: state is only replaced
once the new object is complete.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import threading
import time

import numpy as np

import streamlit as st

from app import loaders
from app.state import (CHEAP_SEEDS, DIRECTION_LABELS, NORMALIZATION_PRESETS, SEED_LABELS, WIDGET_DEFAULTS, DataSet,
                       LabState, RunState, new_uid)
from core import io as cio
from core.errors import ConfigError
from core.refinement import RefinementConfig


# --------------------------------------------------------------------------------------------------
# Data


def bundled_data(pair: str, max_vocab: int) -> DataSet:
    """A bundled pair as the lab holds it (its spaces shared read-only by the server's sessions)."""
    src_short, tgt_short = pair.split("-")
    src = loaders.bundled_space(src_short, max_vocab)
    tgt = loaders.bundled_space(tgt_short, max_vocab)
    train = loaders.bundled_dictionary(pair, "train")
    test = loaders.bundled_dictionary(pair, "test")
    return DataSet(f"bundled:{pair}:{max_vocab}", pair, "bundled", src, tgt, train, test)


def load_bundled(lab: LabState, pair: str, max_vocab: int) -> None:
    _set_data(lab, bundled_data(pair, max_vocab))


def load_synthetic(lab: LabState, base: str, max_vocab: int, noise: float, rotation: bool, drop: float,
                   random_state: int) -> None:
    src, tgt, gold = loaders.synthetic_spaces(base, max_vocab, noise, rotation, drop, random_state)
    gold = list(gold)
    train, test = cio.split_dictionary(gold, random_state=random_state)
    label = (f"synthetic: {src.name} and its mirror copy {tgt.name} (noise {noise:g}, "
             f"{'rotated' if rotation else 'not rotated'}, {drop:.0%} dropped)")
    key = f"synthetic:mirror:{base}:{max_vocab}:{noise}:{rotation}:{drop}:{random_state}"
    _set_data(lab, DataSet(key, label, "synthetic", src, tgt, train, test))


def load_upload(lab: LabState, src_file, tgt_file, train_file, test_file, max_vocab: int | None,
                progress=None) -> None:
    """Read the uploaded pair (``progress(fraction, text)`` while the spaces are read)."""
    from app.uploads import load_uploaded_pair

    src, tgt, train, test = load_uploaded_pair(src_file, tgt_file, train_file, test_file, max_vocab, progress)
    label = f"upload: {src.name} → {tgt.name}"
    _set_data(lab, DataSet(f"upload:{new_uid()}", label, "upload", src, tgt, train, test))


def _set_data(lab: LabState, data: DataSet) -> None:
    # The Seed page shows the cutoff the run will use: never above the larger vocabulary.
    largest = max(len(data.src), len(data.tgt))
    if int(st.session_state.get("w_cutoff", largest)) > largest:
        st.session_state["w_cutoff"] = largest
    lab.data = data
    lab.run = None
    lab.data_error = lab.seed_error = lab.run_error = None
    lab.seed_pending = "Data changed: build a seed on the Seed page."


def coverage(data: DataSet):
    """Coverage of the train and test dictionaries (``None`` where a dictionary is missing)."""
    return {split: (cio.dictionary_coverage(pairs, data.src, data.tgt) if pairs else None)
            for split, pairs in (("train", data.train), ("test", data.test))}


# --------------------------------------------------------------------------------------------------
# Seed and run


def align_config(settings: dict):
    """An AlignConfig from the settings widgets (only the fields AlignConfig has), on top of the preset named
    by ``settings["preset"]`` if any (the unsupervised seed: its threshold and take-off detection have no
    widget)."""
    from core.selflearning import AlignConfig

    names = {f.name for f in dataclasses.fields(AlignConfig)}
    fields = {k: v for k, v in settings.items() if k in names}
    preset = settings.get("preset")
    return AlignConfig.preset(preset, **fields) if preset else AlignConfig(**fields)


def preset_widgets(strategy: str, largest: int) -> dict:
    """Values of the schedule widgets for a seed strategy: the unsupervised preset's for the unsupervised
    seed (VecMap's slow stochastic search), the lab's defaults otherwise. ``largest``: the larger vocabulary."""
    from core.selflearning import AlignConfig

    if strategy == "unsupervised":
        cfg = AlignConfig.preset("unsupervised")
        return {"w_keep_prob": cfg.stochastic_initial, "w_stoch_interval": cfg.stochastic_interval,
                "w_max_iter": cfg.max_iter, "w_cutoff": min(cfg.cutoff, largest)}
    return {k: (min(WIDGET_DEFAULTS[k], largest) if k == "w_cutoff" else WIDGET_DEFAULTS[k])
            for k in ("w_keep_prob", "w_stoch_interval", "w_max_iter", "w_cutoff")}


def unsupervised_schedule_text(data: DataSet | None) -> str:
    """What the unsupervised preset does beyond the widgets (threshold, take-off), for the Seed page."""
    from core.selflearning import AlignConfig

    cfg = AlignConfig.preset("unsupervised")
    text = (f"Unsupervised preset (VecMap's unsupervised mode): keep {cfg.stochastic_initial:g} of the candidate "
            f"pairs at first, doubled after {cfg.stochastic_interval} iterations without an objective gain of "
            f"{cfg.threshold:g}; once the mapping has taken off (identical strings are their own nearest "
            f"neighbour for ≥ {cfg.takeoff_agreement:.0%} of them) patience {cfg.takeoff_interval} and threshold "
            f"{cfg.takeoff_threshold:g}, a fast finish.")
    if data is not None and data.src.dim != data.tgt.dim:
        text += (f" The spaces differ in dimension ({data.src.dim} and {data.tgt.dim}): building the seed runs "
                 f"that search with the larger space on its {min(data.src.dim, data.tgt.dim)} principal axes "
                 "(about a minute); self-learning then goes on from its dictionary on the full spaces, "
                 "deterministically (keep 1). The search needs many words: on en-fr it finds the alignment "
                 "with the whole vocabulary (20,000 English words) and not with 10,000 (raise it on the Data "
                 "page).")
    return text


def seed_kwargs(strategy: str, data: DataSet, params: dict, callback=None) -> dict:
    """Keyword arguments of ``build_seed`` for a strategy, limited to those its function accepts."""
    from core.seeds import SEED_STRATEGIES

    kw = dict(params)
    if strategy in ("dictionary", "random"):
        if not data.train:
            raise ConfigError("this seed needs a training dictionary; load one on the Data page or pick "
                              "identical strings, numerals or an unsupervised seed")
        kw["pairs"] = data.train
    if callback is not None:
        kw["callback"] = callback
    accepted = inspect.signature(SEED_STRATEGIES[strategy]).parameters
    if any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        return kw
    return {k: v for k, v in kw.items() if k in accepted}


def _shared_for(data: DataSet, strategy: str, params: dict, settings: dict) -> SharedRun:
    """The server-wide run of ``data`` with these settings (the cutoff capped to the vocabulary, as
    ``start_run`` caps it)."""
    settings = dict(settings)
    # A cutoff above both vocabularies means "all words": cap it instead of refusing.
    settings["cutoff"] = min(int(settings.get("cutoff", 20000)), max(len(data.src), len(data.tgt)))
    return shared_run(data.key, data, strategy, tuple(sorted(params.items())), tuple(sorted(settings.items())))


def start_run(lab: LabState, strategy: str, params: dict, settings: dict, progress=None) -> None:
    """Normalise, build the seed, and start a SelfLearning run at iteration 0 (the seed's mapping)."""
    data = lab.data
    if data is None:
        raise ConfigError("no data loaded: pick a pair on the Data page first")
    settings = dict(settings)
    settings["cutoff"] = min(int(settings.get("cutoff", 20000)), max(len(data.src), len(data.tgt)))
    shared = None
    if progress is None and data.kind != "upload":
        # Same data and settings as an earlier start on this server: share its iterations (fast first chart,
        # and a Step that another session already took costs nothing).
        shared = _shared_for(data, strategy, params, settings)
        seed, learner = shared.seed, shared.session_learner()
    else:
        seed, learner = _initial(data, strategy, params, settings, progress)
    # The engine's own normalised spaces are the "before mapping" picture (no second copy).
    lab.run = RunState(new_uid(), seed, SEED_LABELS.get(strategy, strategy), learner.config, learner,
                       learner.src, learner.tgt, shared=shared)
    lab.seed_error = lab.run_error = lab.seed_pending = None
    st.session_state["pending_iter"] = 0   # the slider may already exist in this script run


def _initial(data: DataSet, strategy: str, params: dict, settings: dict, progress=None):
    """Build the seed on the normalised spaces and a SelfLearning run holding iteration 0."""
    from core.seeds import build_seed
    from core.selflearning import SelfLearning, unsupervised_start

    config = align_config(settings)
    if strategy == "unsupervised":
        # As `clwe align --init unsupervised`: for spaces of different dimension the seed is the dictionary
        # of a search on the larger space's principal axes, and the run finishes deterministically.
        seed, config = unsupervised_start(data.src, data.tgt, config, seed_n=int(params.get("n", 4000)))
        return seed, SelfLearning(data.src, data.tgt, seed.pairs, config, gold_test=data.test or None)
    steps = tuple(config.normalize)
    src_n = loaders.normalized(data.src, steps)
    tgt_n = loaders.normalized(data.tgt, steps)
    seed = build_seed(strategy, src_n, tgt_n, **seed_kwargs(strategy, data, params, progress))
    if len(seed.pairs) < 2:
        raise ConfigError(f"the {SEED_LABELS.get(strategy, strategy)} seed found only {len(seed.pairs)} pair(s) "
                          "for these spaces; pick another strategy (e.g. a random dictionary seed)")
    return seed, SelfLearning(data.src, data.tgt, seed.pairs, config, gold_test=data.test or None)


def _read_only(*arrays) -> None:
    for a in arrays:
        if isinstance(a, np.ndarray):
            a.flags.writeable = False


def _freeze_record(rec) -> None:
    """A shared record's arrays become read-only: a session writing into one fails loudly instead of
    changing every other session's run."""
    _read_only(rec.src_idx, rec.tgt_idx, rec.scores, rec.forward, rec.mapping.Wx, rec.mapping.Wz)


class SharedRun:
    """One run's iterations, computed once per server for every session that starts the same run.

    A class that opens the same scene (the default pair, a lesson, a shared link) and presses **Step**
    pays for each iteration once: the first session to need iteration i+1 computes it (under a lock:
    the others wait for it instead of computing it again), the rest append the same read-only record.
    Every step is deterministic given the data, the seed and the settings (the stochastic induction is
    seeded by ``(random_state, iteration)``), so this is the record the session would have computed.
    A session stops sharing as soon as its run differs (a rewind that changed a setting, a diagnosis, a
    branch): its own learner then steps by itself. Sessions never share a learner, only records and the
    read-only normalised spaces.
    """

    MAX_ITERATIONS = 100

    def __init__(self, seed, learner):
        self.uid = new_uid()              # names this run in other server-wide caches
        self.seed = seed
        self._worker = learner            # private: only record() steps it, under the lock
        self.config = learner.config
        self.records = list(learner.history)
        self._lock = threading.Lock()
        _read_only(learner.src.vectors, learner.tgt.vectors, learner.shared_pairs, learner.seed_pairs,
                   getattr(seed, "pairs", None))   # the seed too is shared by the sessions (RunState.seed)
        for rec in self.records:
            _freeze_record(rec)
        # What a session's learner shares instead of copying: spaces, gold pairs, record 0.
        self._shared = [learner.src, learner.tgt, learner.gold_test, learner.shared_pairs, learner.seed_pairs,
                        self.records[0]]
        with self._lock:
            self._template = self._copy(learner)   # iteration 0, never stepped

    def _copy(self, learner):
        return copy.deepcopy(learner, {id(x): x for x in self._shared})

    def session_learner(self):
        """A new learner of the session's own at iteration 0 (the shared record 0); Step appends the rest."""
        return self._copy(self._template)

    def follows(self, learner) -> bool:
        """Whether ``learner`` is still this run: same settings and exactly the shared records."""
        history = learner.history
        return (learner.config == self.config and len(history) < self.MAX_ITERATIONS
                and len(history) <= len(self.records)
                and all(rec is self.records[i] for i, rec in enumerate(history)))

    def record(self, iteration: int):
        """The record of ``iteration``, computed now if no session needed it before."""
        if iteration < len(self.records):
            return self.records[iteration]
        with self._lock:
            while len(self.records) <= iteration:
                rec = self._worker.step()
                _freeze_record(rec)
                self.records.append(rec)
        return self.records[iteration]


@st.cache_resource(max_entries=8, show_spinner=False)
def shared_run(key: str, _data: DataSet, strategy: str, params: tuple, settings: tuple) -> SharedRun:
    """The server-wide run of these data, seed and settings (``key`` names the data)."""
    return SharedRun(*_initial(_data, strategy, dict(params), dict(settings)))


def settings_from_widgets(ss=None) -> tuple[str, dict, dict]:
    """(strategy, seed params, AlignConfig settings) from this session's widget values (or from ``ss``, a
    mapping of widget keys to values)."""
    ss = st.session_state if ss is None else ss
    strategy = ss["w_seed_strategy"]
    rs = int(ss["w_seed_random_state"])
    params = {"random_state": rs}
    if strategy == "random":
        params["n"] = int(ss["w_seed_n"])
    elif strategy == "unsupervised":
        params.update(n=int(ss["w_seed_unsup_n"]), csls_k=int(ss["w_csls_k"]))
    elif strategy == "adversarial":
        params.update(n_epochs=int(ss["w_seed_epochs"]), epoch_size=int(ss["w_seed_epoch_size"]))
    elif strategy == "gromov-wasserstein":
        params["n"] = int(ss["w_seed_gw_n"])
    settings = {"normalize": NORMALIZATION_PRESETS[ss["w_norm"]], "retrieval": ss["w_retrieval"],
                "csls_k": int(ss["w_csls_k"]), "direction": ss["w_direction"], "cutoff": int(ss["w_cutoff"]),
                "mapping": ss["w_mapping"], "final_mapping": ss.get("w_final_mapping", "multistep"),
                "random_state": rs,
                "stochastic_initial": float(ss["w_keep_prob"]), "stochastic_interval": int(ss["w_stoch_interval"]),
                "max_iter": int(ss["w_max_iter"])}
    if strategy == "unsupervised":
        settings["preset"] = "unsupervised"   # its threshold and take-off detection (no widgets)
    return strategy, params, settings


def ensure_default(lab: LabState) -> None:
    """First visit: load the default pair and start a run with the default seed, so charts show at once."""
    if lab.data is None and lab.data_error is None:
        try:
            load_bundled(lab, st.session_state["w_pair"], int(st.session_state["w_max_vocab"]))
        except Exception as e:  # shown on every page by the caller
            lab.data_error = _message(e)
            return
    if lab.data is not None and lab.run is None and lab.seed_error is None:
        strategy, params, settings = settings_from_widgets()
        # costly seeds start only when a shared link asks for one (share.restore_from_url)
        if strategy not in CHEAP_SEEDS and not st.session_state.pop("_url_start_seed", False):
            return
        try:
            start_run(lab, strategy, params, settings)
        except Exception as e:
            lab.seed_error = f"Seed: {_message(e)}"


def _message(e: Exception) -> str:
    from app.wording import error_text  # not app.ui: ui imports this module

    return error_text(e)


# --------------------------------------------------------------------------------------------------
# Driving the run


def keep_branch(lab: LabState, iteration: int) -> None:
    """Before a rewind to ``iteration`` drops later records, keep them (read-only) to draw beside the new
    branch; at most three earlier branches are kept."""
    run = lab.run
    learner = run.learner
    if iteration >= learner.current.iteration:
        return
    cfg = learner.config
    label = f"earlier run ({cfg.retrieval.upper()}, {DIRECTION_LABELS.get(cfg.direction, cfg.direction)})"
    run.branches.append({"records": tuple(learner.history), "label": label, "branch_point": int(iteration)})
    del run.branches[:-3]
    if iteration == 0:   # record 0 (the seed's mapping) does not depend on the induction settings
        run.mixed_from = None


def _branch_from(lab: LabState, iteration: int) -> None:
    learner = lab.run.learner
    if iteration < learner.current.iteration:
        keep_branch(lab, iteration)
        learner.rewind(iteration)


def _shared_step(lab: LabState):
    """Take the next step from the server-wide run when this session's run still is that run (else None)."""
    run = lab.run
    learner = run.learner
    if run.shared is None or not run.shared.follows(learner):
        return None
    rec = run.shared.record(learner.current.iteration + 1)
    learner.history.append(rec)
    learner.final = learner.selection = None
    return rec


def _advance(lab: LabState, n: int, callback=None) -> tuple[float, bool]:
    """Up to ``n`` steps (stopping at convergence). Returns (engine seconds, whether all were shared)."""
    learner = lab.run.learner
    engine, shared = 0.0, True
    for _ in range(n):
        t0 = time.perf_counter()
        rec = _shared_step(lab)
        if rec is not None:
            engine += sum(rec.seconds.values())   # what it cost once, when computed
        else:
            shared = False
            rec = learner.step()
            engine += time.perf_counter() - t0
        if callback is not None:
            callback(rec)
        if rec.converged:
            break
    return engine, shared


def step(lab: LabState, from_iteration: int) -> None:
    _branch_from(lab, from_iteration)
    lab.run.last_step_seconds, lab.run.last_step_shared = _advance(lab, 1)


def run_n(lab: LabState, from_iteration: int, n: int, callback=None) -> None:
    _branch_from(lab, from_iteration)
    engine, lab.run.last_step_shared = _advance(lab, n, callback)
    lab.run.last_step_seconds = engine / max(n, 1)


def run_until_converged(lab: LabState, from_iteration: int, callback=None) -> None:
    _branch_from(lab, from_iteration)
    lab.run.last_step_shared = False
    start = lab.run.learner.current.iteration
    t0 = time.perf_counter()
    lab.run.learner.run_until_converged(callback=callback)
    done = max(lab.run.learner.current.iteration - start, 1)
    lab.run.last_step_seconds = (time.perf_counter() - t0) / done


# The live unsupervised demo (issue 17): the pair and vocabulary it opens, and how many iterations one click
# of "Run until aligned" may take before it hands control back (a search that has not taken off by then
# says so; clicking again goes on).
DEMO_PAIR = "doc_en-doc_fr"
DEMO_VOCAB = 10000
ALIGN_BUDGET = 60


def can_align(lab: LabState) -> bool:
    """Whether "Run until aligned" applies: a run with take-off detection (the unsupervised preset) that has
    not taken off yet (``core.selflearning.SelfLearning.takeoff``)."""
    run = lab.run
    if run is None:
        return False
    learner = run.learner
    return learner.config.takeoff_agreement > 0 and learner.takeoff() is None


def align_state(learner) -> str | None:
    """Why a search stops now: "aligned" (the engine's take-off signal fired), "failed" (the engine calls it
    hopeless), "stopped" (converged or at max_iter without taking off), or None (go on)."""
    if learner.takeoff() is not None:
        return "aligned"
    if learner.hopeless():
        return "failed"
    if learner.current.converged or learner.current.iteration >= learner.config.max_iter:
        return "stopped"
    return None


def run_until_aligned(lab: LabState, from_iteration: int, callback=None, budget: int = ALIGN_BUDGET) -> dict:
    """Step until the engine's take-off signal fires (the identically spelled words agree at the level of an
    alignment), the run fails or stops, or ``budget`` iterations have run; then stop, without finishing the
    run (Run until converged does that). Returns what the page says: ``{"outcome", "iteration", "steps",
    "seconds"}`` with outcome "aligned" | "failed" | "stopped" | "budget"."""
    _branch_from(lab, from_iteration)
    learner = lab.run.learner
    shared_run = lab.run.shared
    known = len(shared_run.records) if shared_run is not None else 0   # computed before this click
    t0 = time.perf_counter()
    engine, shared, steps = 0.0, True, 0
    outcome = align_state(learner)
    while outcome is None and steps < budget:
        seconds, was_shared = _advance(lab, 1, callback)
        engine += seconds
        shared = shared and was_shared
        steps += 1
        outcome = align_state(learner)
    if outcome == "failed":
        learner.diagnose()   # the collapse sentence on the last record, as Run until converged leaves it
    lab.run.last_step_seconds = engine / max(steps, 1)
    lab.run.last_step_shared = shared and steps > 0
    # "cached": every step was taken from iterations another click on this server had already computed
    cached = steps > 0 and shared and learner.current.iteration < known
    return {"outcome": outcome or "budget", "iteration": int(learner.current.iteration), "steps": steps,
            "seconds": time.perf_counter() - t0, "cached": cached}


def demo_widgets(largest: int) -> dict:
    """The widget values of the live demo: the bundled doc_en-doc_fr pair, the unsupervised seed on the
    4,000 most frequent words, the lab's default mapping settings and the unsupervised preset's schedule."""
    ss = {k: WIDGET_DEFAULTS[k] for k in ("w_norm", "w_retrieval", "w_csls_k", "w_direction", "w_mapping",
                                         "w_final_mapping", "w_seed_unsup_n", "w_seed_random_state")}
    ss.update({"w_data_source": "Bundled pair", "w_pair": DEMO_PAIR, "w_max_vocab": DEMO_VOCAB,
               "w_seed_strategy": "unsupervised"})
    ss.update(preset_widgets("unsupervised", largest))
    return ss


_PREBUILD = {"started": False}
_PREBUILD_LOCK = threading.Lock()


def prebuild_demo() -> bool:
    """Start building the live demo's run (its unsupervised seed: about 20 s on a quiet 2-core machine) in a
    background thread, once per server, so that "Watch it live" finds it built. Returns whether this call
    started it.

    Race-free by construction: the thread only fills ``shared_run``'s server-wide cache, whose per-key
    compute lock makes a session that clicks meanwhile wait for this very computation instead of starting
    a second one; the run is built from the widget defaults and the demo's widgets, so a fresh session's
    click asks for the same cache entry (a session with other settings simply builds its own, as before).
    """
    with _PREBUILD_LOCK:
        if _PREBUILD["started"]:
            return False
        _PREBUILD["started"] = True

    def work() -> None:
        try:
            data = bundled_data(DEMO_PAIR, DEMO_VOCAB)
            widgets = {**WIDGET_DEFAULTS, **demo_widgets(max(len(data.src), len(data.tgt)))}
            _shared_for(data, *settings_from_widgets(widgets))
        except Exception:  # noqa: BLE001 - only a head start: the click builds the run itself
            import logging

            logging.getLogger("clwe.app").exception("prebuilding the live demo failed")

    threading.Thread(target=work, name="clwe-prebuild-demo", daemon=True).start()
    return True


def start_demo(lab: LabState) -> None:
    """Open the live unsupervised demo: load doc_en-doc_fr and build its unsupervised seed (server-wide, so a
    second session, or a second click, starts at once); "Run until aligned" then steps it."""
    if lab.data is None or lab.data.key != f"bundled:{DEMO_PAIR}:{DEMO_VOCAB}":
        load_bundled(lab, DEMO_PAIR, DEMO_VOCAB)
    st.session_state.update(demo_widgets(max(len(lab.data.src), len(lab.data.tgt))))
    strategy, params, settings = settings_from_widgets()
    start_run(lab, strategy, params, settings)


def reset(lab: LabState) -> None:
    keep_branch(lab, 0)
    lab.run.learner.rewind(0)


def final_mapping(lab: LabState) -> dict:
    """Fit the run's final mapping (VecMap's multi-step by default) on the current dictionary and evaluate it."""
    learner, data = lab.run.learner, lab.data
    if not data.test:
        raise ConfigError("the final mapping is evaluated on the test dictionary; load one first")
    return learner.bli(learner.finalize())   # the curve's measure (exact up to 20,000 words per side)


def select_mapping(lab: LabState) -> dict:
    """Gold-free model selection over the run so far (core.selection): keep the best of the seed's own
    mapping and every iteration, and evaluate the kept one when a test dictionary is loaded."""
    learner, data = lab.run.learner, lab.data
    selection = learner.select()
    bli = learner.bli(selection.mapping) if data.test else None
    return {"selection": selection, "bli": bli}


def selection_text(result: dict) -> str:
    """One paragraph for the page: which iteration was kept, why, and (if known) its test P@1."""
    sel = result["selection"]
    what = "the seed's own mapping" if sel.iteration == 0 else f"iteration {sel.iteration}"
    text = f"**Kept {what}** ({sel.kept.kind} mapping, {sel.kept.mapping.method}). {sel.reason}"
    if result.get("bli"):
        text += (f" Test P@1 of the kept mapping: CSLS {100 * result['bli']['csls'].p_at_1:.1f}%, "
                 f"NN {100 * result['bli']['nn'].p_at_1:.1f}% (the test dictionary played no part in the choice).")
    return text


REFINE_ROUNDS = RefinementConfig().rounds   # the lab refines with the engine's defaults, as clwe align does


def refine_mapping(lab: LabState, callback=None) -> dict:
    """The contrastive refinement (core.refinement; Li et al. 2022, C1) of the mapping the gold-free selection
    keeps, as ``clwe align --refine`` runs it: each round scored by the held-out identical strings, and (when a
    test dictionary is loaded) by test P@1, which plays no part in the choice. ``rows`` are the rounds as a
    table, ``curve`` as points of the learning curves (rounds after the last iteration); they are not
    self-learning steps of the run, so the slider and the run file do not hold them."""
    from core.cli import TRUSTED_SEEDS

    learner, data = lab.run.learner, lab.data
    if learner.selection is None:
        learner.select()
    res = learner.refine(RefinementConfig(random_state=learner.config.random_state),
                         trusted_seed=lab.run.seed.strategy in TRUSTED_SEEDS, callback=callback)
    rows, curve, kept_bli = [], [], None
    for r in res.rounds:
        bli = learner.bli(r.mapping) if data.test else None     # the measure of the curve's iterations
        p1 = bli["csls"].p_at_1 if bli is not None else None
        if r.round == res.kept_round:
            kept_bli = bli
        row = {"round": r.round, "pairs": r.n_pairs, "augmented": r.n_augmented,
               "InfoNCE loss (first → last step)": (f"{r.losses[0]:.3f} → {r.losses[-1]:.3f}" if r.losses else "–"),
               "held-out score": round(r.score, 4), "kept": r.round == res.kept_round}
        if p1 is not None:
            row["test P@1 CSLS"] = round(100 * p1, 1)
        rows.append(row)
        curve.append({"round": r.round, "p1_csls": p1, "score": r.score, "pairs": r.n_pairs,
                      "kept": r.round == res.kept_round})
    return {"refinement": res, "rows": rows, "curve": curve, "view": _refined_view(learner, data, res, kept_bli)}


@dataclasses.dataclass
class RefinedView:
    """The mapping a refinement keeps, with what an iteration record gives the Projections page: its BLI per
    retrieval on the test dictionary (None without one) and the dictionary it induces (``src_idx``,
    ``tgt_idx``, for the induced-dictionary lines: induced on first use, seconds at 200k words).
    ``label`` names it in titles, ``kept`` says which round."""

    label: str
    kept: str
    mapping: object
    bli: dict | None
    learner: object = dataclasses.field(repr=False)
    _dictionary: object = dataclasses.field(default=None, repr=False)

    def _induced(self):
        if self._dictionary is None:
            self._dictionary = self.learner.induced(self.mapping)
        return self._dictionary

    @property
    def src_idx(self) -> np.ndarray:
        return self._induced().src

    @property
    def tgt_idx(self) -> np.ndarray:
        return self._induced().tgt


def _refined_view(learner, data, res, bli: dict | None) -> RefinedView:
    mapping = res.mapping
    if res.kept_round == 0 and data.test:   # the run's own mapping, not round 0's refit without the held-out words
        bli = learner.bli(mapping)
    if res.kept_round:
        label, kept = f"refinement round {res.kept_round}", f"round {res.kept_round} kept"
    else:
        label, kept = "the refinement's start (no round beat it)", "no round beat the selected mapping"
    return RefinedView(label, kept, mapping, bli, learner)


def current_refinement(lab: LabState) -> dict | None:
    """The result of :func:`refine_mapping` for the run as it stands now (``st.session_state["refine_eval"]``),
    or None when there is none or the run has stepped, rewound or branched since."""
    held = st.session_state.get("refine_eval")
    if held is None or lab.run is None or held[0] != lab.record_token(lab.run.learner.current.iteration):
        return None
    return held[1]


def refinement_text(result: dict) -> str:
    """One paragraph for the page: which round was kept and why."""
    res = result["refinement"]
    start, kept = res.rounds[0].score, res.rounds[res.kept_round].score
    if len(res.rounds) == 1:
        head = (f"**Kept the start mapping**: by the {res.criterion}, it already scores the maximum ({start:.4f}), "
                "so no refinement round could score above it and none was run")
    elif res.kept_round == 0:
        head = (f"**Kept the start mapping**: by the {res.criterion}, no refinement round scored above its "
                f"{start:.4f} (rounds " + ", ".join(f"{r.score:.4f}" for r in res.rounds[1:]) + ")")
    else:
        head = (f"**Kept refinement round {res.kept_round}**: by the {res.criterion}, it scored {kept:.4f} against "
                f"the start mapping's {start:.4f}")
    return (f"{head}. The refinement took {res.seconds:.0f} s; round 0 is the start mapping refitted without the "
            "held-out words.")


def branch(lab: LabState, from_iteration: int, **changes) -> None:
    """Rewind to an iteration, change settings for the branch (e.g. retrieval), and step once."""
    learner = lab.run.learner
    keep_branch(lab, from_iteration)
    if from_iteration > 0 and any(getattr(learner.config, k) != v for k, v in changes.items()):
        lab.run.mixed_from = from_iteration
    learner.rewind(from_iteration, **changes)
    lab.run.config = learner.config
    step(lab, from_iteration)


# --------------------------------------------------------------------------------------------------
# Analysis


def seed_size_curve(lab: LabState, sizes, retrieval: str, callback=None, self_learning: bool = False):
    """P@1 of the map learned from N random training pairs, for each N, without (and optionally with)
    self-learning with the current run's settings (F8).

    The same computation as the F8 lesson: :func:`app.scenes.seed_size_curve` (so with the lesson's pair and
    settings both pages show the same numbers). Returns its rows: ``{"n", "p1", "p1_sl", "iterations"}``.
    """
    from app.scenes import seed_size_curve as curve

    data, run = lab.data, lab.run
    if not data.train or not data.test:
        raise ConfigError("BLI against seed size needs both a training and a test dictionary")
    return curve(data.src, data.tgt, data.train, data.test, sizes, run.config, self_learning=self_learning,
                 retrieval=retrieval, random_state=run.config.random_state, callback=callback)


def _hub_key(lab: LabState, iteration: int, k: int) -> tuple:
    return (lab.record_token(iteration), int(k), int(lab.run.config.csls_k))


def cached_hubness(lab: LabState, iteration: int, k: int):
    """The hubness of an iteration if already counted in this session, else None."""
    return st.session_state.get("hubness_results", {}).get(_hub_key(lab, iteration, k))


def hubness(lab: LabState, iteration: int, k: int):
    """k-occurrence of every target word under NN and CSLS retrieval for an iteration's mapping, and each
    source word's first choice, among the run's cutoff words (Radovanović et al. 2010; Conneau et al. 2018).

    Returns ``(nn_counts, csls_counts, nn_first, csls_first)``; cached per record in session state."""
    from core.similarity import k_occurrence

    run = lab.run
    cache = st.session_state.setdefault("hubness_results", {})
    key = _hub_key(lab, iteration, k)
    if key not in cache:
        rec = run.learner.history[iteration]
        n = min(run.config.cutoff, len(run.src_norm), len(run.tgt_norm))
        Xm = rec.mapping.transform_src(run.src_norm.vectors[:n], normalize=True)
        Zm = rec.mapping.transform_tgt(run.tgt_norm.vectors[:n], normalize=True)
        nn, nn_idx = k_occurrence(Xm, Zm, k, "nn", return_neighbours=True)
        cs, cs_idx = k_occurrence(Xm, Zm, k, "csls", csls_k=run.config.csls_k, return_neighbours=True)
        cache.clear()   # one iteration at a time: the arrays are n x k
        cache[key] = (nn, cs, nn_idx[:, 0], cs_idx[:, 0])
    return cache[key]


def isomorphism(lab: LabState, n: int, k: int):
    """Isomorphism report and per-pair neighbourhood overlap of the normalised spaces (F9)."""
    from core import isomorphism as iso

    data, run = lab.data, lab.run
    pairs = data.train + data.test
    if not pairs:
        raise ConfigError("isomorphism diagnostics compare translation pairs: load a dictionary first")
    report = iso.isomorphism_report(run.src_norm, run.tgt_norm, pairs, n=n, k=k)
    overlap = iso.neighbourhood_overlap(run.src_norm, run.tgt_norm, pairs, k=k, n=n)
    return report, overlap


def unsupervised_reference(lab: LabState, retrieval: str, callback=None) -> tuple[float, int, str | None]:
    """P@1 of a fully unsupervised run on the current data: second-order seed (Artetxe et al. 2018, ACL)
    and self-learning until convergence with the unsupervised preset (VecMap's slow stochastic search,
    then a fast finish; for spaces of different dimension, the search on principal axes first).

    Returns (P@1, iterations, the engine's collapse sentence or None)."""
    from core.selflearning import AlignConfig, SelfLearning, unsupervised_start

    data, run = lab.data, lab.run
    if not data.test:
        raise ConfigError("the reference is measured on the test dictionary; load one first")
    # the unsupervised preset (as `clwe align --init unsupervised`), with the run's normalisation and CSLS k
    # (the preset's 4,000-word search capped to a smaller vocabulary, as `clwe align` caps it)
    cutoff = min(AlignConfig.preset("unsupervised").cutoff, max(len(data.src), len(data.tgt)))
    config = AlignConfig.preset("unsupervised", normalize=run.config.normalize, csls_k=run.config.csls_k,
                                random_state=run.config.random_state, cutoff=cutoff)
    seed, config = unsupervised_start(data.src, data.tgt, config)
    learner = SelfLearning(data.src, data.tgt, seed.pairs, config, gold_test=data.test)
    last = learner.run_until_converged(callback=callback)
    return last.bli[retrieval].p_at_1, last.iteration, last.collapse
