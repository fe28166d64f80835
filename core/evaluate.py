"""Bilingual lexicon induction (BLI) evaluation.

Precision at 1/5/10 and mean reciprocal rank of the gold translations, retrieving over the *whole* target
vocabulary by NN, CSLS (Conneau et al. 2018) or inverted softmax (Smith et al. 2017). Coverage follows
VecMap's ``eval_translation.py``: a source word of the test dictionary counts when it is in the source
vocabulary and has at least one gold translation in the target vocabulary; the scores are over those words.
The frequency-band breakdown follows Czarnowska, Ruder, Grave, Cotterell & Copestake (2019, "Don't
Forget the Long Tail! A Comprehensive Analysis of Morphological Generalization in Bilingual Lexicon
Induction"): precision by the source word's frequency rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from .errors import ConfigError
from .io import Embeddings
from .normalize import grid_unit_rows, unit_length
from .similarity import DEFAULT_BATCH, inverted_softmax_normaliser, mean_topk_similarity, scan_topk

DEFAULT_BANDS = (0, 1000, 5000, 10000, 20000, 50000, 100000, 200000)


@dataclass(frozen=True)
class WordResult:
    """One test source word: its gold translations, the top-k predictions (with scores), the rank of the
    best-ranked gold translation over the whole target vocabulary (1 = correct at P@1)."""

    src: str
    gold: tuple[str, ...]
    predictions: tuple[str, ...]
    scores: tuple[float, ...]
    gold_rank: int | None


@dataclass(frozen=True)
class BandResult:
    """Precision@1 for the covered test words with source frequency rank in ``[lo, hi)``."""

    lo: int
    hi: int
    n: int
    p_at_1: float


@dataclass(frozen=True)
class BLIResult:
    """BLI scores. ``n`` = covered source words (the denominator), ``coverage`` = n / distinct source
    words of the test dictionary (VecMap's coverage)."""

    n: int
    coverage: float
    p_at_1: float
    p_at_5: float
    p_at_10: float
    mrr: float
    per_word: list = field(default_factory=list, repr=False)
    by_band: list = field(default_factory=list)
    retrieval: str = "csls"
    n_total: int = 0

    def as_dict(self) -> dict:
        """The headline numbers (no per-word results)."""
        return {"retrieval": self.retrieval, "n": self.n, "n_total": self.n_total,
                "coverage": self.coverage, "p_at_1": self.p_at_1, "p_at_5": self.p_at_5,
                "p_at_10": self.p_at_10, "mrr": self.mrr}


def evaluate_bli(Xm_emb: Embeddings, Zm_emb: Embeddings, pairs: Iterable[tuple[str, str]],
                 retrieval: str = "csls", k: int = 10, bands: Sequence[int] = DEFAULT_BANDS,
                 csls_k: int = 10, inv_temperature: float = 30.0,
                 batch_size: int = DEFAULT_BATCH, r_tgt: np.ndarray | None = None) -> BLIResult:
    """Evaluate bilingual lexicon induction on a gold dictionary.

    Parameters
    ----------
    Xm_emb, Zm_emb : Embeddings
        Mapped source and target spaces (same dimension); rows are re-normalised to unit length here.
    pairs : iterable of (src_word, tgt_word)
        Gold dictionary; a source word may have several translations.
    retrieval : {"nn", "csls", "isf"}
    k : int
        Number of predictions kept per word (P@k is reported for 1, 5 and 10 regardless, up to k >= 10).
    bands : sequence of int
        Frequency-rank band edges for the breakdown.
    csls_k : int
        CSLS neighbourhood.
    inv_temperature : float
        Inverse temperature of the inverted softmax.
    r_tgt : ndarray or None
        Precomputed CSLS r-term of the target words (over the whole source vocabulary).

    Returns
    -------
    BLIResult
    """
    if retrieval not in ("nn", "csls", "isf"):
        raise ConfigError(f"unknown retrieval '{retrieval}'; use nn, csls or isf")
    if Xm_emb.dim != Zm_emb.dim:
        raise ConfigError(f"the mapped spaces differ in dimension ({Xm_emb.dim} vs {Zm_emb.dim}); "
                          "evaluate the output of a mapping")
    gold: dict[str, set[str]] = {}
    order: list[str] = []
    for s, t in pairs:
        if s not in gold:
            gold[s] = set()
            order.append(s)
        gold[s].add(t)
    n_total = len(order)
    if n_total == 0:
        raise ConfigError("the test dictionary is empty")
    covered = [s for s in order if s in Xm_emb.index and any(t in Zm_emb.index for t in gold[s])]
    k_out = max(k, 10)
    if not covered:
        return BLIResult(0, 0.0, 0.0, 0.0, 0.0, 0.0, [], [], retrieval, n_total)
    # on the grid: the similarities that decide a retrieval are exact on every machine
    X = grid_unit_rows(Xm_emb.vectors)
    Z = grid_unit_rows(Zm_emb.vectors)
    q_idx = np.array([Xm_emb.index[s] for s in covered], np.int64)
    Q = X[q_idx]
    col_offset = row_offset = None
    scale = 1.0
    if retrieval == "csls":
        if r_tgt is None:
            r_tgt = mean_topk_similarity(Z, X, csls_k, batch_size)
        col_offset = np.asarray(r_tgt, np.float32)
        row_offset = mean_topk_similarity(Q, Z, csls_k, batch_size)
        scale = 2.0
    elif retrieval == "isf":
        col_offset = inverted_softmax_normaliser(X, Z, inv_temperature, batch_size).astype(np.float32)
        scale = inv_temperature
    gold_idx = [np.array([Zm_emb.index[t] for t in gold[s] if t in Zm_emb.index], np.int64)
                for s in covered]
    # every (query, gold target) as flat arrays: the gold scores and hits without a loop over the words
    g_rows = np.repeat(np.arange(len(covered)), [len(g) for g in gold_idx])
    g_cols = np.concatenate(gold_idx)
    n_q = len(covered)
    ranks = np.empty(n_q, np.int64)

    def gold_ranks(S, i):
        j = i + len(S)
        lo, hi = np.searchsorted(g_rows, [i, j])
        best_gold = np.full(j - i, -np.inf, np.float32)
        np.maximum.at(best_gold, g_rows[lo:hi] - i, S[g_rows[lo:hi] - i, g_cols[lo:hi]])
        ranks[i:j] = 1 + (S > best_gold[:, None]).sum(axis=1)
    top_v, top_i = scan_topk(Q, Z, k_out, scale=scale, col_offset=col_offset, row_offset=row_offset,
                             batch_size=batch_size, on_batch=gold_ranks)
    n_z = len(Z)
    hit = np.isin(np.arange(n_q)[:, None] * n_z + top_i, g_rows * n_z + g_cols)

    def p_at(m):
        return float(hit[:, :m].any(axis=1).mean())

    per_word = []
    Zw = Zm_emb.words
    for r, s in enumerate(covered):
        per_word.append(WordResult(s, tuple(sorted(gold[s])), tuple(Zw[t] for t in top_i[r]),
                                   tuple(float(x) for x in top_v[r]), int(ranks[r])))
    by_band = []
    p1 = hit[:, 0]
    edges = list(bands)
    if edges and edges[-1] < len(Xm_emb):
        edges.append(len(Xm_emb))
    for lo, hi in zip(edges[:-1], edges[1:]):
        if lo >= len(Xm_emb):
            break
        sel = (q_idx >= lo) & (q_idx < hi)
        by_band.append(BandResult(int(lo), int(hi), int(sel.sum()),
                                  float(p1[sel].mean()) if sel.any() else float("nan")))
    return BLIResult(n=n_q, coverage=n_q / n_total, p_at_1=p_at(1), p_at_5=p_at(5), p_at_10=p_at(10),
                     mrr=float(np.mean(1.0 / ranks)), per_word=per_word, by_band=by_band,
                     retrieval=retrieval, n_total=n_total)


def mark_pairs(src_idx, tgt_idx, src: Embeddings, tgt: Embeddings,
               gold_pairs: Iterable[tuple[str, str]]) -> np.ndarray:
    """Mark induced or seed pairs against a gold dictionary.

    Returns
    -------
    int8 array, one per pair
        1: the pair is in the gold dictionary; 0: the source word is in the gold dictionary but with other
        translations (wrong); -1: the source word is not in the gold dictionary (unknown).
    """
    gold: dict[str, set[str]] = {}
    for s, t in gold_pairs:
        gold.setdefault(s, set()).add(t)
    marks = np.empty(len(src_idx), dtype=np.int8)
    for n, (i, j) in enumerate(zip(np.asarray(src_idx), np.asarray(tgt_idx))):
        translations = gold.get(src.words[i])
        marks[n] = -1 if translations is None else int(tgt.words[j] in translations)
    return marks


def pair_precision(marks: np.ndarray) -> float:
    """Share of correct pairs among those whose source word the gold dictionary knows (nan if none)."""
    marks = np.asarray(marks)
    known = marks >= 0
    return float(np.mean(marks[known] == 1)) if known.any() else float("nan")


def cross_language_mixing(A, B) -> float:
    """Share of words whose nearest other word (cosine, over both sets) is in the other language.

    A picture of whether two mapped vocabularies share one space or sit side by side: two separate
    clouds give about 0, perfectly interleaved languages about 0.5 or more (a word's translation is
    its nearest neighbour). Used by the lab's projection lesson (the post's mapping figure, after
    Mikolov et al. 2013) to put a number on "the languages interleave after mapping".

    Parameters
    ----------
    A, B : array_like (n_a, d), (n_b, d)
        The two languages' vectors in one space (same ``d``); rows need not be unit length.

    Returns
    -------
    float in [0, 1]
    """
    A = grid_unit_rows(A)
    B = grid_unit_rows(B)
    if A.shape[1] != B.shape[1]:
        raise ConfigError(f"the two sets differ in dimension ({A.shape[1]} vs {B.shape[1]}); map them first")
    if len(A) + len(B) < 2 or len(A) == 0 or len(B) == 0:
        raise ConfigError("cross-language mixing needs at least one word on each side")
    M = np.vstack([A, B])
    S = M @ M.T                       # small: a few dozen words per picture
    np.fill_diagonal(S, -np.inf)
    nearest = S.argmax(axis=1)
    lang = np.r_[np.zeros(len(A), bool), np.ones(len(B), bool)]
    return float(np.mean(lang[nearest] != lang))


def translation_is_nearest(A, B) -> np.ndarray:
    """For word pairs ``(A[i], B[i])``: is ``B[i]`` the nearest row of ``B`` to ``A[i]`` (cosine)?

    A picture-sized check (a few dozen pairs, one small dense product) for the lab's projection lesson.

    Returns
    -------
    bool (len(A),)
    """
    S = unit_length(A, dtype=None, summation="linalg") @ unit_length(B, dtype=None, summation="linalg").T
    return S.argmax(axis=1) == np.arange(len(A))


def pair_cosines(A, B) -> np.ndarray:
    """Cosine of each row pair ``(A[i], B[i])`` (float32); e.g. a word and its translation after mapping."""
    A = grid_unit_rows(A)
    B = grid_unit_rows(B)
    if A.shape != B.shape:
        raise ConfigError(f"pair_cosines needs two arrays of one shape, got {A.shape} and {B.shape}")
    return np.einsum("ij,ij->i", A, B)


def accuracy_se(p: float, n: int) -> float:
    """Binomial standard error of an accuracy ``p`` (in [0, 1]) measured on ``n`` test words: sqrt(p(1-p)/n)."""
    return float(np.sqrt(p * (1 - p) / n))


def difference_se(p: float, q: float, n: int, m: int | None = None) -> float:
    """Binomial standard error of the difference of two accuracies.

    ``p`` is measured on ``n`` test words and ``q`` on ``m`` (default ``n``): the two :func:`accuracy_se`
    in quadrature, ``sqrt(p(1-p)/n + q(1-q)/m)``. The two are treated as independent samples; two runs
    scored on the same test words are positively correlated, so this overstates the spread of their
    difference, and a tie called with it is conservative.

    Parameters
    ----------
    p, q : float
        Accuracies in [0, 1].
    n, m : int
        Test words behind ``p`` and ``q``.

    Returns
    -------
    float
    """
    m = n if m is None else m
    return float(np.sqrt(p * (1 - p) / n + q * (1 - q) / m))
