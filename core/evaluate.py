"""Bilingual lexicon induction (BLI), word similarity and word analogy evaluation.

Precision at 1/5/10 and mean reciprocal rank of the gold translations, retrieving over the *whole* target
vocabulary by NN, CSLS (Conneau et al. 2018) or inverted softmax (Smith et al. 2017). Coverage follows
VecMap's ``eval_translation.py``: a source word of the test dictionary counts when it is in the source
vocabulary and has at least one gold translation in the target vocabulary; the scores are over those words.
The frequency-band breakdown follows Czarnowska, Ruder, Grave, Cotterell & Copestake (2019, "Don't
Forget the Long Tail! A Comprehensive Analysis of Morphological Generalization in Bilingual Lexicon
Induction"): precision by the source word's frequency rank.

Word similarity (:func:`word_similarity`, monolingual or cross-lingual) and word analogies
(:func:`word_analogy`, 3CosAdd or 3CosMul) check the quality of a space itself, e.g. that a mapping did
not damage it: an orthogonal map keeps every monolingual cosine, a non-orthogonal one (least squares,
the contrastive refinement) does not.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from .errors import ConfigError
from .io import Embeddings
from .normalize import grid_unit_rows, unit_length
from .similarity import (DEFAULT_BATCH, inverted_softmax_normaliser, map_row_batches, mean_topk_similarity,
                         scan_topk)

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


def _json_float(x: float) -> float | None:
    """``x`` as a float, or None for nan (JSON has no nan)."""
    return None if np.isnan(x) else float(x)


@dataclass(frozen=True)
class SimilarityResult:
    """Word similarity scores. ``n`` = pairs scored (both words in the vocabularies), ``n_total`` = pairs
    of the dataset, ``coverage`` = n / n_total (VecMap's coverage); the correlations between the gold
    scores and the cosines are over the ``n`` scored pairs, nan when fewer than 2 were scored."""

    spearman: float
    pearson: float
    n: int
    n_total: int
    coverage: float

    def as_dict(self) -> dict:
        """The numbers, JSON-ready (nan as None)."""
        return {"n": self.n, "n_total": self.n_total, "coverage": self.coverage,
                "spearman": _json_float(self.spearman), "pearson": _json_float(self.pearson)}


def word_similarity(src: Embeddings, items: Iterable[tuple[str, str, float]],
                    tgt: Embeddings | None = None) -> SimilarityResult:
    """Correlation between human similarity judgements and the cosines of a space.

    The cosine of every pair ``(word1, word2)`` is compared with its gold score by Spearman's rank
    correlation (the usual headline: SimLex-999, Hill, Reichart & Korhonen 2015, "SimLex-999: Evaluating
    Semantic Models With (Genuine) Similarity Estimation", Computational Linguistics) and Pearson's.
    Monolingual when ``tgt`` is None (both words looked up in ``src``); cross-lingual when ``word1`` is a
    word of ``src`` and ``word2`` one of ``tgt`` (two mapped spaces: Camacho-Collados, Pilehvar, Collier &
    Navigli 2017, "SemEval-2017 Task 2: Multilingual and Cross-lingual Semantic Word Similarity").
    As VecMap's ``eval_similarity.py`` (which reports coverage with the correlations), a pair with a word
    outside the vocabulary is skipped and lowers the coverage; no back-off score is given to it.

    Parameters
    ----------
    src : Embeddings
        The space of ``word1`` (and of ``word2`` when ``tgt`` is None).
    items : iterable of (word1, word2, score)
        The dataset, e.g. from :func:`core.io.load_similarity`.
    tgt : Embeddings or None
        The space of ``word2`` for a cross-lingual dataset (same dimension as ``src``).

    Returns
    -------
    SimilarityResult
    """
    from scipy import stats

    tgt = src if tgt is None else tgt
    if tgt.dim != src.dim:
        raise ConfigError(f"the spaces differ in dimension ({src.dim} vs {tgt.dim}); cross-lingual similarity "
                          "compares mapped spaces")
    items = list(items)
    if not items:
        raise ConfigError("the word similarity dataset is empty")
    scored = [(src.index[w1], tgt.index[w2], score) for w1, w2, score in items
              if w1 in src.index and w2 in tgt.index]
    n, n_total = len(scored), len(items)
    if n < 2:   # no correlation to speak of
        return SimilarityResult(float("nan"), float("nan"), n, n_total, n / n_total)
    rows1, rows2, gold = (np.array(column) for column in zip(*scored))
    cosines = np.einsum("ij,ij->i", unit_length(src.vectors[rows1], np.float64),
                        unit_length(tgt.vectors[rows2], np.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)   # constant scores: nan says it
        spearman = stats.spearmanr(gold, cosines).statistic
        pearson = stats.pearsonr(gold, cosines).statistic
    return SimilarityResult(float(spearman), float(pearson), n, n_total, n / n_total)


ANALOGY_METHODS = ("3cosadd", "3cosmul")
DEFAULT_ANALOGY_CUTOFF = 30000
COSMUL_EPSILON = 1e-3
ANALOGY_BATCH = 256   # questions per score block (3CosMul holds three blocks of cutoff columns)


@dataclass(frozen=True)
class AnalogyResult:
    """Word analogy accuracy. ``n`` = questions answered (all four words among the ``cutoff`` most frequent),
    ``n_total`` = questions of the dataset, ``coverage`` = n / n_total; ``accuracy`` is over the ``n``
    answered questions (nan when none), ``by_section`` the same per section of the file, in file order.
    ``cutoff`` is the number of candidate words actually used (at most the vocabulary)."""

    accuracy: float
    n: int
    n_total: int
    coverage: float
    by_section: dict = field(default_factory=dict)
    method: str = "3cosadd"
    cutoff: int = DEFAULT_ANALOGY_CUTOFF

    def as_dict(self) -> dict:
        """The numbers, JSON-ready (nan as None)."""
        return {"method": self.method, "cutoff": self.cutoff, "n": self.n, "n_total": self.n_total,
                "coverage": self.coverage, "accuracy": _json_float(self.accuracy),
                "by_section": {name: _json_float(acc) for name, acc in self.by_section.items()}}


def word_analogy(emb: Embeddings, questions: Iterable[tuple[str, str, str, str, str]],
                 cutoff: int = DEFAULT_ANALOGY_CUTOFF, method: str = "3cosadd",
                 batch_size: int = ANALOGY_BATCH) -> AnalogyResult:
    """Accuracy on word analogy questions "a is to b as c is to d" (the Google set: Mikolov, Chen,
    Corrado & Dean 2013, "Efficient Estimation of Word Representations in Vector Space").

    The answer is the candidate word ``x`` with the best score, the three question words excluded:

    * ``"3cosadd"``: ``cos(x, b - a + c)`` (Mikolov, Yih & Zweig 2013, "Linguistic Regularities in
      Continuous Space Word Representations", NAACL); on unit rows the same argmax as
      ``cos(x, b) - cos(x, a) + cos(x, c)``;
    * ``"3cosmul"``: ``cos'(x, b) cos'(x, c) / (cos'(x, a) + 1e-3)`` with cosines shifted to [0, 1],
      ``cos' = (cos + 1) / 2`` (Levy & Goldberg 2014, "Linguistic Regularities in Sparse and Explicit
      Word Representations", CoNLL).

    The candidates are the ``cutoff`` most frequent words (the first rows), as word2vec's
    ``compute-accuracy`` demo and VecMap's ``eval_analogy.py --threshold`` (whose suggested value is
    30,000) do; a question with any word beyond them is skipped and lowers the coverage. Rows are scaled
    to unit length, scores are float32 and computed in blocks of ``batch_size`` questions (never a
    candidates x candidates matrix). Ties go to the more frequent word.

    Parameters
    ----------
    emb : Embeddings
        A monolingual (or mapped) space, rows in frequency order.
    questions : iterable of (section, a, b, c, d)
        E.g. from :func:`core.io.load_analogies`.
    cutoff : int
        Candidate words; 0 = the whole vocabulary (VecMap's convention).
    method : {"3cosadd", "3cosmul"}
    batch_size : int

    Returns
    -------
    AnalogyResult
    """
    if method not in ANALOGY_METHODS:
        raise ConfigError(f"unknown analogy method '{method}'; use {' or '.join(ANALOGY_METHODS)}")
    if cutoff < 0:
        raise ConfigError(f"the analogy cutoff must be 0 (the whole vocabulary) or more, got {cutoff}")
    questions = list(questions)
    if not questions:
        raise ConfigError("no analogy questions")
    n_cut = len(emb) if cutoff == 0 else min(cutoff, len(emb))
    rows = np.array([[emb.index.get(w, n_cut) for w in q[1:]] for q in questions], np.int64).reshape(-1, 4)
    answered = (rows < n_cut).all(axis=1)
    correct = np.zeros(len(questions), bool)
    if answered.any():
        a, b, c, d = rows[answered].T
        correct[answered] = _analogy_answers(unit_length(emb.vectors[:n_cut]), a, b, c, method, batch_size) == d
    sections = np.array([q[0] for q in questions], dtype=object)
    by_section = {}
    for name in dict.fromkeys(sections):
        mine = answered & (sections == name)
        by_section[name] = float(correct[mine].mean()) if mine.any() else float("nan")
    n = int(answered.sum())
    return AnalogyResult(accuracy=float(correct[answered].mean()) if n else float("nan"), n=n,
                         n_total=len(questions), coverage=n / len(questions), by_section=by_section,
                         method=method, cutoff=n_cut)


def _analogy_answers(X: np.ndarray, a, b, c, method: str, batch_size: int) -> np.ndarray:
    """Row of the best candidate (a row of the unit rows ``X``) for every question ``(a, b, c)``."""
    XT = np.ascontiguousarray(X.T)
    answers = np.empty(len(a), np.int64)

    def answer(_, S, start):
        sl = slice(start, start + len(S))
        if method == "3cosmul":     # S holds cos(x, b)
            S = _three_cos_mul(X[a[sl]] @ XT, S, X[c[sl]] @ XT)
        rows = np.arange(len(S))
        for q in (a, b, c):
            S[rows, q[sl]] = -np.inf
        answers[sl] = S.argmax(axis=1)

    queries = unit_length(X[b] - X[a] + X[c]) if method == "3cosadd" else X[b]
    map_row_batches(answer, queries, XT, batch_size)
    return answers


def _three_cos_mul(cos_a: np.ndarray, cos_b: np.ndarray, cos_c: np.ndarray) -> np.ndarray:
    """3CosMul of the cosines to a, b and c, each shifted to [0, 1] (Levy & Goldberg 2014)."""
    shifted_a, shifted_b, shifted_c = ((cos + 1) / 2 for cos in (cos_a, cos_b, cos_c))
    return shifted_b * shifted_c / (shifted_a + np.float32(COSMUL_EPSILON))


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
