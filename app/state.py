"""Per-session state of the lab: dataclasses kept in ``st.session_state``.

Nothing here is shared between browser sessions: loaded spaces may come from a shared cache, but they are
read-only; the seed, the SelfLearning run and every setting live in this session's LabState.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

# Defaults a first visit opens on: bundled en-fr cut to its 10,000 most frequent words, 100 random training
# pairs and deterministic induction (Artetxe et al. 2017's setting). Step then visibly improves P@1 (about 8%
# to 40% in seven steps of a few seconds); researchers raise the vocabulary on the Data page.
DEFAULT_PAIR = "en-fr"
DEFAULT_MAX_VOCAB = 10000
DEFAULT_SEED = "random"
# Strategies cheap enough to build automatically when the data changes; the others wait for a click.
CHEAP_SEEDS = ("dictionary", "random", "identical", "numerals")

SEED_LABELS = {
    "dictionary": "Training dictionary (supervised)",
    "random": "Random N pairs of the training dictionary",
    "identical": "Identical strings (Søgaard et al. 2018)",
    "numerals": "Numerals (Artetxe et al. 2017)",
    "unsupervised": "Unsupervised second-order similarity (Artetxe et al. 2018)",
    "adversarial": "Adversarial (Conneau et al. 2018)",
    "gromov-wasserstein": "Gromov-Wasserstein (Alvarez-Melis & Jaakkola 2018)",
}

# Plain names; the technical steps (core.normalize) are in the Seed page's help text.
NORMALIZATION_PRESETS = {
    "length 1, centred, length 1 again (VecMap)": ("unit", "center", "unit"),
    "length 1": ("unit",),
    "centred, then length 1": ("center", "unit"),
    "iterative normalisation (Zhang et al. 2019)": ("iternorm",),
    "length 1, centred, each dimension scaled, length 1": ("unit", "center", "unitdim", "unit"),
    "none (raw vectors)": ("none",),
}
DIRECTION_LABELS = {"union": "both directions", "forward": "source → target", "backward": "target → source"}
# The synthetic pair starts from this many random pairs: low at iteration 0, then self-learning climbs
# (mirror copy of en, 10,000 words, noise 0.05: CSLS P@1 1.8%, 3.8%, 10.6%, 32%, 85%, 100%).
SYNTHETIC_SEED_N = 8

# Default value of every persistent widget (key prefix "w_"); set once per session, never passed as
# value= to the widget, so Session State is the single source of truth.
WIDGET_DEFAULTS: dict[str, Any] = {
    "w_data_source": "Bundled pair",
    "w_pair": DEFAULT_PAIR,
    "w_max_vocab": DEFAULT_MAX_VOCAB,
    "w_syn_base": "en",
    "w_syn_noise": 0.05,
    "w_syn_rotation": True,
    "w_syn_drop": 0.0,
    "w_syn_seed": 0,
    "w_up_max_vocab": 50000,
    "w_seed_strategy": DEFAULT_SEED,
    "w_seed_n": 100,
    "w_seed_unsup_n": 4000,
    "w_seed_epochs": 5,
    "w_seed_epoch_size": 64000,
    "w_seed_gw_n": 1000,
    "w_seed_random_state": 0,
    "w_norm": "length 1, centred, length 1 again (VecMap)",
    "w_retrieval": "csls",
    "w_csls_k": 10,
    "w_direction": "union",
    "w_cutoff": DEFAULT_MAX_VOCAB,   # capped to the vocabulary whenever data loads (shown = used)
    "w_mapping": "procrustes",
    "w_final_mapping": "multistep",
    "w_keep_prob": 1.0,
    "w_stoch_interval": 3,
    "w_max_iter": 30,
    "w_run_n": 5,
    "w_sl_filter": "all",
    "w_proj_method": "pca",
    "w_proj_n": 15,   # content words a back row can read (app.selection.teaching_rows)
    "w_proj_search": "",
    "w_proj_links": "gold (test dictionary)",
    "w_proj_labels": True,
    "w_proj_anim": False,
    "w_mapping_shown": "iteration",   # or "refined": Projections and Inspector, once the run is refined
    "w_sim_word_0": "two",
    "w_sim_lang_0": "source",
    "w_sim_word_1": "deux",
    "w_sim_lang_1": "target",
    "w_sim_word_2": "chien",
    "w_sim_lang_2": "target",
    "w_sim_n": 4000,
    "w_sim_curve": "sorted cosine similarities",
    "w_insp_word": "",
    "w_insp_side": "source → target",
    "w_insp_k": 10,
    "w_iso_n": 1000,
    "w_iso_k": 10,
    "w_an_ref": "the current run",
    "w_an_sizes": [25, 100, 250, 500, 1000, 2500],
    "w_present": False,
    "w_hub_k": 10,
}


@dataclass
class DataSet:
    """Two monolingual spaces and their gold dictionaries, as loaded (not normalised)."""

    key: str                 # identifies the data in cache keys (unique per upload)
    label: str               # "en-fr", "synthetic (en, noise 0.05)", "upload: a.vec / b.vec"
    kind: str                # "bundled" | "synthetic" | "upload"
    src: Any                 # core.io.Embeddings
    tgt: Any
    train: list = field(default_factory=list)   # gold pairs (str, str)
    test: list = field(default_factory=list)


@dataclass
class RunState:
    """A seed and the self-learning run started from it."""

    uid: str                 # unique per run: cache keys of projections never cross runs or sessions
    seed: Any                # core.seeds.Seed
    seed_label: str
    config: Any              # core.selflearning.AlignConfig
    learner: Any             # core.selflearning.SelfLearning
    src_norm: Any            # normalised spaces the seed was built on (the "before mapping" picture)
    tgt_norm: Any
    tokens: list = field(default_factory=list)   # (record, token) per history entry, for cache keys
    last_step_seconds: float | None = None
    last_step_shared: bool = False   # the last step came from the server-wide run (computed once)
    shared: Any = None               # app.actions.SharedRun this run started from (None: its own)
    # Runs left at a branch point (read-only): dicts with "records", "label", "branch_point", newest last.
    branches: list = field(default_factory=list)
    # Set when a branch changed the settings mid-run: records 1..mixed_from used the earlier settings, so the
    # run's own settings no longer rebuild it (no iteration in the URL, not replayable from a run file).
    mixed_from: int | None = None


@dataclass
class LabState:
    data: DataSet | None = None
    run: RunState | None = None
    data_error: str | None = None
    seed_error: str | None = None
    run_error: str | None = None
    seed_pending: str | None = None   # why no run exists yet (an expensive seed waits for a click)

    def record_token(self, iteration: int) -> str:
        """A token naming one record of the current history; changes when a rewind replaces it."""
        run = self.run
        history = run.learner.history
        # Resync: a record object that differs from the one we tokenised was replaced by a branch.
        for i, rec in enumerate(history):
            if i >= len(run.tokens) or run.tokens[i][0] is not rec:
                run.tokens[i:] = []
                run.tokens.append((rec, uuid.uuid4().hex))
        del run.tokens[len(history):]
        return f"{run.uid}:{run.tokens[iteration][1]}"


def init_session() -> LabState:
    """Set widget defaults once and return this session's LabState."""
    for key, value in WIDGET_DEFAULTS.items():
        st.session_state.setdefault(key, value)
    # Keep widget values of pages not shown in this run (Streamlit drops them otherwise).
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith("w_"):
            st.session_state[key] = st.session_state[key]
    if "lab" not in st.session_state:
        st.session_state["lab"] = LabState()
    return st.session_state["lab"]


def lab() -> LabState:
    return st.session_state["lab"]


def new_uid() -> str:
    return uuid.uuid4().hex
