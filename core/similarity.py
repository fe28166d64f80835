"""Batched float32 similarity kernels shared by induction, evaluation, selection, the mappings, the seeds and
the app: the one place where CSLS and the other retrievals are written.

Rows are assumed unit length, so the dot product is the cosine. Nothing here builds an n x n float64
matrix: similarities are computed in row batches of ``batch_size`` rows into a reused float32 buffer
(``np.matmul(..., out=buf)``) and reduced on the fly.

The retrieval kernel, for nearest neighbour (NN), CSLS (Conneau, Lample, Ranzato, Denoyer & Jégou 2018,
"Word Translation Without Parallel Data", ICLR) and the inverted softmax (ISF; Smith, Turban, Hamblin &
Hammerla 2017, "Offline bilingual word vectors, orthogonal transformations and the inverted softmax", ICLR):

* per batch: :func:`csls_penalty` (the CSLS r-term of every row), :func:`isf_log_normaliser` (the ISF
  denominator), :func:`retrieval_scores` (a block of cosines turned into NN / CSLS / ISF scores),
  :func:`row_argmax` (row retrieval, stochastic or not), :class:`ColumnTopK` and
  :func:`merge_column_argmax` (column retrieval);
* passes: :func:`row_batches` (sequential) and :func:`map_row_batches` (threaded) feed the batches;
  :func:`mean_topk_similarity` (r-terms), :func:`inverted_softmax_normaliser`, :func:`scan_topk`
  (top-k by rows; :func:`csls_topk`, :func:`topk_similarities`) and :func:`argmax_pass` (row and column
  argmax in one pass) are the retrievals every other module calls.

Exact top-k uses block maxima instead of partitioning every row: the columns of a batch are split
into ``B`` interleaved blocks, the block maxima are one vectorised ``maximum`` reduction, and the
true top-k entries of a row must lie in the k blocks with the largest maxima (any other block's
maximum is beaten by k distinct entries), so only those ``k * B`` candidates are partitioned.
"""

from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from .errors import ConfigError
from .normalize import apply_normalization, fit_normalization, grid_unit_rows, normalize

DEFAULT_BATCH = 1024
_BLOCK = 16
_GROUP = 8
N_CHUNKS = 2     # row chunks per batch for the threaded reductions (fixed: results must not depend on the machine)
N_THREADS = max(1, min(N_CHUNKS, os.cpu_count() or 1))
_POOL: ThreadPoolExecutor | None = None
_BLAS_LOCK = threading.Lock()
_BLAS_USERS = 0
_BLAS_LIMIT = None
BUFFER_ELEMENTS = 1 << 25   # 128 MB of float32: caps the rows per batch for very large vocabularies


def batch_rows(batch_size: int, n_cols: int) -> int:
    """Rows per batch so that one batch buffer stays within BUFFER_ELEMENTS."""
    return max(8, min(batch_size, BUFFER_ELEMENTS // max(n_cols, 1)))


def _f32(A) -> np.ndarray:
    return np.ascontiguousarray(A, dtype=np.float32)


def _comparable(A, B) -> tuple[np.ndarray, np.ndarray]:
    """float32 C-contiguous copies of two sets of vectors, which must have the same dimension."""
    A, B = _f32(A), _f32(B)
    if A.shape[1] != B.shape[1]:
        raise ConfigError(f"cannot compare vectors of dimension {A.shape[1]} and {B.shape[1]}; "
                          "map both spaces into a shared space first")
    return A, B


def _topk_rows(S: np.ndarray, k: int, want_indices: bool = True):
    """Exact top-k of every row of ``S`` (float32, C-contiguous), values sorted descending.

    Returns ``(values, indices)`` (indices None when not wanted).
    """
    b, n = S.shape
    if k >= n:
        order = np.argsort(-S, axis=1, kind="stable")
        return np.take_along_axis(S, order, axis=1), order
    if k == 1:
        idx = S.argmax(axis=1)[:, None]
        return np.take_along_axis(S, idx, axis=1), idx
    nb = n // _BLOCK
    if nb <= 2 * k or b == 0:
        # Too few blocks for the trick to pay off: partition directly.
        cand = np.argpartition(S, n - k, axis=1)[:, n - k:]
    else:
        main = S[:, : nb * _BLOCK].reshape(b, _BLOCK, nb)   # block c = columns {c + j*nb}
        bmax = main.max(axis=1)                              # (b, nb)
        blocks = np.argpartition(bmax, nb - k, axis=1)[:, nb - k:]   # (b, k)
        cand = (blocks[:, :, None] + (np.arange(_BLOCK) * nb)[None, None, :]).reshape(b, k * _BLOCK)
        tail = nb * _BLOCK
        if tail < n:
            cand = np.concatenate([cand, np.broadcast_to(np.arange(tail, n), (b, n - tail))], axis=1)
        vals = np.take_along_axis(S, cand, axis=1)
        sel = np.argpartition(vals, vals.shape[1] - k, axis=1)[:, -k:]
        cand = np.take_along_axis(cand, sel, axis=1)
    vals = np.take_along_axis(S, cand, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return np.take_along_axis(vals, order, axis=1), np.take_along_axis(cand, order, axis=1)


def csls_penalty(S: np.ndarray, k: int):
    """The CSLS penalty (r-term) of every row of a block of cosines, and the row's best cosine.

    ``r(a) = 1/k sum of the k largest cos(a, b)`` over the block's columns (Conneau, Lample, Ranzato,
    Denoyer & Jégou 2018, "Word Translation Without Parallel Data", ICLR, eq. 6): the mean similarity of
    ``a`` to its ``k`` nearest neighbours in the other language, high for hubs.

    Exact, without partitioning whole rows: two levels of interleaved block maxima (blocks of ``_BLOCK``
    columns, then groups of ``_GROUP`` blocks). The top-k entries lie in the k best blocks, which lie in
    the k best groups, so only ``k * _GROUP`` block maxima and then ``k * _BLOCK`` entries are
    partitioned per row.

    Parameters
    ----------
    S : float32 (b, n), C-contiguous
    k : int, ``1 <= k``

    Returns
    -------
    best : float32 (b,)
        Largest entry of each row.
    r : float64 (b,)
        Mean of the ``min(k, n)`` largest entries (accumulated in float64).
    """
    b, n = S.shape
    nb = n // _BLOCK
    ng = nb // _GROUP
    if k >= n or ng <= 2 * k or k == 1 or b == 0:
        v, _ = _topk_rows(S, k)
        return v[:, 0], mean_of_topk(v)
    bmax = S[:, : nb * _BLOCK].reshape(b, _BLOCK, nb).max(axis=1)          # block c = cols {c + j*nb}
    gmax = bmax[:, : ng * _GROUP].reshape(b, _GROUP, ng).max(axis=1)       # group g = blocks {g + j*ng}
    groups = np.argpartition(gmax, ng - k, axis=1)[:, ng - k:]
    cand = (groups[:, :, None] + (np.arange(_GROUP) * ng)[None, None, :]).reshape(b, k * _GROUP)
    if ng * _GROUP < nb:
        cand = np.concatenate([cand, np.broadcast_to(np.arange(ng * _GROUP, nb), (b, nb - ng * _GROUP))], axis=1)
    cv = np.take_along_axis(bmax, cand, axis=1)
    blocks = np.take_along_axis(cand, np.argpartition(cv, cv.shape[1] - k, axis=1)[:, -k:], axis=1)
    # flat-index gather: ~3x faster than take_along_axis on the strided block view
    Sc = S if S.flags.c_contiguous else np.ascontiguousarray(S)
    flat = (np.arange(b) * n)[:, None, None] + blocks[:, :, None] + (np.arange(_BLOCK) * nb)[None, None, :]
    vals = np.take(Sc.reshape(-1), flat).reshape(b, _BLOCK * k)
    if nb * _BLOCK < n:
        vals = np.concatenate([vals, S[:, nb * _BLOCK:]], axis=1)
    top = np.partition(vals, vals.shape[1] - k, axis=1)[:, -k:]
    return top.max(axis=1), mean_of_topk(top)


def mean_of_topk(values: np.ndarray) -> np.ndarray:
    """The CSLS r-term from each row's ``k`` largest similarities (any order): their mean, in float64."""
    return values.mean(axis=1, dtype=np.float64)


@contextlib.contextmanager
def single_thread_blas():
    """Run the enclosed products on one BLAS thread (threadpoolctl, which ships with scikit-learn).

    Small products, and products that run in several of our own threads at once, are fastest that way.
    The limit is process-wide, so nested and concurrent users (e.g. two app sessions) share one
    reference-counted limit: the first sets it, the last restores the original.
    """
    global _BLAS_USERS, _BLAS_LIMIT
    with _BLAS_LOCK:
        if _BLAS_USERS == 0:
            _BLAS_LIMIT = threadpool_limits(limits=1, user_api="blas")
        _BLAS_USERS += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_USERS -= 1
            if _BLAS_USERS == 0:
                _BLAS_LIMIT.restore_original_limits()
                _BLAS_LIMIT = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=N_THREADS, thread_name_prefix="clwe-reduce")
    return _POOL


def map_row_batches(fn, A, BT, batch_size: int = DEFAULT_BATCH) -> None:
    """Call ``fn(c, S, start)`` for every row batch ``S = A[start:stop] @ BT`` (float32).

    The batches go round-robin to ``N_CHUNKS`` streams; stream ``c`` always gets the same batches, in
    row order, so ``fn`` may keep per-stream state (accumulators, random generators) and results do
    not depend on the number of cores. Each stream runs in its own thread with its own buffer and
    computes its own products with BLAS limited to one thread: NumPy's reductions run on one core,
    and a multi-threaded BLAS keeps its threads spinning after every product, so one stream per core
    doing both is about 1.5x faster than a 2-thread product followed by the reductions.
    ``fn`` must not call ``map_row_batches`` itself (the thread pool is shared).
    """
    n, n_cols = len(A), BT.shape[1]
    rows = max(1, batch_rows(batch_size, n_cols) // N_CHUNKS)
    starts = list(range(0, n, rows))

    def stream(c):
        mine = starts[c::N_CHUNKS]
        if not mine:
            return
        buf = np.empty((min(rows, n), n_cols), np.float32)
        for i in mine:
            S = buf[: min(i + rows, n) - i]
            np.matmul(A[i:i + len(S)], BT, out=S)
            fn(c, S, i)

    if N_THREADS == 1 or len(starts) < 2:
        for c in range(N_CHUNKS):
            stream(c)
        return
    with single_thread_blas():
        futures = [_pool().submit(stream, c) for c in range(N_CHUNKS)]
        for f in futures:
            f.result()


def row_batches(A, BT, batch_size: int = DEFAULT_BATCH):
    """Yield ``(start, S)``, ``S = A[start:start + len(S)] @ BT`` (float32), batch after batch in row order.

    The sequential form of :func:`map_row_batches`, for passes whose per-batch state (a random stream, a
    running sum) must see the batches in order. One buffer of ``batch_rows(batch_size, n_cols)`` rows is
    reused: ``S`` may be modified in place and is overwritten by the next batch.
    """
    n = len(A)
    rows = batch_rows(batch_size, BT.shape[1])
    buf = np.empty((min(rows, max(n, 1)), BT.shape[1]), np.float32)
    for i in range(0, n, rows):
        S = buf[: min(i + rows, n) - i]
        np.matmul(A[i:i + len(S)], BT, out=S)
        yield i, S


def retrieval_scores(S: np.ndarray, scale: float = 1.0, col_offset=None, row_offset=None) -> np.ndarray:
    """Turn a block of cosines into retrieval scores in place: ``scale * S - col_offset - row_offset``.

    * Nearest neighbour: ``scale = 1``, no offsets.
    * CSLS (Conneau et al. 2018, ICLR): ``CSLS(a, b) = 2 cos(a, b) - r_B(a) - r_A(b)``: ``scale = 2``,
      ``col_offset`` the columns' r-terms, ``row_offset`` the rows' (see :func:`csls_penalty`). A row's
      own r-term does not change its ranking, so row retrieval may leave it out.
    * Inverted softmax (Smith, Turban, Hamblin & Hammerla 2017, ICLR): ``log P(b | a) = beta cos(a, b) -
      log sum_a' exp(beta cos(a', b))``: ``scale = beta``, ``col_offset`` the columns' log normalisers
      (:func:`inverted_softmax_normaliser`).

    The order (scale, columns, rows) is fixed, in float32: every recorded score was computed so.

    Parameters
    ----------
    S : float32 (b, n)
    scale : float
    col_offset : float32 (n,) or None
    row_offset : float32 (b,) or None

    Returns
    -------
    S
    """
    if scale != 1.0:
        S *= np.float32(scale)
    if col_offset is not None:
        S -= col_offset
    if row_offset is not None:
        S -= row_offset[:, None]
    return S


def isf_log_normaliser(S: np.ndarray, beta: float, *, overwrite: bool = False,
                       float64_max: bool = True) -> np.ndarray:
    """``log sum_j exp(beta * S[i, j])`` of every row of a block, stably (the row maximum taken out): the
    denominator of the inverted softmax (Smith et al. 2017, ICLR) when the rows are the candidates.

    Parameters
    ----------
    S : float32 (b, n)
    beta : float
        Inverse temperature.
    overwrite : bool
        Use ``S`` as scratch space (it is left holding ``exp(beta (S - max))``).
    float64_max : bool
        Multiply the row maxima by ``beta`` in float64 (induction) or float32 (evaluation's recorded
        numbers were made so).

    Returns
    -------
    float64 (b,)
    """
    m = S.max(axis=1)
    T = S if overwrite else np.empty_like(S)
    np.subtract(S, m[:, None], out=T)
    T *= np.float32(beta)
    np.exp(T, out=T)
    return beta * m.astype(np.float64 if float64_max else np.float32) + np.log(T.sum(axis=1, dtype=np.float64))


def csls_of_pairs(cos, r_src, r_tgt):
    """CSLS of given word pairs, ``2 cos(x, z) - r(x) - r(z)`` (Conneau et al. 2018, ICLR), from their
    cosines and the two words' r-terms (:func:`csls_penalty`), in the inputs' precision."""
    return 2 * cos - r_src - r_tgt


def inverted_softmax_normaliser(A, B, beta: float, batch_size: int = DEFAULT_BATCH) -> np.ndarray:
    """``log sum_a exp(beta a.b)`` for every row ``b`` of ``B`` over all rows ``a`` of ``A``: the column
    offset of inverted-softmax retrieval from ``A`` to ``B`` (Smith et al. 2017, ICLR; see
    :func:`retrieval_scores`), in one pass of row batches.

    Returns
    -------
    float64 (n_b,)
    """
    A, B = _comparable(A, B)
    out = np.empty(len(B), np.float64)
    for i, S in row_batches(B, np.ascontiguousarray(A.T), batch_size):
        out[i:i + len(S)] = isf_log_normaliser(S, beta, overwrite=True, float64_max=False)
    return out


def scan_topk(A, B, k: int, *, scale: float = 1.0, col_offset=None, row_offset=None,
              batch_size: int = DEFAULT_BATCH, on_batch=None):
    """Top-k of ``scale * A @ B.T - col_offset[None, :] - row_offset[:, None]`` per row, batched.

    The top-k retrieval pass of NN (``scale=1``), CSLS (``scale=2``, offsets = r-terms) and the inverted
    softmax (``scale=beta``, ``col_offset`` = log normalisers); see :func:`retrieval_scores`.

    Parameters
    ----------
    A : ndarray (n_a, d)
    B : ndarray (n_b, d)
    k : int
    scale : float
    col_offset, row_offset : ndarray (n_b,), (n_a,) or None
    batch_size : int
    on_batch : callable or None
        ``on_batch(S, start)`` sees every batch of scores (rows ``start ...``) after the top-k is taken
        (e.g. the rank of a gold candidate).

    Returns
    -------
    values : float32 (n_a, k), sorted descending
    indices : int64 (n_a, k)
    """
    A, B = _comparable(A, B)
    k = min(k, len(B))
    vals = np.empty((len(A), k), np.float32)
    idx = np.empty((len(A), k), np.int64)
    co = None if col_offset is None else _f32(col_offset)
    ro = None if row_offset is None else _f32(row_offset)

    def topk(c, S, i):
        sl = slice(i, i + len(S))
        retrieval_scores(S, scale, co, None if ro is None else ro[sl])
        vals[sl], idx[sl] = _topk_rows(S, k)
    BT = np.ascontiguousarray(B.T)
    if on_batch is None:            # rows are independent: one stream per core (map_row_batches)
        map_row_batches(topk, A, BT, batch_size)
        return vals, idx
    for i, S in row_batches(A, BT, batch_size):
        topk(0, S, i)
        on_batch(S, i)
    return vals, idx


STOCHASTIC_CANDIDATES = 64
SUBSET_GROUP = 16
STOCHASTIC_METHODS = ("subset", "geometric")


def row_argmax(S: np.ndarray, keep_prob: float = 1.0, rng=None, stochastic: str = "subset",
               n_candidates: int = STOCHASTIC_CANDIDATES):
    """Row retrieval in one batch of scores: each row's argmax, or its argmax over a random subset of
    the columns, each kept with probability ``keep_prob`` (stochastic dictionary induction, Artetxe,
    Labaka & Agirre 2018, ACL).

    ``stochastic="subset"``: one random column subset per group of ``SUBSET_GROUP`` rows (exact per-row
    semantics, one gather); ``"geometric"``: the g-th best of each row's top ``n_candidates``,
    g ~ Geometric(keep_prob). Ties go to the lower column, as ``argmax``.

    Returns
    -------
    index : int64 (b,)
    value : float32 (b,)
    """
    b, nb = S.shape
    if keep_prob >= 1.0:
        a = S.argmax(axis=1)
        return a, S[np.arange(b), a]
    if stochastic == "geometric":
        v, ix = _topk_rows(S, min(n_candidates, nb))
        g = np.minimum(rng.geometric(keep_prob, size=len(v)), v.shape[1]) - 1
        rows = np.arange(len(v))
        return ix[rows, g], v[rows, g]
    idx = np.empty(b, np.int64)
    val = np.empty(b, np.float32)
    for g in range(0, b, SUBSET_GROUP):
        keep = np.flatnonzero(rng.random(nb) < keep_prob)
        if keep.size == 0:
            keep = rng.integers(nb, size=1)
        sub = S[g:g + SUBSET_GROUP][:, keep]
        a = sub.argmax(axis=1)
        idx[g:g + len(a)] = keep[a]
        val[g:g + len(a)] = sub[np.arange(len(a)), a]
    return idx, val


FEW_QUERIES = 8


def topk_similarities(A, B, k: int, batch_size: int = DEFAULT_BATCH):
    """Nearest neighbours by cosine: the ``k`` most similar rows of ``B`` for every row of ``A``.

    Parameters
    ----------
    A : array_like (n_a, d), unit rows
    B : array_like (n_b, d), unit rows
    k : int
    batch_size : int

    Returns
    -------
    values : float32 (n_a, k), sorted descending
    indices : int64 (n_a, k)
    """
    A, B = _comparable(A, B)
    if len(A) <= FEW_QUERIES:
        # A few words (the inspector, translate): ``B @ A.T`` reads B as it is, where a batch pass copies
        # B transposed (230 MB at 200k x 300). On grid unit rows the products are exact either way.
        return _topk_rows(np.ascontiguousarray((B @ A.T).T), min(k, len(B)))
    return scan_topk(A, B, k, batch_size=batch_size)


def mean_topk_similarity(A, B, k: int = 10, batch_size: int = DEFAULT_BATCH) -> np.ndarray:
    """Mean cosine of every row of ``A`` to its ``k`` nearest rows of ``B``: the r-term of CSLS
    (Conneau, Lample, Ranzato, Denoyer & Jégou 2018, "Word Translation Without Parallel Data", ICLR).

    Returns
    -------
    float32 (n_a,)
    """
    if k < 1:
        raise ConfigError(f"CSLS needs k >= 1 neighbours (got {k})")
    A, B = _comparable(A, B)
    k = min(k, len(B))
    out = np.empty(len(A), np.float64)

    def stats(c, S, start):
        out[start:start + len(S)] = csls_penalty(S, k)[1]
    map_row_batches(stats, A, np.ascontiguousarray(B.T), batch_size)
    return out.astype(np.float32)


def mean_topk_similarity_both(A, B, k: int = 10, batch_size: int = DEFAULT_BATCH):
    """Both CSLS r-terms, ``mean_topk_similarity(A, B, k)`` and ``mean_topk_similarity(B, A, k)``, from one
    pass over ``A @ B.T``: each batch gives its rows' penalties (:func:`csls_penalty`) and feeds a running
    top-k of every column (:class:`ColumnTopK`), so the product is computed once instead of twice. The same
    top-k values, so the same r-terms, as the two separate calls.

    Returns
    -------
    r_a, r_b : float32 (n_a,), (n_b,)
    """
    if k < 1:
        raise ConfigError(f"CSLS needs k >= 1 neighbours (got {k})")
    A, B = _comparable(A, B)
    r_a = np.empty(len(A), np.float64)
    cols = [ColumnTopK(len(B), min(k, len(A))) for _ in range(N_CHUNKS)]

    def stats(c, S, start):
        r_a[start:start + len(S)] = csls_penalty(S, min(k, len(B)))[1]
        cols[c].update(S, start)
    map_row_batches(stats, A, np.ascontiguousarray(B.T), batch_size)
    merged = np.concatenate([acc.values for acc in cols], axis=1)       # every stream's column top-k
    kb = min(k, len(A))
    top = np.partition(merged, merged.shape[1] - kb, axis=1)[:, -kb:]
    return r_a.astype(np.float32), mean_of_topk(top).astype(np.float32)


def csls_topk(A, B, k_neighbors: int = 10, topk: int = 10, batch_size: int = DEFAULT_BATCH,
              r_A=None, r_B=None):
    """Retrieval by cross-domain similarity local scaling (Conneau et al. 2018, ICLR):
    ``CSLS(a, b) = 2 cos(a, b) - r_B(a) - r_A(b)``, which penalises hubs.

    Parameters
    ----------
    A, B : array_like, unit rows, same dimension
    k_neighbors : int
        Neighbourhood size of the r-terms.
    topk : int
        Candidates returned per row of ``A``.
    r_A, r_B : ndarray or None
        Precomputed r-terms (``mean_topk_similarity(A, B)``, ``mean_topk_similarity(B, A)``).

    Returns
    -------
    values : float32 (n_a, topk) CSLS scores, sorted descending
    indices : int64 (n_a, topk)
    """
    if r_A is None:
        r_A = mean_topk_similarity(A, B, k_neighbors, batch_size)
    if r_B is None:
        r_B = mean_topk_similarity(B, A, k_neighbors, batch_size)
    return scan_topk(A, B, topk, scale=2.0, col_offset=r_B, row_offset=r_A, batch_size=batch_size)


def k_occurrence(A, B, k: int = 10, retrieval: str = "nn", csls_k: int = 10,
                 batch_size: int = DEFAULT_BATCH, return_neighbours: bool = False):
    """Hubness: how often each row of ``B`` is among the ``k`` retrieved neighbours of a row of ``A``.

    The k-occurrence N_k of Radovanović, Nanopoulos & Ivanović (2010, JMLR), the measure behind CSLS
    (Conneau et al. 2018, ICLR) and inverted softmax (Smith et al. 2017): under plain nearest-neighbour
    retrieval a few "hubs" are the neighbour of very many queries and most words of no one; CSLS's
    penalty ``r_A(b)`` lowers exactly those hubs.

    Parameters
    ----------
    A : array_like (n_a, d), unit rows (the queries, e.g. mapped source words)
    B : array_like (n_b, d), unit rows (the candidates, e.g. target words)
    k : int
        Neighbours retrieved per query.
    retrieval : {"nn", "csls"}
    csls_k : int
        Neighbourhood size of the CSLS r-terms.
    batch_size : int

    Returns
    -------
    counts : int64 (n_b,)
        N_k of every row of ``B``; ``counts.sum() == n_a * min(k, n_b)``.
    neighbours : int64 (n_a, k), only with ``return_neighbours``
        The retrieved rows of ``B`` per query, best first (what each hub attracts).
    """
    if retrieval not in ("nn", "csls"):
        raise ConfigError(f"unknown retrieval '{retrieval}' for k-occurrence; use nn or csls")
    if k < 1:
        raise ConfigError(f"k-occurrence needs k >= 1 (got {k})")
    A, B = _comparable(A, B)
    if retrieval == "nn":
        _, idx = scan_topk(A, B, k, batch_size=batch_size)
    else:
        _, idx = csls_topk(A, B, csls_k, k, batch_size=batch_size)
    counts = np.bincount(idx.ravel(), minlength=len(B)).astype(np.int64)
    return (counts, idx) if return_neighbours else counts


def sorted_similarity_profile(X, rows: Sequence[int] | np.ndarray | None = None,
                              n_sample: int | None = None, random_state=0,
                              batch_size: int = DEFAULT_BATCH) -> np.ndarray:
    """Each selected word's cosine similarities to all words of its own language, sorted descending.

    The curve behind Artetxe et al. (2018, ACL, "A robust self-learning method for fully unsupervised
    cross-lingual mappings of word embeddings"): translations have similar curves ("two" / "due" /
    "cane" in the app), so the sorted profile is a language-independent signature of a word.

    Parameters
    ----------
    X : array_like (n, d), unit rows
    rows : sequence of int or None
        Which words (default all; mind the size: the result is len(rows) x n).
    n_sample : int or None
        Compare against a uniform random sample of this many words instead of all (faster plots).
    random_state : int or np.random.Generator

    Returns
    -------
    float32 (len(rows), n or n_sample), every row sorted descending.
    """
    X = _f32(X)
    rows = np.arange(len(X)) if rows is None else np.asarray(rows, dtype=np.int64)
    cols = X
    if n_sample is not None and n_sample < len(X):
        rng = np.random.default_rng(random_state)
        cols = X[np.sort(rng.choice(len(X), size=n_sample, replace=False))]
    out = np.empty((len(rows), len(cols)), np.float32)
    CT = np.ascontiguousarray(cols.T)
    for i in range(0, len(rows), batch_size):
        S = out[i:i + batch_size]
        np.matmul(X[rows[i:i + batch_size]], CT, out=S)
        S.sort(axis=1)
        S[:] = S[:, ::-1]
    return out


def second_order_signatures(X, n: int = 4000, rows=None) -> np.ndarray:
    """Second-order similarity signatures of the ``n`` most frequent words (Artetxe, Labaka & Agirre
    2018, ACL): with ``U S V^T = SVD(X[:n])``, ``M = U S U^T`` is the square root of the similarity
    matrix ``X X^T`` (so it does not depend on the basis of the space and is better conditioned);
    every row of ``M`` is sorted (descending) and the matrix normalised unit length, centred, unit
    length. Row ``i`` of the signatures of two languages can then be compared directly: translations
    have similar signatures.

    Parameters
    ----------
    X : array_like (n_words, d), rows normalised
    n : int
        Number of top-frequency words (VecMap's ``--unsupervised_vocab``, 4000).
    rows : sequence of int or None
        Only these words' signatures, which may lie beyond the ``n`` most frequent: ``x V U^T`` is row ``i``
        of ``U S U^T`` when ``x = X[i]`` (since ``X[:n] V = U S``), so a rarer word gets the row it would
        have as one of the ``n`` (its own entry ``x V S^-1 V^T x^T`` in place of its weakest), normalised with
        their statistics (the survey's *cane*).

    Returns
    -------
    float32 (n, n), or (len(rows), n)
    """
    X = _f32(X)
    if n < 2:
        raise ConfigError(f"second-order signatures need n >= 2 words (got {n})")
    n = min(n, len(X))
    # One BLAS thread: a 4,000 x 300 SVD takes 0.1 s on one thread and 1.2 s on two threads of a machine
    # busy with other work (the live demo's seed took 17 s instead of 10 s under load).
    with single_thread_blas():
        U, s, Vt = np.linalg.svd(X[:n].astype(np.float64), full_matrices=False)
        # float64 product and grid rows: the seed's CSLS between signatures is exact on every machine
        M = _sorted_descending((U * s) @ U.T)
    if rows is None:
        return grid_unit_rows(normalize(M, ("unit", "center", "unit")))
    rows = np.asarray(rows, dtype=np.int64)
    out = np.empty((len(rows), n), np.float32)
    inside = rows < n
    out[inside] = M[rows[inside]]
    if not inside.all():
        coords = X[rows[~inside]].astype(np.float64) @ Vt.T                            # x V = "U_i S"
        own = np.einsum("ij,ij->i", coords, coords / np.maximum(s, 1e-12))             # its entry U_i S U_i^T
        # an in-sample row holds the word's own entry: give the rarer word its own in place of its weakest
        out[~inside] = _sorted_descending(np.column_stack([own, coords @ U.T]))[:, :n]
    return grid_unit_rows(apply_normalization(out, fit_normalization(M, ("unit", "center", "unit"))))


def _sorted_descending(M: np.ndarray) -> np.ndarray:
    M.sort(axis=1)
    return np.ascontiguousarray(M[:, ::-1], dtype=np.float32)


def top_profile(X, row: int, n: int) -> np.ndarray:
    """Word ``row``'s cosines to the ``n`` most frequent words of its space (rows of unit ``X``), sorted
    descending, without the word itself (its cosine 1 would start every curve): the survey's F7 curve."""
    X = _f32(X)
    n = min(n, len(X))
    profile = sorted_similarity_profile(X[:n] if row < n else np.vstack([X[:n], X[row]]),
                                        rows=[row if row < n else n])[0]
    return profile[1:]


def _resample(p: np.ndarray, m: int) -> np.ndarray:
    if p.shape[-1] == m:
        return p
    x_old = np.linspace(0.0, 1.0, p.shape[-1])
    x_new = np.linspace(0.0, 1.0, m)
    if p.ndim == 1:
        return np.interp(x_new, x_old, p)
    return np.stack([np.interp(x_new, x_old, r) for r in p])


def distribution_similarity(sig_a, sig_b):
    """Cosine between sorted similarity profiles (or signature rows).

    Profiles of different length (languages with different vocabulary sizes) are linearly resampled to
    the shorter length, i.e. compared as quantile curves. 1-D inputs give a float, 2-D inputs
    (same number of rows) give one cosine per row.
    """
    a = np.asarray(sig_a, dtype=np.float64)
    b = np.asarray(sig_b, dtype=np.float64)
    m = min(a.shape[-1], b.shape[-1])
    a, b = _resample(a, m), _resample(b, m)
    num = (a * b).sum(axis=-1)
    den = np.sqrt((a * a).sum(axis=-1) * (b * b).sum(axis=-1))
    den = np.where(den == 0, 1.0, den)
    out = num / den
    return float(out) if np.ndim(out) == 0 else out.astype(np.float32)


class ColumnTopK:
    """Running exact top-k of every column of a matrix seen in row batches (with row indices).

    Per batch: per-column maxima over blocks of ``row_block`` rows (one vectorised reduction); only
    blocks whose maximum beats both the column's current k-th best and the batch's own k-th largest
    block maximum (a lower bound of the batch's k-th best) can hold new top-k entries, so the rest of
    the work is proportional to the few candidate blocks. ``k == 1`` (running argmax) needs no merge.

    Parameters
    ----------
    n_cols : int
    k : int
    """

    def __init__(self, n_cols: int, k: int, row_block: int = 16):
        self.k = k
        self.values = np.full((n_cols, k), -np.inf, np.float32)
        self.indices = np.zeros((n_cols, k), np.int64)
        self.row_block = row_block
        self.seen = 0

    def update(self, S: np.ndarray, row_offset: int) -> None:
        """Merge batch ``S`` (rows ``row_offset ...``, all columns) into the running top-k."""
        b, n = S.shape
        if b == 0:
            return
        k, R = self.k, self.row_block
        nfull = b // R
        parts = []
        if nfull:
            parts.append(S[: nfull * R].reshape(nfull, R, n).max(axis=1))
        if nfull * R < b:
            parts.append(S[nfull * R:].max(axis=0)[None])
        cbm = parts[0] if len(parts) == 1 else np.concatenate(parts)   # (blocks, n) block maxima
        nblk = len(cbm)
        old = self.values[:, -1]
        self.seen += b
        if k == 1:
            m = cbm.max(axis=0)
            cols = np.flatnonzero(m > old)
            if cols.size:
                blk = (cbm[:, cols] == m[cols]).argmax(axis=0)      # first block holding the max
                rows = np.minimum(blk[None, :] * R + np.arange(R)[:, None], b - 1)
                r = rows[S[rows, cols].argmax(axis=0), np.arange(cols.size)]
                self.values[cols, 0] = m[cols]
                self.indices[cols, 0] = r + row_offset
            return
        # Lower bound from this batch: its k-th largest block maximum (k blocks reach it, each holding
        # an entry at least that large); only blocks reaching both bounds can hold new top-k entries.
        lower = np.partition(cbm, nblk - k, axis=0)[nblk - k] if nblk >= k else np.full(n, -np.inf, np.float32)
        thr = np.maximum(old, lower)
        blk, col = np.nonzero((cbm >= thr) & (cbm > old))
        if not blk.size:
            return
        rows = blk[:, None] * R + np.arange(R)
        valid = rows < b
        rows = np.minimum(rows, b - 1)
        cols = np.broadcast_to(col[:, None], rows.shape)
        v = S[rows, cols]
        keep = valid & (v > old[cols]) & (v >= thr[cols])
        if keep.any():
            self._merge(rows[keep] + row_offset, cols[keep], v[keep])

    def _merge(self, rows, cols, vals):
        # Dense merge: affected columns x (k old + up to `width` new), then a row-wise top-k.
        k = self.k
        order = np.argsort(cols, kind="stable")
        rows, cols, vals = rows[order], cols[order], vals[order]
        U, starts, counts = np.unique(cols, return_index=True, return_counts=True)
        width = int(counts.max())
        pos = np.arange(len(cols)) - np.repeat(starts, counts)
        dv = np.full((len(U), k + width), -np.inf, np.float32)
        di = np.zeros((len(U), k + width), np.int64)
        dv[:, :k] = self.values[U]
        di[:, :k] = self.indices[U]
        slot = np.repeat(np.arange(len(U)), counts)
        dv[slot, k + pos] = vals
        di[slot, k + pos] = rows
        v, ix = _topk_rows(dv, k)
        self.values[U] = v
        self.indices[U] = np.take_along_axis(di, ix, axis=1)


def argmax_pass(A, B, *, csls_k: int | None = None, col_argmax: bool = False, retrieve: bool = False,
                col_offset=None, keep_prob: float = 1.0, rng=None, stochastic: str = "subset",
                batch_size: int = DEFAULT_BATCH):
    """One threaded pass (:func:`map_row_batches`) of NN or CSLS argmax retrieval over the rows of ``A``
    against ``B``, by rows, by columns, or both at once.

    Per batch of cosines ``S``: every row's best cosine and, with ``csls_k``, its CSLS penalty ``r``
    (:func:`csls_penalty`). The batch then becomes ``S - r_row / 2`` (NN: ``S``), whose running column
    argmax (``col_argmax``) is the CSLS (NN) match of every column of ``B``: a column's own r-term does
    not change it. With ``col_offset`` (the other side's ``r / 2``) subtracted too, the batch is half the
    CSLS score (Conneau et al. 2018, ICLR), and each row retrieves its match (``retrieve``; over a random
    subset of the columns when ``keep_prob < 1``, see :func:`row_argmax`, one random stream per stream of
    batches, spawned from ``rng``).

    Returns
    -------
    best : float32 (n_a,)
    r : float64 (n_a,) or None (without ``csls_k``)
    columns : (float32 (n_b,) score, int64 (n_b,) row) or None
        The column argmax, in the units of the batch (``S - r_row / 2``).
    rows : (int64 (n_a,) column, float32 (n_a,) score) or None
        The row retrieval; with ``csls_k`` the score is ``2 x`` the batch's, the CSLS score.
    """
    n = len(A)
    best = np.empty(n, np.float32)
    r = np.empty(n, np.float64) if csls_k else None
    accs = [ColumnTopK(len(B), 1) for _ in range(N_CHUNKS)] if col_argmax else []
    rows = (np.empty(n, np.int64), np.empty(n, np.float32)) if retrieve else None
    rngs = rng.spawn(N_CHUNKS) if rng is not None else [None] * N_CHUNKS

    def reduce(c, S, start):
        sl = slice(start, start + len(S))
        if csls_k:
            best[sl], r[sl] = csls_penalty(S, csls_k)
        else:
            best[sl] = S.max(axis=1)
        if not (col_argmax or retrieve):
            return
        if csls_k:
            retrieval_scores(S, row_offset=(r[sl] / 2).astype(np.float32))
        if col_argmax:
            accs[c].update(S, start)
        if retrieve:
            rows[0][sl], v = row_argmax(retrieval_scores(S, col_offset=col_offset), keep_prob, rngs[c], stochastic)
            rows[1][sl] = 2 * v if csls_k else v
    map_row_batches(reduce, A, np.ascontiguousarray(B.T), batch_size)
    return best, r, (merge_column_argmax(accs) if col_argmax else None), rows


def merge_column_argmax(accs) -> tuple[np.ndarray, np.ndarray]:
    """Merge running column argmaxes (:class:`ColumnTopK` with ``k = 1``, one per stream of
    :func:`map_row_batches`) into the column argmax of the whole matrix; ties go to the lower row, as
    ``argmax`` would.

    Returns
    -------
    values : float32 (n_cols,)
    rows : int64 (n_cols,)
    """
    v, ix = accs[0].values[:, 0].copy(), accs[0].indices[:, 0].copy()
    for acc in accs[1:]:
        w, jx = acc.values[:, 0], acc.indices[:, 0]
        take = (w > v) | ((w == v) & (jx < ix))
        v[take], ix[take] = w[take], jx[take]
    return v, ix


def translation_win_rate(sig_src, sig_tgt, pairs, random_state=0) -> tuple[float, int]:
    """How often a word's translation has the closer distribution than a random target word.

    For each ``(i, j)`` in ``pairs`` (rows of ``sig_src`` and ``sig_tgt``, e.g. second-order
    signatures), compare ``distribution_similarity(sig_src[i], sig_tgt[j])`` with the similarity to a
    random other target row. 0.5 means the distributions carry no signal about translation; the
    unsupervised seed of Artetxe et al. (2018, ACL) relies on this being well above 0.5. A one-number
    check that a chosen "two / due / cane" example is typical of the pair, not a lucky pick.

    Returns
    -------
    (rate, n) : share of pairs where the translation wins, and the number of pairs compared.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if len(pairs) == 0:
        raise ConfigError("translation_win_rate needs at least one pair")
    rng = np.random.default_rng(random_state)
    other = rng.integers(0, len(sig_tgt) - 1, size=len(pairs))
    other = other + (other >= pairs[:, 1])           # never the translation itself
    a = np.asarray(sig_src)[pairs[:, 0]]
    true = distribution_similarity(a, np.asarray(sig_tgt)[pairs[:, 1]])
    rand = distribution_similarity(a, np.asarray(sig_tgt)[other])
    return float(np.mean(np.asarray(true) > np.asarray(rand))), int(len(pairs))


def distribution_rank(sig, candidates, target: int) -> int:
    """Rank (1 = closest) of row ``target`` of ``candidates`` among all rows, by distribution similarity
    (cosine, as :func:`distribution_similarity`) to the signature ``sig``.

    How the unsupervised seed of Artetxe et al. (2018, ACL) would see a word's translation: rank 1 means
    the translation is picked; the lab reports it next to the "two / due / cane" example.
    """
    C = np.asarray(candidates, dtype=np.float64)
    a = np.asarray(sig, dtype=np.float64)
    if C.ndim != 2 or C.shape[1] != a.shape[-1]:
        raise ConfigError(f"candidates must be (n, {a.shape[-1]}), got {C.shape}")
    sims = (C @ a) / np.maximum(np.linalg.norm(C, axis=1) * np.linalg.norm(a), 1e-12)
    return int(1 + np.sum(sims > sims[target]))


def csls_topk_pruned(A, B, C, k_neighbors: int = 10, topk: int = 10, probe: int = 256, chunk: int = 256,
                     batch_size: int = DEFAULT_BATCH):
    """CSLS top-k of a few query rows, exact, without the penalties of every candidate.

    The same scores as ``csls_topk(A, B, r_B=mean_topk_similarity(B, C))`` (Conneau et al. 2018, ICLR: ``C`` is
    the query side's vocabulary, ``A`` a few of its rows), but the penalty ``r_C(b)`` -- a product of ``B`` with
    the whole of ``C`` -- is computed only for the candidates that can still enter the top-k. The mean
    similarity of ``b`` to its ``k`` nearest among any subset of ``C`` is a lower bound of ``r_C(b)``, so
    ``2 a.b - bound - r_B(a)`` bounds the score from above; the subset is the ``probe`` rows of ``C`` nearest
    the query (the neighbourhood of its likely translations, where the bound is tight). Candidates are scored
    exactly in decreasing order of the bound until the bound falls below the k-th exact score. The float32
    operations are those of :func:`scan_topk`, and the bound stays an upper bound through their rounding
    (rounding is monotonic), so the result is the full computation's on unit rows of the
    :func:`core.normalize.grid_unit_rows` grid, whose products are exact.

    Parameters
    ----------
    A : ndarray (n_a, d)
        Query rows (few: the work is per row).
    B : ndarray (n_b, d)
        Candidates.
    C : ndarray (n_c, d)
        The rows that define the candidates' penalties.
    k_neighbors, topk : int
    probe : int
        Rows of ``C`` in the lower bound's subset.
    chunk : int
        Candidates scored exactly at a time.

    Returns
    -------
    values : float32 (n_a, topk), sorted descending
    indices : int64 (n_a, topk)
    """
    A, B = _comparable(A, B)
    C = _f32(C)
    CT = np.ascontiguousarray(C.T)          # once: every exact penalty reads it
    k = min(k_neighbors, len(C))
    topk = min(topk, len(B))
    vals = np.empty((len(A), topk), np.float32)
    idx = np.empty((len(A), topk), np.int64)
    for i, a in enumerate(A):
        cos = np.ascontiguousarray((B @ a)[None])       # (1, n_b), B read as it is
        r_a = csls_penalty(cos, min(k_neighbors, len(B)))[1].astype(np.float32)
        near = np.argpartition(-(C @ a), min(probe, len(C)) - 1)[:min(max(probe, k), len(C))]
        lower = _penalties(B, np.ascontiguousarray(C[near].T), k, batch_size)
        bound = retrieval_scores(cos.copy(), 2.0, lower, r_a)[0]
        order = np.argsort(-bound, kind="stable")
        cand, score = np.empty(0, np.int64), np.empty(0, np.float32)
        for start in range(0, len(B), chunk):
            if len(score) >= topk and bound[order[start]] < np.partition(score, len(score) - topk)[len(score) - topk]:
                break
            part = order[start:start + chunk]
            exact = retrieval_scores(cos[:, part], 2.0, _penalties(B[part], CT, k, batch_size), r_a)[0]
            cand, score = np.concatenate([cand, part]), np.concatenate([score, exact])
        best = np.lexsort((cand, -score))[:topk]      # ties: the lower index first
        vals[i], idx[i] = score[best], cand[best]
    return vals, idx


def _penalties(A, BT, k: int, batch_size: int) -> np.ndarray:
    """:func:`mean_topk_similarity` of ``A`` against ``B`` given transposed, sequentially (a few rows)."""
    out = np.empty(len(A), np.float64)
    for start, S in row_batches(A, BT, batch_size):
        out[start:start + len(S)] = csls_penalty(S, k)[1]
    return out.astype(np.float32)
