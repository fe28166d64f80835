"""Dictionary induction in the mapped space (the "expansion" step of self-learning).

Retrieval: nearest neighbour (``"nn"``), CSLS (``"csls"``; Conneau et al. 2018, ICLR) or inverted softmax
(``"isf"``; Smith, Turban, Hamblin & Hammerla 2017, ICLR); direction forward (every source word gets a
target), backward (every target word gets a source) or union of both (Artetxe et al. 2018, ACL); mutual
nearest neighbours only; a frequency cutoff; and stochastic dictionary induction (Artetxe et al. 2018,
ACL): the argmax is taken over a random subset of the candidates, each kept with probability
``keep_prob``.

Passes over the ``cutoff x cutoff`` similarities, in float32 row batches (threaded, see
:func:`core.similarity.map_row_batches`):

* CSLS: two passes. Each computes the r-term of its rows from the raw batch (exact top-k with block
  maxima, see :mod:`core.similarity`), then keeps a running column argmax of ``S - r_row / 2``, which
  is the CSLS match of every column -- the backward matches from the source pass, the forward ones
  from the target pass. VecMap needs four passes for union + CSLS.
* Plain NN: one pass (row argmax and running column argmax).
* Inverted softmax and the ``fast=False`` reference: three generic passes (source statistic, target
  rows with backward retrieval, source rows with forward retrieval).

Stochastic induction needs no random number per matrix entry. Default ("subset"): one random subset of
the columns (each kept with probability ``p``) per group of 16 rows, and the argmax inside it -- every
row's pick is distributed exactly as VecMap's dropout argmax, at the cost of one gather of a share ``p``
of the batch. Alternative ("geometric"): the argmax over a subset where each entry survives with
probability ``p`` is the ``g``-th best entry with ``g ~ Geometric(p)``, so each row's top ``m``
candidates suffice (``g`` clipped at ``m``; for p=0.1, m=64 a clip happens with probability
0.9^64 ~ 0.1%); exact and independent per entry, but the top-64 costs more than the product at d=50.
Either way the backward direction takes its own pass over the target rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ConfigError
from .similarity import (DEFAULT_BATCH, STOCHASTIC_CANDIDATES, STOCHASTIC_METHODS, SUBSET_GROUP, argmax_pass,
                         csls_penalty, isf_log_normaliser, retrieval_scores, row_argmax, row_batches)

RETRIEVALS = ("nn", "csls", "isf")
DIRECTIONS = ("forward", "backward", "union")
__all__ = ["InducedDictionary", "induce_dictionary", "resolve_cutoff", "RETRIEVALS", "DIRECTIONS",
           "STOCHASTIC_CANDIDATES", "STOCHASTIC_METHODS", "SUBSET_GROUP"]


@dataclass(frozen=True, eq=False)
class InducedDictionary:
    """An induced dictionary (index pairs into the two vocabularies).

    Attributes
    ----------
    src, tgt : int64 arrays
        Pairs ``(src[i], tgt[i])``. A union dictionary keeps a pair found in both directions twice,
        as VecMap does (it then weighs double in the next mapping).
    scores : float32 array
        Retrieval score of each pair (cosine for NN, CSLS score, or ISF log-probability).
    objective : float
        VecMap's objective: mean best plain cosine of the forward (and, for union/mutual, the average
        with the backward) direction -- measured before any stochastic dropout.
    mutual_ratio : float
        Share of the cutoff's source words whose forward match is also a backward match (nan when only
        one direction was computed).
    forward : int64 array or None
        The forward match of every source word within the cutoff (for churn statistics).
    r_tgt : float32 array or None
        CSLS's penalty of every target word within the cutoff (its mean cosine to its ``k`` nearest
        source words within the cutoff), from deterministic or stochastic CSLS induction's own pass
        (None for the other retrievals); the per-iteration log reuses it.
    """

    src: np.ndarray
    tgt: np.ndarray
    scores: np.ndarray
    objective: float
    mutual_ratio: float = float("nan")
    forward: np.ndarray | None = None
    r_tgt: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.src)

    @property
    def n_unique(self) -> int:
        """Number of distinct pairs."""
        if len(self.src) == 0:
            return 0
        return len(np.unique(self.src.astype(np.int64) * (int(self.tgt.max()) + 1) + self.tgt))

    def pairs(self) -> np.ndarray:
        """int64 (k, 2) array of the pairs."""
        return np.stack([self.src, self.tgt], axis=1).astype(np.int64)


def resolve_cutoff(cutoff, n_src: int, n_tgt: int) -> tuple[int, int]:
    """The number of source and target words taking part.

    ``cutoff`` None or 0 means all words. A language with fewer words than the cutoff takes part
    entirely (VecMap); a cutoff above both vocabularies, or negative, is an impossible request.
    """
    if cutoff is None or cutoff == 0:
        return n_src, n_tgt
    cutoff = int(cutoff)
    if cutoff < 0:
        raise ConfigError(f"the frequency cutoff must be positive (got {cutoff}); use 0 for all words")
    if cutoff > max(n_src, n_tgt):
        raise ConfigError(f"frequency cutoff {cutoff} is larger than both vocabularies ({n_src} and "
                          f"{n_tgt} words); use a cutoff of at most {max(n_src, n_tgt)}, or 0 for all")
    return min(cutoff, n_src), min(cutoff, n_tgt)


def _scan(A, BT, *, stat, k, beta, retrieve, scale, col_offset, m, keep_prob, rng, batch_size, stochastic):
    """One sequential pass over the rows of ``A`` against ``BT`` (B transposed).

    Returns best plain similarity per row, the row statistic (the CSLS penalty "topk", the inverted-softmax
    normaliser "lse", or None), and the retrieved column (argmax of ``scale * S - col_offset`` over a
    random subset, drawn as ``stochastic`` says, see :func:`core.similarity.row_argmax`) with its score.
    """
    n = len(A)
    best = np.empty(n, np.float32)
    rstat = np.empty(n, np.float64) if stat else None
    ridx = np.empty(n, np.int64) if retrieve else None
    rval = np.empty(n, np.float32) if retrieve else None
    for i, S in row_batches(A, BT, batch_size):
        j = i + len(S)
        if stat == "topk":
            best[i:j], rstat[i:j] = csls_penalty(S, k)
        else:
            best[i:j] = S.max(axis=1)
            if stat == "lse":
                rstat[i:j] = isf_log_normaliser(S, beta)
        if retrieve:
            ridx[i:j], rval[i:j] = row_argmax(retrieval_scores(S, scale, col_offset), keep_prob, rng, stochastic, m)
    return best, rstat, ridx, rval


def _nn_pass(X, Z, *, fwd_needed, bwd_needed, keep_prob, rng, batch_size, stochastic):
    """Plain NN: forward argmax by rows and backward argmax by a running column maximum (one pass);
    stochastic backward retrieval takes its own pass over the target rows."""
    deterministic = keep_prob >= 1.0
    kw = dict(keep_prob=keep_prob, rng=rng, batch_size=batch_size, stochastic=stochastic)
    src_best, _, cols, fwd = argmax_pass(X, Z, retrieve=fwd_needed, col_argmax=deterministic, **kw)
    fwd, fwd_val = fwd or (None, None)
    if deterministic:
        tgt_best, bwd = cols
        return src_best, tgt_best, fwd, fwd_val, bwd, tgt_best.copy(), None
    tgt_best, _, _, bwd = argmax_pass(Z, X, retrieve=bwd_needed, **kw)
    bwd, bwd_val = bwd or (None, None)
    return src_best, tgt_best, fwd, fwd_val, bwd, bwd_val, None


def _csls_pass(X, Z, *, k, fwd_needed, bwd_needed, keep_prob, rng, batch_size, stochastic):
    """CSLS induction, ``CSLS(x, z) = 2 x.z - r_src(x) - r_tgt(z)``, in two passes.

    Pass 1 (source rows) gives ``r_src`` and, as a running column argmax of ``S - r_src / 2``, the
    backward match of every target word; pass 2 (target rows) gives ``r_tgt`` and, the same way, the
    forward match of every source word. Nothing is subtracted per column, and no pass needs the
    other's result. Stochastic induction cannot take a column maximum over random subsets, so it picks
    by rows: the backward picks in pass 2 (``r_src`` is known by then) and the forward picks in a
    third pass with the augmented product ``[2x, -r_src, 1] . [z, 1, -r_tgt]`` (the CSLS matrix itself).
    """
    ns, nt = len(X), len(Z)
    kk = min(k, ns, nt)
    kw = dict(keep_prob=keep_prob, rng=rng, batch_size=batch_size, stochastic=stochastic)
    if keep_prob >= 1.0:
        src_best, r_src, bwd_cols, _ = argmax_pass(X, Z, csls_k=kk, col_argmax=bwd_needed, **kw)
        tgt_best, r_tgt, fwd_cols, _ = argmax_pass(Z, X, csls_k=kk, col_argmax=fwd_needed, **kw)
        fwd = fwd_val = bwd = bwd_val = None
        if fwd_cols is not None:
            fwd, fwd_val = fwd_cols[1], (2 * fwd_cols[0] - r_src).astype(np.float32)
        if bwd_cols is not None:
            bwd, bwd_val = bwd_cols[1], (2 * bwd_cols[0] - r_tgt).astype(np.float32)
        return src_best, tgt_best, fwd, fwd_val, bwd, bwd_val, r_tgt
    src_best, r_src, _, _ = argmax_pass(X, Z, csls_k=kk, **kw)
    half_src = (r_src / 2).astype(np.float32) if bwd_needed else None
    tgt_best, r_tgt, _, picks = argmax_pass(Z, X, csls_k=kk, retrieve=bwd_needed, col_offset=half_src, **kw)
    bwd, bwd_val = picks or (None, None)
    fwd = fwd_val = None
    if fwd_needed:
        rs = r_src[:, None].astype(np.float32)
        rt = r_tgt[:, None].astype(np.float32)
        Xa = np.hstack([2 * X, -rs, np.ones_like(rs)])
        Za = np.hstack([Z, np.ones_like(rt), -rt])
        _, _, _, (fwd, fwd_val) = argmax_pass(Xa, Za, retrieve=True, **kw)
    return src_best, tgt_best, fwd, fwd_val, bwd, bwd_val, r_tgt


def _three_pass(X, Z, *, retrieval, stat, fwd_needed, bwd_needed, common):
    """Generic induction in three passes (any retrieval, including the inverted softmax)."""
    XT, ZT = np.ascontiguousarray(X.T), np.ascontiguousarray(Z.T)
    # A: source-side statistic, only needed by backward retrieval with CSLS/ISF.
    src_stat = src_best = None
    if bwd_needed and stat is not None:
        src_best, src_stat, _, _ = _scan(X, ZT, stat=stat, retrieve=False, col_offset=None, **common)
    # B: target rows -- target statistic, backward objective, backward retrieval.
    tgt_stat = tgt_best = bwd = bwd_val = None
    if bwd_needed or stat is not None:
        col_off_b = None if src_stat is None else src_stat.astype(np.float32)
        tgt_best, tgt_stat, bwd, bwd_val = _scan(Z, XT, stat=stat if (fwd_needed or retrieval == "csls") else None,
                                                 retrieve=bwd_needed, col_offset=col_off_b, **common)
    # C: forward retrieval (and the forward objective when A did not run).
    fwd = fwd_val = None
    if fwd_needed:
        col_off_c = None if tgt_stat is None else tgt_stat.astype(np.float32)
        stat_c = stat if (src_stat is None and retrieval == "csls") else None
        best_c, stat_c, fwd, fwd_val = _scan(X, ZT, stat=stat_c, retrieve=True, col_offset=col_off_c,
                                             **common)
        if src_best is None:
            src_best = best_c
        if src_stat is None:
            src_stat = stat_c
    # Full scores: CSLS subtracts the row's own r-term too (does not change the argmax).
    if retrieval == "csls":
        if fwd is not None and src_stat is not None:
            fwd_val = (fwd_val - src_stat).astype(np.float32)
        if bwd is not None and tgt_stat is not None:
            bwd_val = (bwd_val - tgt_stat).astype(np.float32)

    return src_best, tgt_best, fwd, fwd_val, bwd, bwd_val


def induce_dictionary(Xm, Zm, retrieval: str = "csls", k: int = 10, direction: str = "union",
                      cutoff: int | None = 20000, mutual: bool = False, keep_prob: float = 1.0,
                      random_state=None, batch_size: int = DEFAULT_BATCH,
                      inv_temperature: float = 30.0, fast: bool = True,
                      stochastic: str = "subset") -> InducedDictionary:
    """Induce a dictionary from mapped embeddings (Artetxe, Labaka & Agirre 2018, ACL; Conneau et al.
    2018, ICLR; Smith et al. 2017, ICLR).

    Parameters
    ----------
    Xm, Zm : array_like (n_src, r), (n_tgt, r)
        Mapped source and target vectors, unit rows, frequency order.
    retrieval : {"nn", "csls", "isf"}
    k : int
        CSLS neighbourhood size.
    direction : {"forward", "backward", "union"}
    cutoff : int or None
        Only the ``cutoff`` most frequent words of each language take part (0/None: all).
    mutual : bool
        Keep only mutual matches (forward and backward agree); overrides ``direction``.
    keep_prob : float in (0, 1]
        Stochastic dictionary induction: each candidate survives with this probability.
    random_state : int, np.random.Generator or None
    batch_size : int
    inv_temperature : float
        Inverse temperature of the inverted softmax.
    fast : bool
        Use the augmented-product path for NN/CSLS (False: the generic three-pass reference).
    stochastic : {"subset", "geometric"}
        How the random subset is realised (NN/CSLS fast path): "subset" draws one random column subset
        per group of 16 rows and takes the argmax inside it (exact for every row, rows of a group share
        the draw; costs one gather); "geometric" picks the g-th best of each row's top 64,
        g ~ Geometric(keep_prob) (independent entries, but the top-64 costs more than the product at
        d=50).

    Returns
    -------
    InducedDictionary
    """
    if retrieval not in RETRIEVALS:
        raise ConfigError(f"unknown retrieval '{retrieval}'; use one of {', '.join(RETRIEVALS)}")
    if direction not in DIRECTIONS:
        raise ConfigError(f"unknown direction '{direction}'; use one of {', '.join(DIRECTIONS)}")
    if not 0.0 < keep_prob <= 1.0:
        raise ConfigError(f"keep_prob must be in (0, 1], got {keep_prob}")
    if stochastic not in STOCHASTIC_METHODS:
        raise ConfigError(f"unknown stochastic method '{stochastic}'; use subset or geometric")
    if retrieval == "csls" and k < 1:
        raise ConfigError(f"CSLS needs k >= 1 neighbours (got {k})")
    Xm = np.ascontiguousarray(Xm, dtype=np.float32)
    Zm = np.ascontiguousarray(Zm, dtype=np.float32)
    if Xm.shape[1] != Zm.shape[1]:
        raise ConfigError(f"mapped spaces differ in dimension ({Xm.shape[1]} vs {Zm.shape[1]})")
    ns, nt = resolve_cutoff(cutoff, len(Xm), len(Zm))
    X, Z = Xm[:ns], Zm[:nt]
    rng = np.random.default_rng(random_state)
    fwd_needed = mutual or direction in ("forward", "union")
    bwd_needed = mutual or direction in ("backward", "union")
    stat = {"nn": None, "csls": "topk", "isf": "lse"}[retrieval]
    scale = {"nn": 1.0, "csls": 2.0, "isf": inv_temperature}[retrieval]
    common = dict(k=min(k, max(ns, nt)), beta=inv_temperature, scale=scale, m=STOCHASTIC_CANDIDATES,
                  keep_prob=keep_prob, rng=rng, batch_size=batch_size, stochastic=stochastic)

    if retrieval in ("nn", "csls") and fast:
        fast_pass = _csls_pass if retrieval == "csls" else _nn_pass
        kw = dict(k=k) if retrieval == "csls" else {}
        src_best, tgt_best, fwd, fwd_val, bwd, bwd_val, r_tgt = fast_pass(
            X, Z, fwd_needed=fwd_needed, bwd_needed=bwd_needed, keep_prob=keep_prob, rng=rng,
            batch_size=batch_size, stochastic=stochastic, **kw)
    else:
        r_tgt = None
        src_best, tgt_best, fwd, fwd_val, bwd, bwd_val = _three_pass(
            X, Z, retrieval=retrieval, stat=stat, fwd_needed=fwd_needed, bwd_needed=bwd_needed,
            common=common)

    mutual_ratio = float("nan")
    if fwd is not None and bwd is not None:
        mutual_ratio = float(np.mean(bwd[fwd] == np.arange(ns)))
    if mutual:
        keep = bwd[fwd] == np.arange(ns)
        src = np.flatnonzero(keep)
        tgt, scores = fwd[keep], fwd_val[keep]
    elif direction == "forward":
        src, tgt, scores = np.arange(ns), fwd, fwd_val
    elif direction == "backward":
        src, tgt, scores = bwd, np.arange(nt), bwd_val
    else:
        src = np.concatenate([np.arange(ns), bwd])
        tgt = np.concatenate([fwd, np.arange(nt)])
        scores = np.concatenate([fwd_val, bwd_val])
    if direction == "forward" and not mutual:
        objective = float(np.mean(src_best, dtype=np.float64))
    elif direction == "backward" and not mutual:
        objective = float(np.mean(tgt_best, dtype=np.float64))
    else:
        objective = float((np.mean(src_best, dtype=np.float64) + np.mean(tgt_best, dtype=np.float64)) / 2)
    return InducedDictionary(np.asarray(src, np.int64), np.asarray(tgt, np.int64),
                             np.asarray(scores, np.float32), objective, mutual_ratio,
                             None if fwd is None else fwd.astype(np.int64),
                             None if r_tgt is None else r_tgt.astype(np.float32))
