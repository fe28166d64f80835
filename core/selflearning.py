"""Self-learning (Artetxe, Labaka & Agirre 2017, ACL; 2018, ACL) as an inspectable stepper.

Each :meth:`SelfLearning.step` induces a dictionary from the current mapping (with VecMap's stochastic
dictionary induction schedule) and fits a new mapping to it; every step is kept as an immutable
:class:`IterationRecord`, so a user (or the app) can look at any iteration, rewind to it and branch.
As in VecMap, the loop uses the plain orthogonal mapping and the multi-step refinements (whitening,
re-weighting, de-whitening; Artetxe et al. 2018, AAAI) run once after convergence (:meth:`finalize`).

Collapse detection: a run that ends with a low objective, a dictionary that keeps changing and few mutual
nearest neighbours has probably not found an alignment (MUSE and VecMap report such runs as
success, then score ~0%). :func:`diagnose_collapse` puts that into a sentence.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Callable, NamedTuple

import numpy as np

from .errors import ConfigError
from .evaluate import BLIResult, evaluate_bli
from .induction import InducedDictionary, induce_dictionary, resolve_cutoff
from .io import Embeddings, shared_string_pairs  # noqa: F401 (re-exported: core.selflearning.shared_string_pairs)
from .mapping import MIN_PAIRS, NEEDS_SPACES, Mapping, fit_mapping
from .normalize import normalize as normalize_vectors
from .selection import DEFAULT_CRITERION, select_mapping
from .similarity import DEFAULT_BATCH, mean_topk_similarity, topk_similarities

# Collapse thresholds, calibrated on bundled en-fr / fi-fr against random-seed and shuffled-target runs
# (see bench/calibrate_collapse.py): the margin of the objective over the same spaces under a random
# rotation, and the share of mutual nearest neighbours (deterministic union induction, cutoff words).
# Measured (objective / null objective, mutual-NN excess): en-fr good 1.50 / +0.10, fi-fr good 2.87 / -0.01,
# synthetic good 1.90 / +0.43; en-fr random seed 1.36 / +0.02, en-fr Gaussian target 1.08 / -0.01,
# fi-fr random seed 2.36 / -0.08, synthetic Gaussian 1.17 / +0.01, synthetic shuffled 1.33 / +0.02.
# Every failed run also ended with the stochastic schedule unsettled (keep probability < 1 at max_iter).
COLLAPSE_MIN_RATIO = 1.4
COLLAPSE_CLEAR_RATIO = 2.0
COLLAPSE_UNSETTLED_RATIO = 3.0
COLLAPSE_MIN_MUTUAL_EXCESS = 0.05
# Identically spelled words (names, numbers, loanwords) as a gold-free check: the share of them whose
# nearest neighbour in the mapped space is the same string. Measured (bench/calibrate_collapse.py and the
# quality table): good runs en-fr 41% (dictionary seed) to 17% (25 random pairs), fi-fr 26% to 13%;
# every failed run on the bundled pairs 0.0-0.1% (unsupervised, adversarial and GW seeds, 25 wrong
# pairs, a Gaussian target); a random rotation 0.0%; a synthetic pair with a Gaussian target 0.4%.
# The same-algorithm doc pairs share many technical strings: an unsupervised doc_en-doc_de search that had
# not found the alignment (0.9% P@1) still reached 2-5% agreement, and a take-off switch at 2% froze it there.
# Real alignments there reach 24-43% (doc_en-doc_fr, doc_en-doc_de); hence 10%, below every good run.
SHARED_MIN_WORDS = 50
SHARED_FAILED = 0.01
SHARED_ALIGNED = 0.10
# "Still searching": a run whose best objective still rises by at least this much per iteration is not
# stopped, whatever the agreement. Calibrated on VecMap's fully unsupervised en vs fr50 run, which creeps
# with 0% accuracy for 20 iterations and takes off later (1% at 46, 9% at 81, 15% at 125): its best
# objective rose by at least 2.3e-4 per iteration (10-iteration windows) until the take-off; CLWE Lab's run
# with the same schedule, which never took off (0.5% at 278), fell below 1e-4 per iteration at iteration 77
# and below 5e-5 at 97. A shuffled target creeps the same way (same geometry) and is stopped once it stalls.
COLLAPSE_SEARCH_RATE = 1e-4
# Take-off without shared spellings (the languages share fewer than SHARED_MIN_WORDS strings, e.g. different
# scripts, or the fully respelled control of bench/scale.py): every TAKEOFF_PROBE_EVERY iterations of the slow
# search, deterministic union induction with the iteration's mapping and with the same mapping followed by a
# random rotation (as at the end of a run, see SelfLearning._end_statistics); the share of mutual nearest
# neighbours above the rotation's is the signal. Calibration (bench/calibrate_collapse.py): every failed run
# measured was at +0.02 or below (en-fr and fi-fr random seeds, Gaussian and shuffled targets), good runs at
# +0.10 (en-fr), -0.01 (fi-fr) and +0.43 (synthetic). 0.25 is ten times the highest failure: a real pair
# like fi-fr never takes off by it (it keeps VecMap's slow schedule, which is safe), a clean one does.
TAKEOFF_PROBE_EVERY = 5
MUTUAL_ALIGNED = 0.25


@dataclass(frozen=True)
class AlignConfig:
    """Everything needed to reproduce a self-learning run (defaults: VecMap's unsupervised mode, with a
    shorter stochastic interval so a run fits an interactive session).

    Attributes
    ----------
    normalize : tuple of str
        Normalisation steps applied to both spaces first (see :mod:`core.normalize`).
    mapping : {"procrustes", "least_squares", "multistep"}
        Mapping fitted in every self-learning step.
    final_mapping : {"multistep", "procrustes", "least_squares"}
        Mapping fitted once on the final dictionary (:meth:`SelfLearning.finalize`).
    retrieval, csls_k, direction, cutoff, mutual : see :func:`core.induction.induce_dictionary`
    stochastic_initial, stochastic_multiplier, stochastic_interval : float, float, int
        Stochastic dictionary induction: keep probability starts at ``stochastic_initial`` and is
        multiplied by ``stochastic_multiplier`` whenever the objective has not improved by
        ``threshold`` for ``stochastic_interval`` iterations; at 1.0 such a stall means convergence.
        VecMap uses interval 50 and threshold 1e-6. We use 3 and 1e-3: on the bundled pairs, P@1
        plateaus within 10-20 iterations at keep probability 0.1 (fi-fr from 25 random pairs: 42.8%
        NN at iteration 10, 44.8% at 20, 44.4% at 30) while the objective keeps creeping up by
        3e-4 to 1e-3 per iteration, so a smaller threshold keeps a run stochastic for ever.
    threshold : float
    max_iter : int
        Safety stop for :meth:`SelfLearning.run_until_converged`.
    collapse_patience : int
        :meth:`SelfLearning.run_until_converged` stops a run early when, for this many iterations in a
        row, (almost) none of the identically spelled words of the two languages is its own nearest
        neighbour (see :func:`shared_string_pairs`) and the best objective has stopped climbing (see
        ``search_rate``); 0 never stops early.
    search_rate : float
        A run whose best objective still rises by this much per iteration (over the patience window) is
        still searching and is never stopped early (default ``COLLAPSE_SEARCH_RATE``).
    takeoff_agreement, takeoff_interval, takeoff_threshold : float, int, float
        Take-off detection (0: off). A slow stochastic search (VecMap's interval 50, threshold 1e-6) is
        what lets an unsupervised run find the alignment, and what makes it slow to finish; once the
        identical-strings agreement of a mapping reaches ``takeoff_agreement`` the run has found it, and the
        schedule switches to ``takeoff_interval`` / ``takeoff_threshold``.
    random_state : int
    log_vocab : int
        Per-iteration BLI on a test dictionary is exact up to this many words per side, an estimate among
        the cutoff words beyond (see :meth:`SelfLearning._bli`); 0: always exact (slow at 200k words).
    keep_seed : bool
        Add the seed pairs to every induced dictionary (off in VecMap). With a good seed dictionary and
        noisy spaces, self-learning otherwise trades clean pairs for noisy induced ones.
    whiten, src_reweight, trg_reweight, src_dewhiten, trg_dewhiten, dim_reduction
        Parameters of the final multi-step mapping (VecMap's preset).
    """

    normalize: tuple = ("unit", "center", "unit")
    mapping: str = "procrustes"
    final_mapping: str = "multistep"
    retrieval: str = "csls"
    csls_k: int = 10
    direction: str = "union"
    cutoff: int = 20000
    mutual: bool = False
    stochastic_initial: float = 0.1
    stochastic_multiplier: float = 2.0
    stochastic_interval: int = 3
    threshold: float = 1e-3
    max_iter: int = 100
    collapse_patience: int = 10
    search_rate: float = COLLAPSE_SEARCH_RATE
    takeoff_agreement: float = 0.0
    takeoff_interval: int = 3
    takeoff_threshold: float = 1e-3
    random_state: int = 0
    whiten: bool = True
    src_reweight: float = 0.5
    trg_reweight: float = 0.5
    src_dewhiten: str | None = "src"
    trg_dewhiten: str | None = "trg"
    dim_reduction: int = 0
    inv_temperature: float = 30.0
    batch_size: int = 1024
    keep_seed: bool = False
    log_vocab: int = 20000

    def __post_init__(self):
        object.__setattr__(self, "normalize", tuple(self.normalize))
        if int(self.max_iter) < 0:
            raise ConfigError(f"max_iter must be 0 (the seed's mapping only) or a positive number of iterations, "
                              f"got {self.max_iter}")
        if self.collapse_patience < 0:
            raise ConfigError(f"collapse_patience must be 0 (never stop early) or positive, got {self.collapse_patience}")
        if not self.search_rate >= 0:
            raise ConfigError(f"search_rate must be zero or positive, got {self.search_rate}")

    @classmethod
    def preset(cls, name: str, **changes) -> "AlignConfig":
        """Named starting points.

        ``"unsupervised"``: VecMap's unsupervised mode (stochastic induction from keep probability 0.1,
        cutoff 20000, CSLS union, multi-step final mapping) -- the defaults.
        ``"supervised"``: a full seed dictionary: deterministic self-learning (keep probability 1) among
        the 5,000 most frequent words, keeping the seed pairs in every dictionary, then gold-free model
        selection (:mod:`core.selection`), which keeps the seed's own mapping unless an iteration scores
        better. ``max_iter=0`` (``clwe align --no-self-learning``) is VecMap's supervised mode, the final
        (multi-step) mapping fitted on the dictionary alone. Self-learning is on because the dev splits
        say so (``bench/tuning.md``, CSLS P@1 off / on: en-fr 41.6 / 45.3, fi-fr 55.7 / 55.0,
        doc_en-doc_fr 17.5 / 36.4, doc_en-doc_de 9.7 / 21.5).
        ``"weak"``: a weak seed (25 random pairs, identical strings, numerals): the unsupervised mode with
        only the 10,000 most frequent words taking part. Chosen on dev splits of the training
        dictionaries (``bench/tune_weak_seeds.py``; CSLS P@1, cutoff 20k / 10k / 5k): fi-fr random
        45.9 / 47.6 / 46.2, fi-fr identical 38.3 / 40.7 / 45.2, en-fr random 26.9 / 38.1 / 5.3,
        en-fr identical 37.0 / 38.1 / 37.0 -- 10k wins or ties everywhere, 5k fails on en-fr random,
        and 10k runs 2-3x faster than 20k.
        """
        # every value below was chosen on dev splits of the training dictionaries: bench/tuning.md
        presets = {"unsupervised": dict(cutoff=4000,  # search vocabulary: bench/tuning.md#search-vocabulary
                                        stochastic_interval=50, threshold=1e-6, max_iter=300,  # VecMap's schedule
                                        takeoff_agreement=SHARED_ALIGNED),  # bench/tuning.md#take-off-level
                   "weak": dict(cutoff=10000),  # bench/tuning.md#weak-seeds (bench/tune_weak_seeds.py)
                   "supervised": dict(stochastic_initial=1.0, keep_seed=True, cutoff=5000)}  # tuning.md#supervised
        if name not in presets:
            raise ConfigError(f"unknown preset '{name}'; use one of {', '.join(presets)}")
        return cls(**{**presets[name], **changes})

    def to_dict(self) -> dict:
        d = asdict(self)
        d["normalize"] = list(self.normalize)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "AlignConfig":
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ConfigError(f"unknown alignment settings: {', '.join(sorted(unknown))}")
        return cls(**d)

    def final_kwargs(self) -> dict:
        if self.final_mapping == "rcsls":
            return dict(k=self.csls_k, batch_size=self.batch_size)
        if self.final_mapping != "multistep":
            return {}
        return dict(whiten=self.whiten, src_reweight=self.src_reweight, trg_reweight=self.trg_reweight,
                    src_dewhiten=self.src_dewhiten, trg_dewhiten=self.trg_dewhiten,
                    dim_reduction=self.dim_reduction)


class _EarlyInduction(NamedTuple):
    """An induction run ahead of its step (see :meth:`SelfLearning._induce`) and what it was computed for."""

    mapping: Mapping
    iteration: int
    keep_prob: float
    config: AlignConfig
    dictionary: object
    seconds: float


@dataclass(frozen=True, eq=False, kw_only=True)
class IterationRecord:
    """One self-learning iteration: the dictionary induced from the previous mapping and the mapping
    fitted to it. Record 0 holds the seed dictionary and the mapping learned from it. Built with keywords
    only (21 fields).

    ``objective`` is VecMap's (mean best cosine, see :class:`core.induction.InducedDictionary`) of the
    previous mapping (nan for record 0); ``seconds`` has one entry per phase ("induce", "map",
    "evaluate"); ``bli`` holds {"nn": BLIResult, "csls": BLIResult} of this record's mapping when a gold
    test dictionary is attached; ``collapse`` is None or a sentence saying why the alignment
    probably failed; ``shared_agreement`` is the share of identically spelled words that are their own
    nearest neighbour under this record's mapping (nan when the languages share too few strings);
    ``mutual_excess`` is the take-off probe of a search without shared strings (see ``MUTUAL_ALIGNED``;
    nan when not probed).
    """

    iteration: int
    mapping: Mapping
    src_idx: np.ndarray
    tgt_idx: np.ndarray
    scores: np.ndarray
    objective: float
    dictionary_size: int
    keep_prob: float
    seconds: dict
    bli: dict | None = None
    converged: bool = False
    collapse: str | None = None
    mutual_ratio: float = float("nan")
    churn: float = float("nan")
    next_keep_prob: float = 1.0
    best_objective: float = -np.inf
    last_improvement: int = 0
    forward: np.ndarray | None = field(default=None, repr=False)
    diagnostics: dict = field(default_factory=dict)
    shared_agreement: float = float("nan")
    mutual_excess: float = float("nan")


def shared_agreement(Xq: np.ndarray, Zm: np.ndarray, targets: np.ndarray, batch_size: int = DEFAULT_BATCH) -> float:
    """Share of the rows of ``Xq`` whose nearest neighbour (cosine) among the rows of ``Zm`` is ``targets[i]``.

    With identically spelled words, this tells a real alignment (en-fr: 28%, fi-fr: 13% with
    supervised mappings) from a failed one (0.0%, like a random rotation) without any gold dictionary.
    """
    if len(targets) == 0:
        return float("nan")
    _, idx = topk_similarities(Xq, Zm, 1, batch_size=batch_size)
    return float(np.mean(idx[:, 0] == targets))


class SelfLearning:
    """Step-by-step self-learning alignment.

    Parameters
    ----------
    src, tgt : Embeddings
        The two spaces (raw; ``config.normalize`` is applied here -- use ``("none",)`` for spaces that
        are normalised already).
    seed_pairs : int64 array (k, 2)
        Seed dictionary as (source row, target row) indices (:mod:`core.seeds`).
    config : AlignConfig
    gold_test : list of (str, str) or None
        Held-out dictionary: when given every record carries BLI scores (NN and CSLS).

    Examples
    --------
    >>> sl = SelfLearning(src, tgt, seed.pairs, AlignConfig())      # doctest: +SKIP
    >>> last = sl.run_until_converged(callback=print)                # doctest: +SKIP
    >>> final = sl.finalize()                                        # doctest: +SKIP
    """

    def __init__(self, src: Embeddings, tgt: Embeddings, seed_pairs, config: AlignConfig | None = None,
                 gold_test=None):
        self.config = config or AlignConfig()
        cfg = self.config
        self._loaded = {"src": src, "tgt": tgt}  # as loaded: unknown fastText words are normalised like them
        self._norm_ops: dict = {}
        self.src = src.with_vectors(normalize_vectors(src.vectors, cfg.normalize))
        self.tgt = tgt.with_vectors(normalize_vectors(tgt.vectors, cfg.normalize))
        self.gold_test = None if gold_test is None else list(gold_test)
        seed = np.asarray(seed_pairs, dtype=np.int64)
        if seed.ndim != 2 or seed.shape[1] != 2:
            raise ConfigError(f"seed pairs must be an (k, 2) array of indices, got shape {seed.shape}")
        if len(seed) and (seed.min() < 0 or seed[:, 0].max() >= len(src) or seed[:, 1].max() >= len(tgt)):
            raise ConfigError("seed pairs index words outside the vocabularies; build them with core.seeds")
        n_unique = len({(int(a), int(b)) for a, b in seed})
        if n_unique < MIN_PAIRS:
            raise ConfigError(f"self-learning needs at least {MIN_PAIRS} distinct seed pairs, got {n_unique}; "
                              "use a larger seed dictionary, or the identical/numerals/unsupervised seeds")
        self._check_config(cfg)
        ns, nt = resolve_cutoff(cfg.cutoff, len(src), len(tgt))
        # Seed pairs are excluded: self-learning tends to keep its seed pairs as fixed points even when
        # it fails, so they would vouch for any mapping (an identical-strings seed leaves none). Only the
        # pairs themselves: an unsupervised seed covers every frequent source word with chance pairs.
        shared = shared_string_pairs(src, tgt, ns, nt)
        in_seed = {(int(a), int(b)) for a, b in seed}
        self.shared_pairs = shared[[(int(a), int(b)) not in in_seed for a, b in shared]].reshape(-1, 2)
        if len(self.shared_pairs) < SHARED_MIN_WORDS:
            self.shared_pairs = self.shared_pairs[:0]
        self.seed_pairs = seed
        self.final: Mapping | None = None
        self.selection = None
        self.refinement = None
        self._pending: _EarlyInduction | None = None
        self.history: list[IterationRecord] = [self._initial_record(seed)]

    # ----------------------------------------------------------------- helpers
    def _check_config(self, cfg: AlignConfig) -> None:
        resolve_cutoff(cfg.cutoff, len(self.src), len(self.tgt))
        if not 0 < cfg.stochastic_initial <= 1:
            raise ConfigError(f"stochastic_initial must be in (0, 1], got {cfg.stochastic_initial}")
        if cfg.stochastic_multiplier <= 1 and cfg.stochastic_initial < 1:
            raise ConfigError("stochastic_multiplier must be > 1, or the keep probability never reaches 1")
        if cfg.stochastic_interval < 1:
            raise ConfigError("stochastic_interval must be >= 1")
        if cfg.retrieval not in ("nn", "csls", "isf"):
            raise ConfigError(f"unknown retrieval '{cfg.retrieval}'; use nn, csls or isf")
        if cfg.direction not in ("forward", "backward", "union"):
            raise ConfigError(f"unknown direction '{cfg.direction}'; use forward, backward or union")
        if cfg.mapping in NEEDS_SPACES:
            raise ConfigError(f"'{cfg.mapping}' is too slow to refit in every iteration; use it as the final "
                              "mapping (final_mapping) and procrustes inside the loop")

    def _fit(self, method, src_idx, tgt_idx, **kw) -> Mapping:
        X = self.src.vectors[src_idx]
        Z = self.tgt.vectors[tgt_idx]
        if method in NEEDS_SPACES:
            kw = {"X": self.src.vectors, "Z": self.tgt.vectors, **kw}
        return fit_mapping(method, X, Z, **kw)

    def _mapped_cut(self, mapping: Mapping):
        ns, nt = resolve_cutoff(self.config.cutoff, len(self.src), len(self.tgt))
        return (mapping.transform_src(self.src.vectors[:ns], normalize=True),
                mapping.transform_tgt(self.tgt.vectors[:nt], normalize=True))

    def _induce(self, mapping: Mapping, iteration: int, keep_prob: float, mapped=None):
        """The dictionary ``mapping`` induces at ``iteration`` (VecMap's dictionary step) and its seconds.

        Computed once: the per-iteration log beyond ``log_vocab`` words runs the next iteration's induction
        early for its CSLS penalties (:meth:`_bli`), and the step then takes it from here. The induction
        depends only on the mapping, the iteration's random generator, the keep probability and the
        configuration, so early or on time it is the same dictionary. ``mapped``: :meth:`_mapped_cut` of
        ``mapping`` when the caller has it.
        """
        pending, self._pending = self._pending, None
        if pending is not None and pending.mapping is mapping and pending[1:4] == (iteration, keep_prob, self.config):
            return pending.dictionary, pending.seconds
        t0 = time.perf_counter()
        Xm, Zm = mapped if mapped is not None else self._mapped_cut(mapping)
        D = self._induction(Xm, Zm, keep_prob, np.random.default_rng([self.config.random_state, iteration]))
        return D, time.perf_counter() - t0

    def _induction(self, Xm, Zm, keep_prob: float, random_state=None) -> InducedDictionary:
        """:func:`core.induction.induce_dictionary` with the run's settings, on mapped cutoff rows."""
        cfg = self.config
        return induce_dictionary(Xm, Zm, retrieval=cfg.retrieval, k=cfg.csls_k, direction=cfg.direction,
                                 cutoff=0, mutual=cfg.mutual, keep_prob=keep_prob, random_state=random_state,
                                 batch_size=cfg.batch_size, inv_temperature=cfg.inv_temperature)

    def _bli(self, mapping: Mapping, upcoming: tuple[int, float] | None = None) -> tuple[dict | None, float]:
        """The per-iteration log on the test dictionary (NN and CSLS P@1), and the seconds of the next
        iteration's induction run early for it (not the log's own cost).

        Exact (the whole vocabularies) up to ``config.log_vocab`` words per side. Beyond it, exact CSLS
        costs a product of the two whole vocabularies per iteration (hours at 200k words), so the log is
        the BLI among the words that take part in induction (``config.cutoff``): the test words retrieve
        among the cutoff target words, with CSLS's penalties of those words from the cutoff source words --
        the penalties the next induction (``upcoming``: its iteration and keep probability) computes anyway,
        so that induction runs now and the log only adds the test words' own products.
        """
        if not self.gold_test:
            return None, 0.0
        cfg = self.config
        n = cfg.log_vocab
        if n <= 0 or (len(self.src) <= n and len(self.tgt) <= n):
            Xm, Zm = self._mapped_full(mapping)
            return {r: evaluate_bli(Xm, Zm, self.gold_test, retrieval=r, csls_k=cfg.csls_k,
                                    batch_size=cfg.batch_size) for r in ("nn", "csls")}, 0.0
        ns = resolve_cutoff(cfg.cutoff, len(self.src), len(self.tgt))[0]
        Xc, Zc = self._mapped_cut(mapping)        # the next induction's input too
        rare = np.unique(np.array([self.src.index[s] for s, _ in self.gold_test if self.src.index.get(s, -1) >= ns],
                                  np.int64))
        src_rows = np.concatenate([np.arange(ns), rare])
        Xm = Embeddings(tuple(self.src.words[i] for i in src_rows),
                        np.vstack([Xc, mapping.transform_src(self.src.vectors[rare], normalize=True)]), self.src.name)
        Zm = self.tgt.head(len(Zc)).with_vectors(Zc)
        r_tgt, early = None, 0.0
        if upcoming is not None and cfg.retrieval == "csls":
            D, early = self._induce(mapping, *upcoming, mapped=(Xc, Zc))
            self._pending = _EarlyInduction(mapping, *upcoming, cfg, D, early)
            r_tgt = D.r_tgt
        if r_tgt is None:
            r_tgt = mean_topk_similarity(Zm.vectors, Xm.vectors[:ns], cfg.csls_k, cfg.batch_size)
        return {r: evaluate_bli(Xm, Zm, self.gold_test, retrieval=r, csls_k=cfg.csls_k, batch_size=cfg.batch_size,
                                r_tgt=r_tgt if r == "csls" else None) for r in ("nn", "csls")}, early

    def _agreement(self, mapping: Mapping) -> float:
        if len(self.shared_pairs) == 0:
            return float("nan")
        _, nt = resolve_cutoff(self.config.cutoff, len(self.src), len(self.tgt))
        Xq = mapping.transform_src(self.src.vectors[self.shared_pairs[:, 0]], normalize=True)
        Zm = mapping.transform_tgt(self.tgt.vectors[:nt], normalize=True)
        return shared_agreement(Xq, Zm, self.shared_pairs[:, 1], self.config.batch_size)

    def _mapped_full(self, mapping: Mapping):
        return (self.src.with_vectors(mapping.transform_src(self.src.vectors, normalize=True)),
                self.tgt.with_vectors(mapping.transform_tgt(self.tgt.vectors, normalize=True)))

    def _initial_record(self, seed: np.ndarray) -> IterationRecord:
        cfg = self.config
        t0 = time.perf_counter()
        mapping = self._fit(cfg.mapping, seed[:, 0], seed[:, 1])
        xs = mapping.transform_src(self.src.vectors[seed[:, 0]], normalize=True)
        zs = mapping.transform_tgt(self.tgt.vectors[seed[:, 1]], normalize=True)
        scores = np.einsum("ij,ij->i", xs, zs).astype(np.float32)
        t1 = time.perf_counter()
        bli, early = self._bli(mapping, upcoming=(1, cfg.stochastic_initial))
        t2 = time.perf_counter() - early
        n_unique = len({(int(a), int(b)) for a, b in seed})
        return IterationRecord(iteration=0, mapping=mapping, src_idx=seed[:, 0].copy(), tgt_idx=seed[:, 1].copy(),
                               scores=scores, objective=float("nan"), dictionary_size=n_unique,
                               keep_prob=cfg.stochastic_initial,
                               seconds={"induce": 0.0, "map": t1 - t0, "evaluate": t2 - t1}, bli=bli,
                               next_keep_prob=cfg.stochastic_initial, best_objective=-np.inf,
                               last_improvement=0, shared_agreement=self._agreement(mapping))

    # ----------------------------------------------------------------- public API
    @property
    def current(self) -> IterationRecord:
        """The latest record."""
        return self.history[-1]

    def step(self) -> IterationRecord:
        """One iteration: induce a dictionary from the current mapping, then fit a new mapping to it."""
        cfg = self.config
        prev = self.current
        it = prev.iteration + 1
        keep_prob = prev.next_keep_prob
        D, induce_seconds = self._induce(prev.mapping, it, keep_prob)
        t1 = time.perf_counter()
        # VecMap's schedule: a stall of `stochastic_interval` iterations doubles the keep probability,
        # and a stall at keep probability 1 ends the run.
        interval, threshold = self.schedule()
        best, last = prev.best_objective, prev.last_improvement
        if D.objective - best >= threshold:
            best, last = D.objective, it
        converged = False
        next_kp = keep_prob
        if it - last >= interval:
            if keep_prob >= 1.0:
                converged = True
            next_kp = min(1.0, keep_prob * cfg.stochastic_multiplier)
            last = it
        if len(D.src) < MIN_PAIRS:
            raise ConfigError("dictionary induction returned fewer than 2 pairs; raise the cutoff "
                              "or switch off mutual nearest neighbours")
        src_idx, tgt_idx = D.src, D.tgt
        if cfg.keep_seed:
            src_idx = np.concatenate([src_idx, self.seed_pairs[:, 0]])
            tgt_idx = np.concatenate([tgt_idx, self.seed_pairs[:, 1]])
        mapping = self._fit(cfg.mapping, src_idx, tgt_idx)
        t2 = time.perf_counter()
        bli, early = self._bli(mapping, upcoming=None if converged else (it + 1, next_kp))
        t3 = time.perf_counter()
        churn = float("nan")
        if D.forward is not None and prev.forward is not None and len(prev.forward) == len(D.forward):
            churn = float(np.mean(D.forward != prev.forward))
        scores = D.scores
        if cfg.keep_seed:
            scores = np.concatenate([scores, np.full(len(self.seed_pairs), np.nan, np.float32)])
        excess = self._probe(mapping, it)
        t4 = time.perf_counter()
        rec = IterationRecord(iteration=it, mapping=mapping, src_idx=src_idx, tgt_idx=tgt_idx, scores=scores,
                              objective=D.objective, dictionary_size=D.n_unique, keep_prob=keep_prob,
                              seconds={"induce": induce_seconds, "map": t2 - t1, "evaluate": t3 - t2 - early,
                                       "probe": t4 - t3},
                              bli=bli, converged=converged, collapse=None, mutual_ratio=D.mutual_ratio,
                              churn=churn, next_keep_prob=next_kp, best_objective=best, last_improvement=last,
                              forward=D.forward, shared_agreement=self._agreement(mapping),
                              mutual_excess=excess)
        self.history.append(rec)
        self.final = self.selection = self.refinement = None
        return rec

    def _probe(self, mapping: Mapping, iteration: int) -> float:
        """The take-off probe (mutual-NN excess over a random rotation) of a slow search whose languages
        share too few strings for the identical-strings signal; nan when not probed."""
        if (self.config.takeoff_agreement <= 0 or len(self.shared_pairs) or iteration % TAKEOFF_PROBE_EVERY
                or self.takeoff() is not None):
            return float("nan")
        stats = self._end_statistics(mapping)
        return float(stats["mutual"] - stats["null_mutual"])

    def takeoff(self) -> int | None:
        """The first iteration whose mapping reached ``config.takeoff_agreement`` of identical strings, or
        (languages without shared strings) a mutual-NN excess of ``MUTUAL_ALIGNED`` (None: not yet, or off)."""
        level = self.config.takeoff_agreement
        if level <= 0:
            return None
        return next((r.iteration for r in self.history
                     if r.shared_agreement >= level or r.mutual_excess >= MUTUAL_ALIGNED), None)

    def schedule(self) -> tuple[int, float]:
        """The stochastic interval and threshold in force: the take-off ones once :meth:`takeoff` found it."""
        cfg = self.config
        if self.takeoff() is not None:
            return cfg.takeoff_interval, cfg.takeoff_threshold
        return cfg.stochastic_interval, cfg.threshold

    def run(self, n: int, callback: Callable[[IterationRecord], None] | None = None) -> IterationRecord:
        """Run ``n`` steps (stops early at convergence); ``callback(record)`` after each."""
        for _ in range(n):
            rec = self.step()
            if callback is not None:
                callback(rec)
            if rec.converged:
                break
        return self.current

    def run_until_converged(self, callback: Callable[[IterationRecord], None] | None = None
                            ) -> IterationRecord:
        """Step until the schedule converges, ``config.max_iter`` iterations, or a hopeless run (see
        :meth:`hopeless`); the last record gets the collapse diagnosis."""
        while not self.current.converged and self.current.iteration < self.config.max_iter:
            rec = self.step()
            if callback is not None:
                callback(rec)
            if self.hopeless():
                break
        return self.diagnose()

    def hopeless(self) -> bool:
        """True when the run has failed rather than still searching.

        Failed: the last ``config.collapse_patience`` iterations all left (almost) every identically
        spelled word away from its twin (agreement below ``SHARED_FAILED``), the agreement did not grow
        over them, and the best objective stopped climbing (it rose by less than ``config.search_rate``
        per iteration over them). A run whose objective still climbs is still
        searching: VecMap's unsupervised en vs fr50 run has 0% accuracy for 20 iterations and reaches
        15% at iteration 125, its objective rising by 2.3e-4 or more per iteration until the take-off.
        A slow start in the agreement is not hopeless either: en-fr from 25 random pairs creeps from
        0.3% to 1% in 7 iterations, then to 12% and 16% P@1 by iteration 40."""
        n = self.config.collapse_patience
        recent = self.history[-n:] if n > 0 else []
        if len(recent) < n or n == 0 or recent[0].iteration == 0:
            return False
        values = [r.shared_agreement for r in recent]
        flat = all(v < SHARED_FAILED for v in values) and values[-1] - values[0] < SHARED_FAILED / 4
        return flat and not self.searching()

    def objective_rate(self, window: int | None = None) -> float:
        """Gain of the best objective so far over the last ``window`` iterations (default: the collapse
        patience), per iteration; nan before ``window + 1`` iterations. Stochastic induction makes the
        objective itself noisy, the running best is not."""
        n = window or self.config.collapse_patience
        objs = np.array([r.objective for r in self.history[1:]], dtype=np.float64)
        n = min(n, len(objs) - 1)  # early on, the rate since iteration 1
        if n <= 0:
            return float("nan")
        best = np.maximum.accumulate(objs)
        return float((best[-1] - best[-1 - n]) / n)

    def searching(self) -> bool:
        """True while the best objective still climbs by ``config.search_rate`` per iteration or more
        (a creeping run that may still take off; see :meth:`hopeless`)."""
        rate = self.objective_rate()
        return not np.isnan(rate) and rate >= self.config.search_rate

    def diagnose(self) -> IterationRecord:
        """Attach the collapse diagnosis to the current record (replacing it) and return it."""
        rec = self.current
        if rec.iteration == 0:
            return rec
        sentence, diag = diagnose_collapse(self.history, **self._end_statistics(),
                                           shared=rec.shared_agreement, n_shared=len(self.shared_pairs),
                                           objective_rate=self.objective_rate(),
                                           search_rate=self.config.search_rate)
        rec = replace(rec, collapse=sentence, diagnostics=diag)
        self.history[-1] = rec
        return rec

    def _end_statistics(self, mapping: Mapping | None = None) -> dict:
        """Deterministic (keep probability 1) union induction with the current mapping (or ``mapping``), and
        with the same mapping followed by a random rotation: what chance looks like for these spaces."""
        cfg = self.config
        m = mapping or self.current.mapping
        rng = np.random.default_rng([cfg.random_state, 9_999])
        Q, _ = np.linalg.qr(rng.standard_normal((m.dim, m.dim)))
        out = {}
        for name, mp in (("", m), ("null_", Mapping(m.Wx @ Q.astype(np.float32), m.Wz, "random"))):
            Xm, Zm = self._mapped_cut(mp)
            D = induce_dictionary(Xm, Zm, retrieval=cfg.retrieval if cfg.retrieval != "isf" else "csls",
                                  k=cfg.csls_k, direction="union", cutoff=0, batch_size=cfg.batch_size)
            out[name + "objective"] = D.objective
            out[name + "mutual"] = D.mutual_ratio
        return out

    def rewind(self, iteration: int, **config_changes) -> None:
        """Truncate the history to ``iteration``; the next step branches from there. Keyword arguments
        change the configuration of the branch (e.g. ``retrieval="nn"``; not ``normalize``)."""
        if not 0 <= iteration < len(self.history):
            raise ConfigError(f"cannot rewind to iteration {iteration}: the history has iterations "
                              f"0..{len(self.history) - 1}")
        if "normalize" in config_changes and tuple(config_changes["normalize"]) != self.config.normalize:
            raise ConfigError("normalisation cannot change within a run; start a new SelfLearning")
        if config_changes:
            new = replace(self.config, **config_changes)
            self._check_config(new)
            self.config = new
        del self.history[iteration + 1:]
        rec = self.history[-1]
        if rec.converged or rec.collapse is not None:
            self.history[-1] = replace(rec, converged=False, collapse=None,
                                       next_keep_prob=rec.next_keep_prob)
        self.final = self.selection = self.refinement = None

    def finalize(self) -> Mapping:
        """The final mapping (``config.final_mapping``, by default VecMap's multi-step preset) fitted on
        the current dictionary."""
        cfg = self.config
        rec = self.current
        self.final = self._fit(cfg.final_mapping, rec.src_idx, rec.tgt_idx, **cfg.final_kwargs())
        self.selection = self.refinement = None
        return self.final

    def select(self, criterion: str | None = None, **kw):
        """Gold-free model selection (:func:`core.selection.select_mapping`): score the seed's own
        mapping, the iterations and their final mappings, keep the best as :attr:`final` and return the
        :class:`core.selection.Selection` (also kept as :attr:`selection`)."""
        self.selection = select_mapping(self, criterion or DEFAULT_CRITERION, **kw)
        self.final = self.selection.mapping
        self.refinement = None
        return self.selection

    def refine(self, config=None, trusted_seed: bool = True, callback=None):
        """Contrastive refinement of the kept mapping (Li et al. 2022, ACL, stage C1; see
        :func:`core.refinement.refine_run`): kept as :attr:`final` only where the gold-free criterion scores a
        round above the start; returns the :class:`core.refinement.Refinement` (also :attr:`refinement`)."""
        from .refinement import refine_run

        return refine_run(self, config, trusted_seed=trusted_seed, callback=callback)

    def mapped(self, iteration: int | None = None, final: bool | None = None) -> tuple[Embeddings, Embeddings]:
        """Mapped spaces (unit rows) of a record; by default the final mapping when :meth:`finalize`
        ran after the last step, else the current record's."""
        if iteration is None and (final or (final is None and self.final is not None)):
            if self.final is None:
                self.finalize()
            return self._mapped_full(self.final)
        rec = self.current if iteration is None else self.history[iteration]
        return self._mapped_full(rec.mapping)

    def bli(self, mapping: Mapping | None = None) -> dict | None:
        """BLI ({"nn", "csls"}: :class:`core.evaluate.BLIResult`) of ``mapping`` (default: final if finalized,
        else current) on the test dictionary the run was given (None without one), measured as the
        per-iteration log measures every iteration (:meth:`_bli`): exact up to ``config.log_vocab`` words per
        side, beyond among the words taking part in induction. A mapping outside the history (selected,
        final, refined) is then the same quantity as the iterations beside it, at a size where exact CSLS
        would take minutes (:meth:`evaluate` stays exact)."""
        return self._bli(mapping or self.final or self.current.mapping)[0]

    def induced(self, mapping: Mapping | None = None) -> InducedDictionary:
        """The dictionary ``mapping`` (default: final if finalized, else current) induces with the run's
        settings, every pair kept (no stochastic dropout): what a step from that mapping would start from.
        Leaves the early induction of the per-iteration log alone (:meth:`_induce`)."""
        return self._induction(*self._mapped_cut(mapping or self.final or self.current.mapping), keep_prob=1.0)

    def query_vector(self, word: str, side: str = "src", mapping: Mapping | None = None) -> np.ndarray:
        """The mapped unit vector (1, r) of ``word``: its row, or for a word outside the vocabulary of a
        fastText ``.bin`` space, the vector fastText builds from its character n-grams, normalised as the
        space was (:func:`core.normalize.fit_normalization`) and mapped.

        ``mapping`` defaults to the final mapping when there is one, else the current record's.
        """
        from .normalize import apply_normalization, fit_normalization

        emb = self.src if side == "src" else self.tgt
        if word in emb.index:
            v = emb.vectors[[emb.index[word]]]
        else:
            loaded = self._loaded[side]
            if loaded.subwords is None:
                raise ConfigError(f"'{word}' is not in the vocabulary of {emb.name or side}, and the space has "
                                  "no subword information; load a fastText .bin model to translate unknown words")
            try:
                raw = loaded.subwords(word)
            except KeyError:
                raise ConfigError(f"'{word}' is not in the vocabulary of {emb.name or side} and has no character "
                                  "n-gram of the fastText model") from None
            if side not in self._norm_ops:
                self._norm_ops[side] = fit_normalization(loaded.vectors, self.config.normalize)
            v = apply_normalization(raw, self._norm_ops[side])
        mapping = mapping or self.final or self.current.mapping
        transform = mapping.transform_src if side == "src" else mapping.transform_tgt
        return transform(v, normalize=True)

    def translate(self, word: str, k: int = 10, side: str = "src", mapping: Mapping | None = None,
                  other: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The ``k`` nearest words (cosine) in the other language of ``word``, known or (fastText ``.bin``)
        unknown: :meth:`query_vector` against the mapped other space. ``other``: that mapped space (unit rows)
        when the caller has it, so that translating many words maps it once (seconds at 200k words)."""
        mapping = mapping or self.final or self.current.mapping
        q = self.query_vector(word, side, mapping)
        words = (self.tgt if side == "src" else self.src).words
        if other is None:
            transform = mapping.transform_tgt if side == "src" else mapping.transform_src
            other = transform((self.tgt if side == "src" else self.src).vectors, normalize=True)
        values, idx = topk_similarities(q, other, k, batch_size=self.config.batch_size)
        return [(words[j], float(v)) for v, j in zip(values[0], idx[0])]

    def evaluate(self, pairs, mapping: Mapping | None = None, retrieval: str = "csls") -> BLIResult:
        """BLI of a mapping (default: final if finalized, else current) on a gold dictionary."""
        mapping = mapping or self.final or self.current.mapping
        Xm, Zm = self._mapped_full(mapping)
        return evaluate_bli(Xm, Zm, pairs, retrieval=retrieval, csls_k=self.config.csls_k,
                            batch_size=self.config.batch_size)


def diagnose_collapse(history: list[IterationRecord], objective: float, mutual: float,
                      null_objective: float, null_mutual: float = float("nan"),
                      min_ratio: float = COLLAPSE_MIN_RATIO, clear_ratio: float = COLLAPSE_CLEAR_RATIO,
                      unsettled_ratio: float = COLLAPSE_UNSETTLED_RATIO,
                      min_mutual_excess: float = COLLAPSE_MIN_MUTUAL_EXCESS,
                      shared: float = float("nan"), n_shared: int = 0,
                      objective_rate: float = float("nan"),
                      search_rate: float = COLLAPSE_SEARCH_RATE) -> tuple[str | None, dict]:
    """Decide whether a finished run probably failed to align the spaces.

    The strongest signal, when the languages share at least ``SHARED_MIN_WORDS`` identically spelled
    words: the share ``shared`` of them that are their own nearest neighbour after mapping. At least
    ``SHARED_ALIGNED`` means the spaces are aligned, whatever else; below ``SHARED_FAILED`` (a random
    rotation gives ~0) means failure. Otherwise, weaker signals measured with deterministic induction
    at the end of the run: (a) the objective (mean best cosine) barely above ``null_objective``, the
    same spaces under a random rotation; (b) few mutual nearest neighbours among the cutoff words (a
    real alignment makes translation a two-way street; a failed one leaves hubs and one-way matches);
    plus, as context, (c) a stochastic schedule that never reached keep probability 1 and (d) the final
    dictionary churn. Thresholds: see the module constants and ``bench/calibrate_collapse.py``.

    A run that ended unconverged (``max_iter``) while its best objective still rose by
    ``search_rate`` or more per iteration (``objective_rate``, see
    :meth:`SelfLearning.objective_rate`) is called unfinished, not failed: creeping runs take off late.

    Returns
    -------
    (sentence or None, diagnostics dict)
        With a sentence, ``diagnostics["verdict"]`` says which: ``"failed"``, ``"searching"`` (still
        climbing, see above) or ``"unfinished"`` (only the schedule is unsettled).
    """
    last = history[-1]
    det = [r for r in history if r.iteration > 0 and r.keep_prob >= 1.0]
    churn = float(det[-1].churn) if len(det) >= 2 else float("nan")
    margin = float(objective - null_objective)
    diag = {"objective": float(objective), "null_objective": float(null_objective), "margin": margin,
            "mutual_ratio": float(mutual), "null_mutual_ratio": float(null_mutual), "churn": churn,
            "converged": bool(last.converged), "keep_prob": float(last.keep_prob),
            "iterations": int(last.iteration), "shared_agreement": float(shared), "n_shared": int(n_shared),
            "objective_rate": float(objective_rate)}
    has_shared = n_shared >= SHARED_MIN_WORDS and not np.isnan(shared)
    if has_shared and shared >= SHARED_ALIGNED:
        return None, diag
    if not last.converged and not np.isnan(objective_rate) and objective_rate >= search_rate:
        found = (f"{100 * shared:.1f}% of the {n_shared} words spelled the same in both languages find their "
                 "twin so far, but " if has_shared else "")
        diag["verdict"] = "searching"
        return (f"The alignment is unfinished, still searching: {found}the objective still rises by "
                f"{objective_rate:.1e} per iteration after {last.iteration} iterations (creeping runs can take "
                f"off late). Run more iterations (max_iter).", diag)
    ratio = objective / null_objective if null_objective > 0 else float("inf")
    diag["ratio"] = float(ratio)
    if np.isnan(null_mutual):
        null_mutual = 0.0
    excess = mutual - null_mutual
    reasons = []
    if has_shared and shared < SHARED_FAILED:
        reasons.append(f"only {100 * shared:.1f}% of the {n_shared} words spelled the same in both languages "
                       "(names, numbers, loanwords) are their own nearest neighbour after mapping, as under "
                       "a random rotation")
    if ratio < min_ratio:
        reasons.append(f"the objective ({objective:.3f}, mean best cosine) is only {ratio:.2f} times what "
                       f"a random rotation of the same spaces gives ({null_objective:.3f})")
    if excess < min_mutual_excess and ratio < clear_ratio:
        reasons.append(f"{100 * mutual:.0f}% of the words are mutual nearest neighbours, hardly more than "
                       f"under a random rotation ({100 * null_mutual:.0f}%)")
    # a run stopped for want of shared-string agreement is unsettled by construction: say it once
    unsettled = not last.converged and last.keep_prob < 1.0 and not (has_shared and shared < SHARED_FAILED)
    if unsettled and (reasons or ratio < unsettled_ratio):
        reasons.append(f"the stochastic schedule never settled (keep probability still {last.keep_prob:g} "
                       f"after {last.iteration} iterations; a real alignment stops improving much sooner)")
    elif reasons and not np.isnan(churn) and churn > 0.05:
        reasons.append(f"{100 * churn:.0f}% of the translations still changed in the last iteration")
    if not reasons:
        return None, diag
    if len(reasons) == 1 and unsettled and reasons[0].startswith("the stochastic schedule"):
        # The schedule alone cannot tell a run stopped early by max_iter from a failed one.
        diag["verdict"] = "unfinished"
        return ("The alignment may have failed, or may just be unfinished: " + reasons[0] + ". Check P@1 if "
                "you have a test dictionary, or run more iterations (max_iter) until the schedule settles.",
                diag)
    diag["verdict"] = "failed"
    return ("The alignment probably failed: " + "; ".join(reasons) + ". The spaces may be too different "
            "(non-isomorphic) for this seed -- try a larger or different seed dictionary, identical "
            "strings or numerals, or check that the languages are the ones you meant.", diag)


def common_dimension_search(src: Embeddings, tgt: Embeddings, config: AlignConfig, seed_n: int = 4000,
                            callback: Callable[[IterationRecord], None] | None = None):
    """Fully unsupervised search with the larger space reduced by PCA to the smaller one's dimension: the
    second-order seed (``seed_n`` words) and self-learning both run on the reduced spaces; returns the
    dictionary the search ends with (index pairs, valid in the full spaces) and its last record.

    For spaces of different dimension (50-d English, 300-d French) the rectangular Procrustes mapping
    lets a noisy dictionary choose which 50 of the 300 French dimensions to keep, and an unsupervised
    search from a chance-level seed then never finds the alignment (en vs fr, unsupervised preset: 2-3%
    CSLS P@1 after 300 iterations). Searching between equal dimensions first, as VecMap must, finds it
    (en vs French on its 50 principal axes: 26% in 117 iterations); the dictionary it induces is made of
    word indices, so self-learning on the full spaces can start from it.

    Returns
    -------
    pairs : int64 (k, 2)
        The last induced dictionary (deterministic once the search converged).
    record : IterationRecord
        The search's last record (its ``collapse`` says whether the search itself failed).
    """
    from .normalize import pca_reduce
    from .seeds import second_order_seed

    r = min(src.dim, tgt.dim)
    if src.dim > r:
        src = src.with_vectors(pca_reduce(src.vectors, r))
    if tgt.dim > r:
        tgt = tgt.with_vectors(pca_reduce(tgt.vectors, r))
    seed = second_order_seed(src.with_vectors(normalize_vectors(src.vectors, config.normalize)),
                             tgt.with_vectors(normalize_vectors(tgt.vectors, config.normalize)),
                             n=min(seed_n, len(src), len(tgt)), csls_k=config.csls_k)
    search = SelfLearning(src, tgt, seed.pairs, config)
    last = search.run_until_converged(callback=callback)
    return np.stack([last.src_idx, last.tgt_idx], axis=1), last


def unsupervised_start(src: Embeddings, tgt: Embeddings, config: AlignConfig, seed_n: int = 4000,
                       callback: Callable[[IterationRecord], None] | None = None):
    """The seed dictionary and settings a fully unsupervised run self-learns from (Artetxe et al. 2018, ACL).

    One place for what ``clwe align --init unsupervised`` and the lab's unsupervised seed both do:

    - spaces of the same dimension: the second-order seed among the ``seed_n`` most frequent words of the
      normalised spaces, and ``config`` unchanged (with the unsupervised preset, its slow stochastic
      search is what finds the alignment);
    - spaces of different dimension: :func:`common_dimension_search` (seed and search with the larger space
      on its principal axes), its final dictionary as the seed, and ``config`` with
      ``stochastic_initial=1.0``: the search found the alignment, the full spaces finish deterministically.

    Parameters
    ----------
    src, tgt : Embeddings
        The spaces as loaded (not normalised: ``config.normalize`` is applied here).
    config : AlignConfig
        Settings of the run (normally ``AlignConfig.preset("unsupervised")``).
    seed_n : int
        Most frequent words compared by the second-order seed.
    callback : callable, optional
        Called with each record of the principal-axes search (different dimensions only).

    Returns
    -------
    seed : core.seeds.Seed
        Strategy ``"unsupervised"``; after a search its ``info`` holds ``search_iterations``,
        ``search_dimension`` and ``search_collapse`` (None, or why the search itself failed).
    config : AlignConfig
        The settings for self-learning from ``seed``.
    """
    from .seeds import Seed, second_order_seed

    if src.dim == tgt.dim:
        seed = second_order_seed(src.with_vectors(normalize_vectors(src.vectors, config.normalize)),
                                 tgt.with_vectors(normalize_vectors(tgt.vectors, config.normalize)),
                                 n=min(seed_n, len(src), len(tgt)), csls_k=config.csls_k)
        return seed, config
    pairs, searched = common_dimension_search(src, tgt, config, seed_n=seed_n, callback=callback)
    info = {"search_iterations": int(searched.iteration), "search_dimension": int(min(src.dim, tgt.dim)),
            "search_collapse": searched.collapse}
    return Seed(pairs, "unsupervised", info=info), replace(config, stochastic_initial=1.0)
