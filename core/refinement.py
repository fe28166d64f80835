"""Contrastive refinement of a linear mapping (Li, Liu, Vulić & Korhonen 2022, ACL, "Improving Word Translation
via Two-Stage Contrastive Learning", stage C1), in NumPy.

Starting from any mapping the engine has learned (supervised, semi-supervised, or the result of an unsupervised
run), both linear maps ``Wx`` and ``Wz`` are refined by minibatch gradient steps (Adam, Kingma & Ba 2015, ICLR;
or plain SGD with a clipped gradient norm, as C1) on an InfoNCE loss (van den Oord, Li & Vinyals 2018): each
dictionary pair ``(x, z)`` is pulled together against ``n_negatives`` hard negative targets of ``x`` and hard
negative sources of ``z``, its nearest *wrong* neighbours by CSLS (Conneau et al. 2018, ICLR) among the most
frequent words. Training alternates with dictionary augmentation, C1's self-learning: before every round, the
current mapping induces a CSLS dictionary among the ``cutoff`` most frequent words, and its ``n_augment``
most confident pairs whose words the trusted seed does not cover join the positives.

Model selection, without gold (``core.selection``): identically spelled words (at least ``HELD_OUT_WORDS``, in
whole folds of :func:`core.selection.identical_folds`; :func:`held_out_words`) are held out of everything the
refinement trains on, and the refinement starts from the start mapping refitted without them; every round is
scored by the CSLS share of those held-out words that find their twin (:func:`core.selection.identical_strings_criterion`), and so is the
refitted start. A round is kept only when it scores strictly higher than the start; otherwise the start
mapping itself is kept, so a refinement never ends below the mapping it started from by that criterion.
Languages sharing too few identical strings are judged by MUSE's mean CSLS cosine instead (which a contrastive
refinement lowers as it pushes negatives apart, so there the start is usually kept).

A second method, classification-based self-learning (Karan et al. 2020; :func:`classifier_refinement`), was
compared on the dev splits and lost (``bench/tuning.md#refinement``); it stays here for that comparison.

Nothing builds an ``n x n`` matrix: hard negatives and augmentation use the batched scans of
:mod:`core.similarity` and :mod:`core.induction`, on unit rows rounded to the grid of
:func:`core.normalize.grid_unit_rows` (so the chosen negatives and pairs are the same on every machine); the
gradient is computed in float64, once per distinct row of a minibatch. Every random draw comes from
``numpy.random.default_rng([random_state, round])``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import sparse

from .errors import ConfigError
from .induction import induce_dictionary
from .mapping import Mapping
from .normalize import grid_unit_rows, unit_length
from .similarity import (DEFAULT_BATCH, csls_of_pairs, mean_topk_similarity, mean_topk_similarity_both,
                         scan_topk)

OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class RefinementConfig:
    """Settings of :func:`contrastive_refinement` (defaults chosen on dev splits, ``bench/tuning.md``).

    Attributes
    ----------
    rounds : int
        Self-learning rounds: augment the dictionary, then ``steps`` gradient steps (C1: 2 with 5k pairs, 3
        with 1k).
    steps : int
        Minibatch gradient steps per round.
    batch_size : int
        Dictionary pairs per minibatch.
    n_negatives : int
        Hard negatives per side and pair (C1: 150 with 5k pairs, 60 with 1k, among 60,000 words).
    negative_vocab : int
        The most frequent words of each side that hard negatives are drawn from.
    refresh : int
        Hard negatives are searched again every ``refresh`` steps (C1: every step).
    temperature : float
        InfoNCE temperature; the logits are cosines divided by it (C1: 1).
    optimizer : {"adam", "sgd"}
    lr : float
        Learning rate (Adam's step size, or SGD's rate).
    clip : float
        SGD only: the gradient is rescaled to at most this Frobenius norm (C1: 0.15).
    n_augment : int
        Induced pairs added per round (the most confident by CSLS score, C1's ``num_aug``).
    cutoff : int
        Most frequent words taking part in the augmentation's dictionary induction (C1: 20,000 / 60,000).
    csls_k : int
        CSLS neighbourhood.
    random_state : int
    """

    rounds: int = 2
    steps: int = 40
    batch_size: int = 512
    n_negatives: int = 32
    negative_vocab: int = 5000
    refresh: int = 10
    temperature: float = 0.1
    optimizer: str = "adam"
    lr: float = 5e-4
    clip: float = 0.15
    n_augment: int = 3000
    cutoff: int = 5000
    csls_k: int = 10
    random_state: int = 0

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer '{self.optimizer}'; use one of {', '.join(OPTIMIZERS)}")
        for name in ("rounds", "steps", "n_augment"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be zero or positive, got {getattr(self, name)}")
        for name in ("batch_size", "n_negatives", "negative_vocab", "refresh", "cutoff", "csls_k"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.temperature > 0 or not self.lr > 0 or not self.clip > 0:
            raise ConfigError("temperature, lr and clip must be positive")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, eq=False, kw_only=True)
class RefinementRound:
    """One round of :func:`contrastive_refinement`: the dictionary it trained on and the mapping it ended with.

    Round 0 is the start mapping (as refitted without the held-out words). ``losses`` holds the minibatch loss
    of every step; ``score`` the gold-free criterion of ``mapping``; ``seconds`` per phase ("augment",
    "negatives", "steps", "score").
    """

    round: int
    mapping: Mapping
    n_pairs: int
    n_augmented: int
    losses: tuple = ()
    score: float = float("nan")
    seconds: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        first = self.losses[0] if self.losses else None
        last = self.losses[-1] if self.losses else None
        return {"round": self.round, "pairs": self.n_pairs, "augmented": self.n_augmented,
                "loss_first": first, "loss_last": last, "score": None if np.isnan(self.score) else self.score,
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}


@dataclass(eq=False)
class Refinement:
    """The outcome of :func:`contrastive_refinement`: every round, the kept mapping and why."""

    start: Mapping
    rounds: list
    kept_round: int
    criterion: str
    reason: str
    config: RefinementConfig
    seconds: float = 0.0

    @property
    def mapping(self) -> Mapping:
        """The kept mapping: the start mapping itself when no round beat it."""
        return self.start if self.kept_round == 0 else self.rounds[self.kept_round].mapping

    def as_dict(self) -> dict:
        method = ("contrastive (Li et al. 2022, C1)" if isinstance(self.config, RefinementConfig)
                  else "classifier (Karan et al. 2020)")
        return {"method": method, "kept_round": self.kept_round,
                "criterion": self.criterion, "reason": self.reason, "seconds": round(self.seconds, 3),
                "config": self.config.to_dict(), "rounds": [r.as_dict() for r in self.rounds]}


# ------------------------------------------------------------------------------------------------ the loss


def _back_unit(g: np.ndarray, u: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Gradient through ``u = a / |a|``: ``(g - (u.g) u) / |a|``."""
    return (g - np.einsum("...j,...j->...", u, g)[..., None] * u) / n[..., None]


# Pairs of a minibatch per float64 block of gathered negatives: block x negatives x rank stays near 2M numbers
GRADIENT_BLOCK_ELEMENTS = 1 << 21


def info_nce_loss(Wx, Wz, A, B, An, Bn, temperature: float = 0.1, gradient: bool = True):
    """InfoNCE loss of C1 (Li et al. 2022, ACL, Eq. 1-2) for a minibatch of dictionary pairs, and its gradient.

    For the pair ``(a_i, b_i)`` with mapped unit rows ``u_i = a_i Wx / |a_i Wx|`` and ``v_i = b_i Wz / |.|``,
    the logits are the cosines divided by ``temperature`` of the positive ``u_i.v_i``, of ``u_i`` against
    the hard negative targets ``Bn[i]`` and of the hard negative sources ``An[i]`` against ``v_i``:

        L = 1/b sum_i [ -u_i.v_i / t + log( exp(u_i.v_i / t) + sum_n exp(u_i.v_n / t)
                                                             + sum_m exp(u_m.v_i / t) ) ].

    The gradient flows through the normalisation and through the negatives' rows too (they are mapped by the
    same ``Wx``, ``Wz``). This is :func:`info_nce_loss_indexed` with every negative row its own row.

    Parameters
    ----------
    Wx, Wz : array_like (d1, r), (d2, r)
    A, B : array_like (b, d1), (b, d2)
        Source and target rows of the pairs.
    An, Bn : array_like (b, k, d1), (b, k, d2)
        Hard negative source rows (for each target) and target rows (for each source).
    temperature : float
    gradient : bool

    Returns
    -------
    loss : float
    (gWx, gWz) : float64 arrays like ``Wx``, ``Wz`` (None when ``gradient`` is False)
    """
    b, k = np.shape(An)[0], np.shape(An)[1]
    index = np.arange(b * k).reshape(b, k)
    return info_nce_loss_indexed(Wx, Wz, A, B, np.reshape(An, (b * k, -1)), index, np.reshape(Bn, (b * k, -1)),
                                 index, temperature, gradient)


def info_nce_loss_indexed(Wx, Wz, A, B, Xn, neg_src, Zn, neg_tgt, temperature: float = 0.1,
                          gradient: bool = True):
    """:func:`info_nce_loss` with the negatives given once each: rows ``Xn``, ``Zn`` and, per pair, the
    indices ``neg_src``, ``neg_tgt`` (b, k) into them.

    Hard negatives come from a few thousand frequent words, so a minibatch's ``b x k`` negatives repeat rows:
    each distinct row is mapped, normalised and back-propagated once, and the gradients of its occurrences
    are summed first (the normalisation's backward step is linear in the gradient). Computed in float64; the
    gathered ``(block, k, r)`` arrays are bounded by ``GRADIENT_BLOCK_ELEMENTS``; every sum runs in a fixed
    order.

    Returns
    -------
    loss : float
    (gWx, gWz) : float64 arrays like ``Wx``, ``Wz`` (None when ``gradient`` is False)
    """
    Wx, Wz = np.asarray(Wx, np.float64), np.asarray(Wz, np.float64)
    A, B = np.asarray(A, np.float64), np.asarray(B, np.float64)
    Xn, Zn = np.asarray(Xn, np.float64), np.asarray(Zn, np.float64)
    neg_src, neg_tgt = np.asarray(neg_src, np.intp), np.asarray(neg_tgt, np.intp)
    b, k = neg_src.shape
    u, nu = unit_length(A @ Wx, dtype=None, return_norms=True)
    v, nv = unit_length(B @ Wz, dtype=None, return_norms=True)
    un, nun = unit_length(Xn @ Wx, dtype=None, return_norms=True)     # each distinct negative row once
    vn, nvn = unit_length(Zn @ Wz, dtype=None, return_norms=True)
    gu, gv = np.zeros_like(u), np.zeros_like(v)
    gun, gvn = np.zeros_like(un), np.zeros_like(vn)
    total = 0.0
    step = max(1, GRADIENT_BLOCK_ELEMENTS // max(1, k * u.shape[1]))
    for i in range(0, b, step):
        rows = slice(i, i + step)
        total += _info_nce_block(u[rows], v[rows], un, vn, neg_src[rows], neg_tgt[rows], temperature,
                                 (gu[rows], gv[rows], gun, gvn) if gradient else None)
    if not gradient:
        return total / b, None
    gWx = A.T @ _back_unit(gu, u, nu) + Xn.T @ _back_unit(gun, un, nun)
    gWz = B.T @ _back_unit(gv, v, nv) + Zn.T @ _back_unit(gvn, vn, nvn)
    return total / b, (gWx / b, gWz / b)


def _info_nce_block(u, v, un, vn, neg_src, neg_tgt, temperature, grads):
    """Summed loss of a block of pairs (unit rows ``u``, ``v``); adds the gradients with respect to the unit
    rows into ``grads = (gu, gv, gun, gvn)`` (block rows of ``gu``, ``gv``; every row of ``gun``, ``gvn``)."""
    vk, uk = vn[neg_tgt], un[neg_src]                                  # (block, k, r) gathered negatives
    pos = np.einsum("ij,ij->i", u, v)
    logits = np.concatenate([pos[:, None], np.matmul(vk, u[:, :, None])[..., 0],
                             np.matmul(uk, v[:, :, None])[..., 0]], axis=1) / temperature
    top = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - top)
    total = e.sum(axis=1)
    loss = float(np.sum(np.log(total) + top[:, 0] - logits[:, 0]))
    if grads is None:
        return loss
    gu, gv, gun, gvn = grads
    k = neg_src.shape[1]
    d = e / total[:, None]
    d[:, 0] -= 1.0
    d /= temperature
    g_pos, g_tn, g_sn = d[:, 0], d[:, 1:k + 1], d[:, k + 1:]
    gu += g_pos[:, None] * v + np.matmul(g_tn[:, None, :], vk)[:, 0]
    gv += g_pos[:, None] * u + np.matmul(g_sn[:, None, :], uk)[:, 0]
    gvn += _occurrences(g_tn, neg_tgt, len(gvn)) @ u     # a negative's occurrences summed, in a fixed order
    gun += _occurrences(g_sn, neg_src, len(gun)) @ v
    return loss


def _occurrences(weights, index, n_rows):
    """Sparse ``(n_rows, block)`` matrix whose row ``j`` holds the weights of the pairs where ``j`` occurs."""
    cols = np.repeat(np.arange(index.shape[0]), index.shape[1])
    return sparse.csr_matrix((weights.ravel(), (index.ravel(), cols)), shape=(n_rows, index.shape[0]))


# ------------------------------------------------------------------------------------------------ optimisers


@dataclass
class AdamState:
    """Moments of Adam (Kingma & Ba 2015, ICLR) for the two maps, float64."""

    m: list
    v: list
    t: int = 0


def adam_step(params: list, grads: list, state: AdamState, lr: float, beta1: float = 0.9,
              beta2: float = 0.999, eps: float = 1e-8) -> list:
    """One Adam update of every array in ``params``; returns the new arrays (``state`` is updated)."""
    state.t += 1
    c1, c2 = 1 - beta1 ** state.t, 1 - beta2 ** state.t
    out = []
    for i, (p, g) in enumerate(zip(params, grads)):
        state.m[i] = beta1 * state.m[i] + (1 - beta1) * g
        state.v[i] = beta2 * state.v[i] + (1 - beta2) * g * g
        out.append(p - lr * (state.m[i] / c1) / (np.sqrt(state.v[i] / c2) + eps))
    return out


def sgd_step(params: list, grads: list, lr: float, clip: float) -> list:
    """One SGD update with the gradient rescaled to Frobenius norm at most ``clip`` (C1's recipe)."""
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    scale = min(1.0, clip / norm) if norm > 0 else 1.0
    return [p - lr * scale * g for p, g in zip(params, grads)]


# ------------------------------------------------------------------------------------------------ hard negatives


def _mapped(X, W) -> np.ndarray:
    return grid_unit_rows(np.asarray(X, np.float64) @ W)


def hard_negatives(X, Z, Wx, Wz, pairs: np.ndarray, k: int, vocab: int, csls_k: int = 10,
                   batch_size: int = DEFAULT_BATCH, rows=None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest wrong neighbours by CSLS of every pair's words (C1's hard negatives).

    For the pair ``(s, t)``: the targets among the ``vocab`` most frequent whose CSLS score against the mapped
    ``s`` is highest, leaving out every target that ``pairs`` gives ``s`` as a translation; and the same for
    the sources of ``t``. Scans in row batches on grid unit rows (no ``n x n`` matrix), whose products are
    exact, so a pair's negatives do not depend on which other pairs are searched with it.

    Parameters
    ----------
    rows : int array or None
        Search only these pairs (the minibatches until the next search); the other rows are -1. None: all.

    Returns
    -------
    neg_tgt, neg_src : int64 (n_pairs, k)
        Target rows (hard negatives of each source) and source rows (of each target).
    """
    ns, nt = min(vocab, len(X)), min(vocab, len(Z))
    Xv, Zv = _mapped(X[:ns], Wx), _mapped(Z[:nt], Wz)
    r_src, r_tgt = mean_topk_similarity_both(Xv, Zv, csls_k, batch_size)   # among the negative vocabularies
    keys = np.unique(pairs[:, 0] * len(Z) + pairs[:, 1])
    rows = np.arange(len(pairs)) if rows is None else np.asarray(rows, np.intp)
    out = []
    for side, (E, W, C, r_c) in enumerate(((X, Wx, Zv, r_tgt), (Z, Wz, Xv, r_src))):
        # room for every translation a word has in the whole dictionary, searched or not
        room = int(np.unique(pairs[:, side], return_counts=True)[1].max())
        neg = np.full((len(pairs), k), -1, np.int64)
        neg[rows] = _wrong_neighbours(E, W, C, r_c, pairs[rows, side], k + room, k, keys, len(Z), side == 0,
                                      batch_size)
        out.append(neg)
    return out[0], out[1]


def _wrong_neighbours(E, W, C, r_c, words, m, k, keys, n_tgt, src_side, batch):
    """Top-``k`` CSLS candidates in ``C`` of every word's mapped row ``E[word] @ W`` that are not a dictionary
    pair of that word, among its ``m`` best (rows of ``words``, each distinct word searched once)."""
    distinct, at = np.unique(words, return_inverse=True)
    _, cand = scan_topk(_mapped(E[distinct], W), C, min(m, len(C)), scale=2.0, col_offset=r_c, batch_size=batch)
    key = distinct[:, None] * n_tgt + cand if src_side else cand * n_tgt + distinct[:, None]
    gold = np.isin(key, keys)
    order = np.argsort(gold, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(cand, order, axis=1)[at.ravel()]


# ------------------------------------------------------------------------------------------------ rounds


def augment(X, Z, Wx, Wz, seed: np.ndarray, exclude_src, exclude_tgt, n: int, cutoff: int, csls_k: int = 10,
            batch_size: int = DEFAULT_BATCH) -> np.ndarray:
    """C1's dictionary augmentation: the ``n`` most confident pairs of a CSLS union induction among the
    ``cutoff`` most frequent words, leaving out words the seed covers and the excluded (held-out) words.

    Returns
    -------
    int64 (m, 2), m <= n
    """
    if n == 0:
        return np.zeros((0, 2), np.int64)
    ns, nt = min(cutoff, len(X)), min(cutoff, len(Z))
    D = induce_dictionary(_mapped(X[:ns], Wx), _mapped(Z[:nt], Wz), retrieval="csls", k=csls_k,
                          direction="union", cutoff=0, batch_size=batch_size)
    bad_src = np.union1d(seed[:, 0], np.asarray(exclude_src, np.int64))
    bad_tgt = np.union1d(seed[:, 1], np.asarray(exclude_tgt, np.int64))
    ok = ~(np.isin(D.src, bad_src) | np.isin(D.tgt, bad_tgt))
    src, tgt, score = D.src[ok], D.tgt[ok], D.scores[ok]
    pairs, first = np.unique(np.stack([src, tgt], axis=1), axis=0, return_index=True)
    order = np.lexsort((pairs[:, 1], pairs[:, 0], -score[first]))   # best score first, ties by index
    return pairs[order[:n]]


def train_round(X, Z, Wx, Wz, pairs: np.ndarray, config: RefinementConfig, rng: np.random.Generator,
                opt: AdamState | None = None, callback=None):
    """``config.steps`` minibatch steps on the InfoNCE loss of ``pairs``, hard negatives searched again every
    ``config.refresh`` steps. Returns the new ``(Wx, Wz)``, the loss of every step and the seconds spent
    searching negatives and stepping."""
    cfg = config
    losses, t_neg, t_step = [], 0.0, 0.0
    order = rng.permutation(len(pairs))
    pos = 0
    if opt is None and cfg.optimizer == "adam":
        opt = AdamState([np.zeros_like(Wx), np.zeros_like(Wz)], [np.zeros_like(Wx), np.zeros_like(Wz)])
    for step in range(cfg.steps):
        if step % cfg.refresh == 0:
            t0 = time.perf_counter()
            upcoming = []            # the minibatches until the next search: only their pairs need negatives
            for _ in range(min(cfg.refresh, cfg.steps - step)):
                if pos + cfg.batch_size > len(order):
                    order, pos = rng.permutation(len(pairs)), 0
                upcoming.append(order[pos:pos + cfg.batch_size])
                pos += cfg.batch_size
            neg_tgt, neg_src = hard_negatives(X, Z, Wx, Wz, pairs, cfg.n_negatives, cfg.negative_vocab,
                                              cfg.csls_k, rows=np.unique(np.concatenate(upcoming)))
            t_neg += time.perf_counter() - t0
        t0 = time.perf_counter()
        batch = upcoming[step % cfg.refresh]
        p = pairs[batch]
        src_rows, src_at = np.unique(neg_src[batch], return_inverse=True)
        tgt_rows, tgt_at = np.unique(neg_tgt[batch], return_inverse=True)
        loss, (gx, gz) = info_nce_loss_indexed(Wx, Wz, X[p[:, 0]], Z[p[:, 1]], X[src_rows],
                                               src_at.reshape(len(batch), -1), Z[tgt_rows],
                                               tgt_at.reshape(len(batch), -1), cfg.temperature)
        if cfg.optimizer == "adam":
            Wx, Wz = adam_step([Wx, Wz], [gx, gz], opt, cfg.lr)
        else:
            Wx, Wz = sgd_step([Wx, Wz], [gx, gz], cfg.lr, cfg.clip)
        losses.append(loss)
        t_step += time.perf_counter() - t0
        if callback is not None:
            callback(step + 1, loss)
    return Wx, Wz, losses, {"negatives": t_neg, "steps": t_step}


def contrastive_refinement(X, Z, start: Mapping, seed_pairs, config: RefinementConfig | None = None,
                           score=None, exclude_src=(), exclude_tgt=(), callback=None,
                           ceiling: float | None = None) -> Refinement:
    """Refine a mapping contrastively, alternating with dictionary augmentation (Li et al. 2022, ACL, C1).

    Parameters
    ----------
    X, Z : array_like (n_src, d1), (n_tgt, d2)
        Normalised source and target spaces, frequency order.
    start : Mapping
        The mapping to start from (any method; both of its maps are refined).
    seed_pairs : int array (k, 2)
        Trusted dictionary pairs (source row, target row), positives in every round; may be empty (an
        unsupervised start: the positives are the augmented pairs alone).
    config : RefinementConfig
    score : callable(Mapping) -> float, or None
        Gold-free criterion of a mapping (higher is better), computed for the start and every round; the best
        round is kept only when strictly better than the start. None: the last round is kept.
    exclude_src, exclude_tgt : int arrays
        Words never used as positives (the held-out words the criterion scores).
    callback : callable(RefinementRound) or None
        Called after the start and after every round.
    ceiling : float or None
        The criterion's highest possible score. A start that reaches it cannot be beaten (a round is kept only
        when strictly better), so no round is run: the outcome is the one the rounds would have led to.

    Returns
    -------
    Refinement
    """
    cfg = config or RefinementConfig()
    t_start = time.perf_counter()
    X = np.ascontiguousarray(X, np.float32)
    Z = np.ascontiguousarray(Z, np.float32)
    seed = np.asarray(seed_pairs, np.int64).reshape(-1, 2)
    if len(seed):
        drop = np.isin(seed[:, 0], np.asarray(exclude_src, np.int64)) | np.isin(seed[:, 1],
                                                                              np.asarray(exclude_tgt, np.int64))
        seed = np.unique(seed[~drop], axis=0)
    Wx, Wz = np.asarray(start.Wx, np.float64), np.asarray(start.Wz, np.float64)
    t0 = time.perf_counter()
    s0 = float(score(start)) if score is not None else float("nan")
    first = RefinementRound(round=0, mapping=start, n_pairs=len(seed), n_augmented=0, score=s0,
                            seconds={"score": time.perf_counter() - t0})
    rounds = [first]
    if callback is not None:
        callback(first)
    if ceiling is not None and s0 >= ceiling:
        return Refinement(start, rounds, 0, "given", f"kept the start mapping: it scores the criterion's maximum "
                          f"({s0:.4f}), so no round could score above it and none was run", cfg,
                          time.perf_counter() - t_start)
    opt = None
    for t in range(1, cfg.rounds + 1):
        rng = np.random.default_rng([cfg.random_state, t])
        t0 = time.perf_counter()
        aug = augment(X, Z, Wx, Wz, seed, exclude_src, exclude_tgt, cfg.n_augment, cfg.cutoff, cfg.csls_k)
        pairs = np.concatenate([seed, aug]) if len(aug) else seed
        t_aug = time.perf_counter() - t0
        if len(pairs) < 2:
            raise ConfigError("the contrastive refinement found fewer than 2 dictionary pairs to train on")
        if cfg.optimizer == "adam" and opt is None:
            opt = AdamState([np.zeros_like(Wx), np.zeros_like(Wz)], [np.zeros_like(Wx), np.zeros_like(Wz)])
        Wx, Wz, losses, secs = train_round(X, Z, Wx, Wz, pairs, cfg, rng, opt)
        mapping = Mapping(Wx, Wz, "contrastive", {"round": t, "pairs": int(len(pairs))})
        t0 = time.perf_counter()
        s = float(score(mapping)) if score is not None else float("nan")
        rec = RefinementRound(round=t, mapping=mapping, n_pairs=len(pairs), n_augmented=len(aug),
                              losses=tuple(losses), score=s,
                              seconds={"augment": t_aug, **secs, "score": time.perf_counter() - t0})
        rounds.append(rec)
        if callback is not None:
            callback(rec)
    kept, reason = _keep(rounds, score is not None)
    return Refinement(start, rounds, kept, "given" if score is not None else "none", reason, cfg,
                      time.perf_counter() - t_start)


def kept_round(scores, margin: float = 0.0) -> int:
    """Index of the round to keep from the criterion's scores (index 0: the start): the best round that beats
    the start by more than ``margin`` (0: strictly better), else the start. ``bench.tune_refinement`` replays
    this rule with margins on recorded scores."""
    best = 0
    for i in range(1, len(scores)):
        if scores[i] > (scores[0] + margin if best == 0 else scores[best]):
            best = i
    return best


def _keep(rounds: list, scored: bool) -> tuple[int, str]:
    """The round to keep (:func:`kept_round`) and why."""
    if not scored:
        return len(rounds) - 1, "no criterion: the last round"
    best = kept_round([r.score for r in rounds])
    if best == 0:
        return 0, (f"kept the start mapping: no refinement round scored above it ({rounds[0].score:.4f}; rounds "
                   + ", ".join(f"{r.score:.4f}" for r in rounds[1:]) + ")")
    return best, f"kept round {best}: {rounds[best].score:.4f} against the start mapping's {rounds[0].score:.4f}"


# ------------------------------------------------------------------------------------------------ the engine


def _start_dictionary(run):
    """The dictionary and method of the mapping a finished run keeps (selection, else its final mapping)."""
    cfg = run.config
    if run.selection is not None:
        kept = run.selection.kept
        rec = run.history[kept.iteration]
        if kept.kind == "final":
            return rec.src_idx, rec.tgt_idx, cfg.final_mapping, cfg.final_kwargs()
        return rec.src_idx, rec.tgt_idx, cfg.mapping, {}
    rec = run.current
    return rec.src_idx, rec.tgt_idx, cfg.final_mapping, cfg.final_kwargs()


HELD_OUT_WORDS = 300


def held_out_words(run, target: int = HELD_OUT_WORDS) -> np.ndarray | None:
    """The identically spelled words (source row, target row) that judge a refinement: the fewest folds of
    :func:`core.selection.identical_folds` that hold at least ``target`` words (all five where the languages
    share fewer), so the criterion's standard error stays near 2.6 points at 30%; None when they share fewer
    than ``core.selection.MIN_HELD_OUT``. On the fi-fr dev split one fold (79 words) scored the start and a
    round that gained 7.7 dev points alike (22 of 79 words each); all 394 words separated them (24.1% / 27.4%).
    """
    from .selection import MIN_HELD_OUT, identical_folds

    folds = identical_folds(run)
    if sum(len(f) for f in folds) < MIN_HELD_OUT:
        return None
    held = []
    for f in folds:
        held.append(f)
        if sum(len(h) for h in held) >= target:
            break
    return np.concatenate(held)


def held_out_criterion(run, fold: np.ndarray | None, n_words: int | None = None):
    """The gold-free score of a mapping used to judge a refinement of ``run``.

    With a fold of identically spelled words (source row, target row): the share whose CSLS translation among
    the ``n_words`` most frequent targets is their twin (:func:`core.selection.identical_strings_criterion`).
    Without: MUSE's mean CSLS cosine (:func:`core.selection.mean_csls_criterion`) of the ``n_words`` most
    frequent words.
    """
    from .selection import N_WORDS, identical_strings_criterion, mean_csls_criterion

    cfg = run.config
    n = n_words or N_WORDS
    ns, nt = min(n, len(run.src)), min(n, len(run.tgt))

    def score(mapping: Mapping) -> float:
        Xm = mapping.transform_src(run.src.vectors[:ns], normalize=True)
        Zm = mapping.transform_tgt(run.tgt.vectors[:nt], normalize=True)
        if fold is None:
            return mean_csls_criterion(Xm, Zm, k=cfg.csls_k, batch_size=cfg.batch_size)
        r_tgt = mean_topk_similarity(Zm, Xm, cfg.csls_k, cfg.batch_size)
        Xq = mapping.transform_src(run.src.vectors[fold[:, 0]], normalize=True)
        return identical_strings_criterion(Xq, Zm, fold[:, 1], r_tgt=r_tgt, batch_size=cfg.batch_size)
    return score


def refine_run(run, config: RefinementConfig | None = None, trusted_seed: bool = True, callback=None) -> Refinement:
    """Refine the mapping a finished :class:`core.selflearning.SelfLearning` run keeps (after
    :meth:`~core.selflearning.SelfLearning.select` or :meth:`~core.selflearning.SelfLearning.finalize`), and
    keep the refinement only where the gold-free criterion says it is better.

    Identically spelled words are held out (:func:`held_out_words`: at least ``HELD_OUT_WORDS`` of them, in
    whole folds of :func:`core.selection.identical_folds`): the start mapping is refitted on its own dictionary
    without those words, the refinement starts from
    that refit and never trains on them, and both are scored on them (:func:`held_out_criterion`). When no
    round beats the refitted start, the run's own (full) mapping is kept; a start that already translates every
    held-out word to its twin cannot be beaten, so no round is run. With fewer than
    ``core.selection.MIN_HELD_OUT`` shared strings nothing is held out and MUSE's criterion decides.

    Parameters
    ----------
    run : core.selflearning.SelfLearning
    config : RefinementConfig
    trusted_seed : bool
        The run's seed pairs are a real dictionary (``--init dictionary`` or ``random``): they are positives
        in every round. Otherwise (identical strings, numerals, unsupervised) only augmented pairs are.
    callback : callable(RefinementRound) or None

    Returns
    -------
    Refinement
        Its ``mapping`` is also set as ``run.final`` and the whole result as ``run.refinement``.
    """
    if run.final is None:
        run.finalize()
    cfg = config or RefinementConfig()
    src_idx, tgt_idx, method, kw = _start_dictionary(run)
    src_idx, tgt_idx = np.asarray(src_idx), np.asarray(tgt_idx)
    fold = held_out_words(run)
    start = run.final
    if fold is not None:
        keep = ~(np.isin(src_idx, fold[:, 0]) | np.isin(tgt_idx, fold[:, 1]))
        start = run._fit(method, src_idx[keep], tgt_idx[keep], **kw)
    seed = run.seed_pairs if trusted_seed else np.zeros((0, 2), np.int64)
    result = contrastive_refinement(run.src.vectors, run.tgt.vectors, start, seed, cfg,
                                    score=held_out_criterion(run, fold),
                                    exclude_src=() if fold is None else fold[:, 0],
                                    exclude_tgt=() if fold is None else fold[:, 1], callback=callback,
                                    ceiling=None if fold is None else 1.0)   # a share of the held-out words
    result.criterion = ("identical strings held out (%d words)" % len(fold) if fold is not None
                        else "mean CSLS cosine (MUSE)")
    if result.kept_round == 0:
        result.start = run.final          # the run's own mapping, not the refit without the held-out words
    run.final = result.mapping
    run.refinement = result
    return result


# ------------------------------------------------------------------------------------------------ classification


@dataclass(frozen=True)
class ClassifierConfig:
    """Settings of :func:`classifier_refinement` (Karan, Vulić, Korhonen & Glavaš 2020).

    Attributes
    ----------
    rounds : int
        Classify, add the accepted pairs, refit the mapping.
    candidates : int
        CSLS candidates per source word (the pool classified, and the negatives of the seed words).
    cutoff : int
        Most frequent source and target words whose candidates are classified.
    threshold : float
        A candidate is accepted when its probability reaches it (the best candidate of its source word only).
    ridge : float
        L2 penalty of the logistic regression (standardised features).
    csls_k : int
    """

    rounds: int = 2
    candidates: int = 5
    cutoff: int = 5000
    threshold: float = 0.5
    ridge: float = 1.0
    csls_k: int = 10

    def to_dict(self) -> dict:
        return asdict(self)


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions) between two strings."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _bigrams(w: str) -> set:
    w = f"<{w}>"
    return {w[i:i + 2] for i in range(len(w) - 1)}


def pair_features(src_words, tgt_words, s, t, Xm, Zm, r_src, r_tgt, rank, mutual) -> np.ndarray:
    """ClassyMap-style features of candidate pairs (Karan et al. 2020): cosine and CSLS in the mapped space,
    the candidate's CSLS rank, mutual best match, log frequency ranks and their gap, normalised edit distance
    and character-bigram Dice overlap. float64 (n, 9)."""
    cos = np.einsum("ij,ij->i", Xm[s].astype(np.float64), Zm[t].astype(np.float64))
    ls, lt = np.log1p(s), np.log1p(t)
    edit = np.array([levenshtein(src_words[a], tgt_words[b]) / max(len(src_words[a]), len(tgt_words[b]), 1)
                     for a, b in zip(s, t)])
    dice = np.array([2 * len(_bigrams(src_words[a]) & _bigrams(tgt_words[b]))
                     / (len(_bigrams(src_words[a])) + len(_bigrams(tgt_words[b]))) for a, b in zip(s, t)])
    return np.stack([cos, csls_of_pairs(cos, r_src[s], r_tgt[t]), np.log1p(rank), mutual.astype(np.float64),
                     ls, lt, np.abs(ls - lt), edit, dice], axis=1)


def fit_logistic(F: np.ndarray, y: np.ndarray, ridge: float = 1.0, iterations: int = 25):
    """L2-regularised logistic regression by Newton's method on standardised features; returns
    ``(mean, scale, weights)`` for :func:`predict_logistic` and the final mean log-loss."""
    mu, sd = F.mean(axis=0), F.std(axis=0)
    sd[sd < 1e-12] = 1.0
    A = np.hstack([(F - mu) / sd, np.ones((len(F), 1))])
    w = np.zeros(A.shape[1])
    reg = ridge * np.eye(A.shape[1])
    reg[-1, -1] = 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(A @ w)))
        g = A.T @ (p - y) + reg @ w
        H = (A * (p * (1 - p))[:, None]).T @ A + reg + 1e-9 * np.eye(A.shape[1])
        w -= np.linalg.solve(H, g)
    p = np.clip(1 / (1 + np.exp(-(A @ w))), 1e-12, 1 - 1e-12)
    return (mu, sd, w), float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def predict_logistic(model, F: np.ndarray) -> np.ndarray:
    mu, sd, w = model
    return 1 / (1 + np.exp(-(np.hstack([(F - mu) / sd, np.ones((len(F), 1))]) @ w)))


def _candidates(run, mapping: Mapping, words: np.ndarray, cfg: ClassifierConfig):
    """CSLS candidates (among the cutoff targets) of source rows ``words``, with what the features need."""
    X, Z = run.src.vectors, run.tgt.vectors
    ns, nt = min(cfg.cutoff, len(X)), min(cfg.cutoff, len(Z))
    Xm = mapping.transform_src(X, normalize=True)
    Zm = mapping.transform_tgt(Z, normalize=True)
    r_src = mean_topk_similarity(Xm, Zm[:nt], cfg.csls_k).astype(np.float64)
    r_tgt = mean_topk_similarity(Zm, Xm[:ns], cfg.csls_k).astype(np.float64)
    _, cand = scan_topk(Xm[words], Zm[:nt], cfg.candidates, scale=2.0, col_offset=r_tgt[:nt])
    _, back = scan_topk(Zm[:nt], Xm[:ns], 1, scale=2.0, col_offset=r_src[:ns])
    return Xm, Zm, r_src, r_tgt, cand, back[:, 0]


def classifier_refinement(run, config: ClassifierConfig | None = None, random_state: int = 0,
                          callback=None) -> Refinement:
    """Classification-based self-learning (Karan, Vulić, Korhonen & Glavaš 2020, "Classification-Based
    Self-Learning for Weakly Supervised Bilingual Lexicon Induction", ACL), after a finished run.

    Each round, a logistic regression learns to tell the run's seed pairs from their other CSLS candidates by
    ClassyMap-style features (:func:`pair_features`); among the CSLS candidates of the ``cutoff`` most frequent
    source words the seed does not cover, each word's best candidate is accepted when its probability reaches
    ``threshold``; the run's final mapping (multi-step by default) is refitted on the seed plus the accepted
    pairs. The same held-out identical strings as :func:`refine_run` decide, and the start is kept unless a
    round scores strictly higher. ``random_state`` is unused (the method is deterministic) and accepted for a
    common signature.

    Returns
    -------
    Refinement
        Also set as ``run.refinement``; its ``mapping`` as ``run.final``.
    """
    if run.final is None:
        run.finalize()
    cfg = config or ClassifierConfig()
    t_start = time.perf_counter()
    src_idx, tgt_idx, method, kw = _start_dictionary(run)
    src_idx, tgt_idx = np.asarray(src_idx), np.asarray(tgt_idx)
    fold = held_out_words(run)
    start = run.final
    held_s = np.zeros(0, np.int64) if fold is None else fold[:, 0]
    held_t = np.zeros(0, np.int64) if fold is None else fold[:, 1]
    if fold is not None:
        keep = ~(np.isin(src_idx, held_s) | np.isin(tgt_idx, held_t))
        start = run._fit(method, src_idx[keep], tgt_idx[keep], **kw)
    score = held_out_criterion(run, fold)
    seed = run.seed_pairs[~(np.isin(run.seed_pairs[:, 0], held_s) | np.isin(run.seed_pairs[:, 1], held_t))]
    seed = np.unique(seed, axis=0)
    rounds = [RefinementRound(round=0, mapping=start, n_pairs=len(seed), n_augmented=0, score=float(score(start)))]
    if callback is not None:
        callback(rounds[0])
    mapping = start
    sw, tw = run.src.words, run.tgt.words
    for t in range(1, cfg.rounds + 1):
        t0 = time.perf_counter()
        ns = min(cfg.cutoff, len(run.src))
        pool = np.setdiff1d(np.arange(ns), np.union1d(seed[:, 0], held_s))
        words = np.concatenate([np.unique(seed[:, 0]), pool])
        Xm, Zm, r_src, r_tgt, cand, back = _candidates(run, mapping, words, cfg)
        n_seed_words = len(np.unique(seed[:, 0]))
        gold = {(int(a), int(b)) for a, b in seed}
        # training pairs: every seed pair (positive) and the other candidates of the seed words (negatives)
        row_of = {int(w): i for i, w in enumerate(words[:n_seed_words])}
        neg_s = np.repeat(words[:n_seed_words], cfg.candidates)
        neg_t = cand[:n_seed_words].ravel()
        is_neg = np.array([(int(a), int(b)) not in gold for a, b in zip(neg_s, neg_t)], bool)
        s_tr = np.concatenate([seed[:, 0], neg_s[is_neg]])
        t_tr = np.concatenate([seed[:, 1], neg_t[is_neg]])
        y = np.concatenate([np.ones(len(seed)), np.zeros(int(is_neg.sum()))])
        rank_pos = np.array([_rank(cand[row_of[int(a)]], b, cfg.candidates) for a, b in seed], np.float64)
        rank_tr = np.concatenate([rank_pos, np.tile(np.arange(cfg.candidates), n_seed_words)[is_neg]])
        mutual_tr = np.array([b < len(back) and back[b] == a for a, b in zip(s_tr, t_tr)])
        F = pair_features(sw, tw, s_tr, t_tr, Xm, Zm, r_src, r_tgt, rank_tr, mutual_tr)
        model, logloss = fit_logistic(F, y, cfg.ridge)
        # the pool: each uncovered word's candidates, its best accepted one kept
        ps = np.repeat(pool, cfg.candidates)
        pt = cand[n_seed_words:].ravel()
        ok = ~np.isin(pt, held_t)
        ps, pt = ps[ok], pt[ok]
        prank = np.tile(np.arange(cfg.candidates, dtype=np.float64), len(pool))[ok]
        pm = back[pt] == ps
        prob = predict_logistic(model, pair_features(sw, tw, ps, pt, Xm, Zm, r_src, r_tgt, prank, pm))
        order = np.lexsort((pt, ps, -prob))
        _, first = np.unique(ps[order], return_index=True)
        best = order[first]
        best = best[prob[best] >= cfg.threshold]
        added = np.stack([ps[best], pt[best]], axis=1)
        pairs = np.concatenate([seed, added])
        mapping = run._fit(method, pairs[:, 0], pairs[:, 1], **kw)
        mapping = Mapping(mapping.Wx, mapping.Wz, "classifier", {"round": t, "pairs": int(len(pairs))})
        t1 = time.perf_counter()
        rec = RefinementRound(round=t, mapping=mapping, n_pairs=len(pairs), n_augmented=len(added),
                              losses=(logloss,), score=float(score(mapping)),
                              seconds={"classify": t1 - t0, "score": time.perf_counter() - t1})
        rounds.append(rec)
        if callback is not None:
            callback(rec)
    kept, reason = _keep(rounds, True)
    result = Refinement(start, rounds, kept, ("identical strings held out (%d words)" % len(fold) if fold is not None
                                              else "mean CSLS cosine (MUSE)"),
                        reason, cfg, time.perf_counter() - t_start)
    if kept == 0:
        result.start = run.final
    run.final = result.mapping
    run.refinement = result
    return result


def _rank(cands: np.ndarray, target: int, k: int) -> int:
    hit = np.flatnonzero(cands == target)
    return int(hit[0]) if len(hit) else k
