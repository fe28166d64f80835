"""Gold-free model selection: which mapping of a self-learning run to keep.

Self-learning can make a good seed worse (on a held-out dictionary the project does not have, a 5k-pair
dictionary lost 3-4.5 P@1 points and identical strings up to 5 on en-fr) while it rescues a poor one
(fi-fr identical strings: 6% to 28%). No gold dictionary is available to tell which, so the candidates --
the seed's own mapping, every iteration's mapping and the final (multi-step) mapping fitted on each
iteration's dictionary -- are scored with an unsupervised criterion, and the best is kept:

* :func:`identical_strings_criterion` (default, cross-validated by :func:`score_candidate`) -- the share
  of identically spelled words (names, numbers, loanwords; Søgaard, Ruder & Vulić 2018, ACL), held out
  of the candidate's dictionary, whose CSLS translation is their twin.
* :func:`mean_csls_criterion` -- Conneau, Lample, Ranzato, Denoyer & Jégou (2018, ICLR, "Word
  Translation Without Parallel Data", MUSE), Section 3.5: translate the 10k most frequent source words
  by CSLS and average the cosine of each word with its translation.

:func:`select_mapping` scores the candidates of a :class:`core.selflearning.SelfLearning` run; see its
docstring for the default and the evidence behind it (``bench/model_selection.py``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from .errors import ConfigError
from .induction import induce_dictionary
from .io import shared_string_pairs
from .mapping import NEEDS_SPACES, Mapping
from .normalize import grid_unit_rows
from .similarity import DEFAULT_BATCH, mean_topk_similarity, scan_topk

CRITERIA = ("auto", "identical", "mean_csls", "combined")
DEFAULT_CRITERION = "identical"
# "auto": a seed made mostly of identical strings cannot be judged by identical strings (see select_mapping)
IDENTICAL_SEED_SHARE = 0.5
N_WORDS = 10000
MIN_HELD_OUT = 50
# Ties: a later candidate must beat the best so far by this much (in criterion units) to be kept, so
# noise never trades the seed's own mapping for a self-learned one of equal score.
MIN_GAIN = 0.0


@dataclass
class Candidate:
    """One mapping of a run: ``iteration`` (0 = the seed's own) and ``kind`` ("self-learning": the
    mapping fitted inside the loop, "final": the final mapping fitted on that iteration's dictionary)."""

    iteration: int
    kind: str
    mapping: Mapping
    scores: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        what = "seed's own" if self.iteration == 0 else f"iteration {self.iteration}"
        return f"{what} ({self.kind} mapping, {self.mapping.method})"


@dataclass
class Selection:
    """The outcome of :func:`select_mapping`: the kept candidate, every candidate with its scores, the
    criterion and a plain-language reason."""

    kept: Candidate
    candidates: list
    criterion: str
    reason: str

    @property
    def mapping(self) -> Mapping:
        return self.kept.mapping

    @property
    def iteration(self) -> int:
        return self.kept.iteration

    def as_dict(self) -> dict:
        """JSON-ready summary (for config.json)."""
        return {"criterion": self.criterion, "iteration": self.kept.iteration, "kind": self.kept.kind,
                "method": self.kept.mapping.method, "reason": self.reason,
                "scores": self.kept.scores,
                "candidates": [{"iteration": c.iteration, "kind": c.kind, "method": c.mapping.method,
                                **{k: round(float(v), 6) for k, v in c.scores.items()}}
                               for c in self.candidates]}


def mean_csls_criterion(Xm, Zm, k: int = 10, batch_size: int = DEFAULT_BATCH) -> float:
    """MUSE's unsupervised validation criterion (Conneau et al. 2018, ICLR, Section 3.5): the mean
    cosine between each source word and its CSLS translation.

    Parameters
    ----------
    Xm, Zm : array_like (n_src, r), (n_tgt, r)
        Mapped source and target words (unit rows), already restricted to the most frequent ones
        (MUSE: 10,000 each).
    k : int
        CSLS neighbourhood.

    Returns
    -------
    float
    """
    X, Z = grid_unit_rows(Xm), grid_unit_rows(Zm)   # on the grid: the same dictionary on every machine
    D = induce_dictionary(X, Z, retrieval="csls", k=k, direction="forward", cutoff=0, batch_size=batch_size)
    return float(np.mean(np.einsum("ij,ij->i", X[D.src], Z[D.tgt]), dtype=np.float64))


def identical_strings_criterion(Xq, Zm, targets, k: int = 10, r_tgt=None,
                                batch_size: int = DEFAULT_BATCH) -> float:
    """Share of held-out identically spelled words whose CSLS translation among ``Zm`` is their twin.

    Parameters
    ----------
    Xq : array_like (q, r)
        Mapped source rows of the held-out identical strings (unit rows).
    Zm : array_like (n_tgt, r)
        Mapped target words retrieved from (unit rows).
    targets : int array (q,)
        Row of each query's twin in ``Zm``.
    r_tgt : array (n_tgt,) or None
        CSLS r-term of the target words (mean top-k cosine to the source words); None retrieves by
        plain cosine (nearest neighbour).

    Returns
    -------
    float (nan when there are no held-out words)
    """
    targets = np.asarray(targets, np.int64)
    if len(targets) == 0:
        return float("nan")
    Q, Z = grid_unit_rows(Xq), grid_unit_rows(Zm)
    # the query's own r-term does not change its argmax
    offset = None if r_tgt is None else (np.asarray(r_tgt, np.float32) / 2)
    _, idx = scan_topk(Q, Z, 1, col_offset=offset, batch_size=batch_size)
    hits = int(np.sum(idx[:, 0] == targets))
    return hits / len(targets)


def identical_folds(run, n_words: int = N_WORDS, n_folds: int = 5, random_state: int = 0) -> list:
    """The identically spelled words among the ``n_words`` most frequent of each side
    (:func:`core.io.shared_string_pairs`), split at random into ``n_folds`` folds of
    (source row, target row) pairs."""

    ns, nt = min(n_words, len(run.src)), min(n_words, len(run.tgt))
    shared = shared_string_pairs(run.src, run.tgt, ns, nt)
    order = np.random.default_rng(random_state).permutation(len(shared))
    return [shared[order[f::n_folds]] for f in range(n_folds)]


def identical_share(run) -> float:
    """Share of the seed pairs that pair a word with the same string."""
    seed = run.seed_pairs
    if len(seed) == 0:
        return 0.0
    return float(np.mean([run.src.words[i] == run.tgt.words[j] for i, j in seed]))


def _candidate_iterations(n_records: int, max_candidates: int) -> list[int]:
    """0, the last iteration, and an even stride in between so at most ``max_candidates`` remain."""
    last = n_records - 1
    if n_records <= max_candidates:
        return list(range(n_records))
    picks = np.unique(np.round(np.linspace(0, last, max_candidates)).astype(int))
    return sorted(set(picks.tolist()) | {0, last})


def _mapped_top(run, mapping: Mapping, n_words: int):
    ns, nt = min(n_words, len(run.src)), min(n_words, len(run.tgt))
    return (mapping.transform_src(run.src.vectors[:ns], normalize=True),
            mapping.transform_tgt(run.tgt.vectors[:nt], normalize=True))


def score_candidate(run, method: str, kwargs: dict, src_idx, tgt_idx, folds: list,
                    n_words: int = N_WORDS, criteria=("mean_csls", "identical")) -> tuple[Mapping, dict]:
    """Fit a candidate (a mapping method on a dictionary) and score it on the ``n_words`` most
    frequent words of each side.

    ``mean_csls``: :func:`mean_csls_criterion` of the fitted mapping. ``identical`` (when the folds
    hold at least ``MIN_HELD_OUT`` words): cross-validated :func:`identical_strings_criterion` -- for
    each fold, the mapping is refitted on the dictionary without the fold's words (either side) and
    scored on them, so neither the seed nor an induced dictionary can vouch for its own pairs.
    """
    cfg = run.config
    src_idx, tgt_idx = np.asarray(src_idx), np.asarray(tgt_idx)
    mapping = run._fit(method, src_idx, tgt_idx, **kwargs)
    X, Z = _mapped_top(run, mapping, n_words)
    scores = {}
    if "mean_csls" in criteria:
        scores["mean_csls"] = mean_csls_criterion(X, Z, k=cfg.csls_k, batch_size=cfg.batch_size)
    total = sum(len(f) for f in folds)
    if total >= MIN_HELD_OUT and "identical" in criteria:
        # the CSLS r-term of the targets from the full fit (it hardly depends on a tenth of the pairs)
        r_tgt = mean_topk_similarity(Z, X, cfg.csls_k, cfg.batch_size)
        hits = 0.0
        for fold in folds:
            keep = ~(np.isin(src_idx, fold[:, 0]) | np.isin(tgt_idx, fold[:, 1]))
            m = run._fit(method, src_idx[keep], tgt_idx[keep], **kwargs)
            Xq = m.transform_src(run.src.vectors[fold[:, 0]], normalize=True)
            Zf = m.transform_tgt(run.tgt.vectors[:len(Z)], normalize=True)
            hits += len(fold) * identical_strings_criterion(Xq, Zf, fold[:, 1], r_tgt=r_tgt,
                                                            batch_size=cfg.batch_size)
        scores["identical"] = hits / total
    return mapping, scores


def _value(scores: dict, criterion: str) -> float:
    if criterion == "mean_csls" or "identical" not in scores:
        return scores.get("mean_csls", -np.inf)
    if criterion == "identical":
        return scores["identical"]
    return scores["identical"] + scores["mean_csls"]


def select_mapping(run, criterion: str = DEFAULT_CRITERION, max_candidates: int = 8,
                   n_words: int = N_WORDS, final: bool = True, n_folds: int = 5, callback=None,
                   scores_all: bool | None = None) -> Selection:
    """Pick the mapping of a self-learning run to keep, without a gold dictionary.

    Candidates: the seed's own mapping (iteration 0), the iterations (all, or an even stride of at
    most ``max_candidates`` including the first and the last), each both as fitted in the loop and,
    with ``final``, as the run's final mapping (``config.final_mapping``, multi-step by default)
    fitted on that iteration's dictionary.

    Criteria, on the ``n_words`` most frequent words of each side:

    * ``"mean_csls"``: :func:`mean_csls_criterion` (MUSE).
    * ``"identical"``: :func:`identical_strings_criterion`, cross-validated over ``n_folds`` folds of
      the identically spelled words (each fold held out of the candidate's dictionary and its mapping
      refitted, see :func:`score_candidate`); falls back to ``mean_csls`` when the languages share
      fewer than 50 such words.
    * ``"combined"``: the sum of both.

    Parameters
    ----------
    run : core.selflearning.SelfLearning
    criterion : {"auto", "identical", "mean_csls", "combined"}
        ``"identical"`` (default); ``"auto"``: ``"identical"``, except for a seed made mostly (>= 50%) of
        identical strings, judged by ``"mean_csls"``. Evidence (``bench/model_selection.py --split dev``,
        CSLS P@1 on a dev split of the training dictionary; seed's own / last / kept by identical / kept
        by mean CSLS): en-fr dictionary seed 41.6 / 45.3 / 45.3 / 45.0; en-fr identical-strings seed
        36.1 / 39.5 / 36.1 / 39.1; en-fr50 (French reduced to 50-d) identical-strings seed 28.8 / 28.0 /
        28.8 / 26.0. Each criterion fails once on dev, by about 3 points, in opposite directions:
        held-out identical strings favour a mapping trained on many identical pairs (the seed's own
        mapping of an identical-strings seed: 51% against 39% on en-fr), MUSE's mean cosine favours
        the late iterations whose dictionaries maximise exactly that cosine. The default takes the
        identical strings because its failure keeps the seed's own mapping, while MUSE's ends below it.
    max_candidates : int
    n_words : int
    final : bool
    callback : callable(done, total) or None
    scores_all : bool or None
        Compute both criteria for every candidate (for comparisons), not only the one that decides.

    Returns
    -------
    Selection
    """
    if criterion not in CRITERIA:
        raise ConfigError(f"unknown selection criterion '{criterion}'; use one of {', '.join(CRITERIA)}")
    cfg = run.config
    # A slow final mapping (RCSLS) is not fitted for every candidate: the multi-step mapping stands in
    # for it, and the kept iteration's dictionary gets the real one at the end.
    slow = cfg.final_mapping in NEEDS_SPACES
    final_method, final_kw = ("multistep", {}) if slow else (cfg.final_mapping, cfg.final_kwargs())
    folds = identical_folds(run, n_words, n_folds)
    n_shared = sum(len(f) for f in folds)
    seed_share = identical_share(run)
    if criterion == "auto":
        criterion = "mean_csls" if seed_share >= IDENTICAL_SEED_SHARE else "identical"
    used = criterion if n_shared >= MIN_HELD_OUT or criterion == "mean_csls" else "mean_csls"
    needed = {"identical": ("identical",), "mean_csls": ("mean_csls",)}.get(used, ("mean_csls", "identical"))
    needed = ("mean_csls", "identical") if scores_all else needed
    iterations = _candidate_iterations(len(run.history), max(2, max_candidates))
    kinds = [("self-learning", cfg.mapping, {})] + ([("final", final_method, final_kw)] if final else [])
    todo = [(it, kind, method, kw) for it in iterations for kind, method, kw in kinds]
    candidates = []
    scored = {}  # a converged run repeats its dictionary: the same fit and scores, computed once
    for n, (it, kind, method, kw) in enumerate(todo):
        rec = run.history[it]
        key = (kind, hashlib.sha1(np.ascontiguousarray(rec.src_idx, np.int64).tobytes()
                                  + np.ascontiguousarray(rec.tgt_idx, np.int64).tobytes()).hexdigest())
        try:
            if key not in scored:
                scored[key] = score_candidate(run, method, kw, rec.src_idx, rec.tgt_idx, folds, n_words, needed)
            mapping, scores = scored[key]
        except ConfigError:
            continue   # e.g. multi-step whitening on a seed smaller than the dimension: not a candidate
        candidates.append(Candidate(it, kind, mapping, scores))
        if callback is not None:
            callback(n + 1, len(todo))
    if not candidates:
        raise ConfigError("no mapping of this run could be fitted for model selection")
    best = pick(candidates, used)
    reason = _reason(best, candidates, used, criterion, n_shared)
    if used == "mean_csls" and seed_share >= IDENTICAL_SEED_SHARE:
        reason += (f" {100 * seed_share:.0f}% of the seed pairs are identical strings, so identical strings cannot "
                   "judge the seed's own mapping fairly (it generalises to other identical strings better than to "
                   "other words): MUSE's criterion decided.")
    if slow and final:
        rec = run.history[best.iteration]
        best = Candidate(best.iteration, "final", run._fit(cfg.final_mapping, rec.src_idx, rec.tgt_idx,
                                                          **cfg.final_kwargs()), dict(best.scores))
        reason += (f" The candidates were scored with multi-step final mappings; {cfg.final_mapping} was then "
                   f"fitted on iteration {best.iteration}'s dictionary.")
    return Selection(best, candidates, used, reason)


def pick(candidates: list, criterion: str) -> Candidate:
    """The best-scoring candidate; candidates are in iteration order and a later one must be strictly
    better, so a tie keeps the earlier (the seed's own mapping first)."""
    best = candidates[0]
    for cand in candidates[1:]:
        if _value(cand.scores, criterion) > _value(best.scores, criterion) + MIN_GAIN:
            best = cand
    return best


def _describe(scores: dict, criterion: str) -> str:
    if criterion == "identical" and "identical" in scores:
        return f"{100 * scores['identical']:.1f}%"
    if criterion == "mean_csls" or "identical" not in scores:
        return f"{scores['mean_csls']:.3f}"
    return f"{100 * scores['identical']:.1f}% + {scores['mean_csls']:.3f}"


def _reason(best: Candidate, candidates: list, used: str, asked: str, n_held_out: int) -> str:
    same = [c for c in candidates if c.kind == best.kind]
    seed = same[0] if same[0].iteration == 0 else None
    last = same[-1]
    name = {"identical": "share of held-out identically spelled words whose CSLS translation is their twin",
            "mean_csls": "MUSE's mean CSLS cosine of the 10k most frequent source words",
            "combined": "held-out identical-strings agreement + MUSE's mean CSLS cosine"}[used]
    what = "the seed's own mapping" if best.iteration == 0 else f"iteration {best.iteration}"
    text = (f"Kept {what} ({best.kind} mapping, {best.mapping.method}): the best {name} among "
            f"{len(candidates)} candidates, {_describe(best.scores, used)}")
    others = []
    if best is not last:
        others.append(f"last iteration {_describe(last.scores, used)}")
    if seed is not None and best is not seed:
        others.append(f"seed's own mapping {_describe(seed.scores, used)}")
    text += f" (vs {', '.join(others)})." if others else "."
    if used != asked:
        text += (f" The languages share only {n_held_out} identically spelled words (need {MIN_HELD_OUT}), "
                 "so the mean CSLS cosine decided alone.")
    return text
