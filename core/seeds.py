"""Seed dictionaries: the pairs a mapping is first fitted on, before self-learning takes over.

Strategies, from most to least supervised:

* ``dictionary`` -- every in-vocabulary pair of a bilingual dictionary.
* ``random`` -- a few random pairs of a dictionary (Artetxe et al. 2017: 25 are enough to start).
* ``identical`` -- identically spelled words (Søgaard et al. 2018).
* ``numerals`` -- digit tokens present in both vocabularies (Artetxe et al. 2017).
* ``unsupervised`` -- second-order similarity signatures (Artetxe et al. 2018, ACL).
* ``adversarial`` -- a generator/discriminator game over the mapping, from a moment-matched start, then
  Procrustes refinement (Conneau et al. 2018, MUSE; Hoshen & Wolf 2018).
* ``gromov-wasserstein`` -- optimal transport between the two intralingual distance matrices
  (Alvarez-Melis & Jaakkola 2018).

Every strategy returns a :class:`Seed`: row indices into ``src`` and ``tgt`` (the ``Embeddings`` the
seed was built on, already normalised), so the self-learning stepper can start from it directly.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from . import similarity
from .errors import ConfigError
from .io import Embeddings, pairs_to_indices

__all__ = [
    "Seed", "dictionary_seed", "random_seed", "identical_seed", "numerals_seed", "second_order_seed",
    "adversarial_seed", "gromov_wasserstein_seed", "build_seed", "SEED_STRATEGIES",
    "DiscriminatorParams", "discriminator_init", "discriminator_forward", "discriminator_backward",
    "bce_with_logits", "orthogonalize", "nearest_orthogonal", "moment_alignment", "pca_reduce",
    "mean_cosine_criterion", "procrustes_refinement", "ADVERSARIAL_INITS",
    "entropic_gromov_wasserstein", "sinkhorn_stabilized", "coupling_pairs",
]

NUMERAL = re.compile(r"[0-9]+")
# memory guards: both strategies hold a few n x n float32 matrices at once
MAX_SECOND_ORDER_N = 10000
MAX_GROMOV_WASSERSTEIN_N = 5000


@dataclass(frozen=True, eq=False)
class Seed:
    """A seed dictionary.

    Parameters
    ----------
    pairs : ndarray of int64, shape (k, 2)
        ``pairs[i] = (src_row, tgt_row)``, unique rows.
    strategy : str
        The name in :data:`SEED_STRATEGIES` that produced it.
    scores : ndarray of float32, shape (k,), or None
        A confidence per pair when the strategy has one (CSLS score, coupling mass...).
    info : dict
        Strategy-specific diagnostics (timings, training curves, sizes): numbers, strings and lists,
        except the adversarial generator ``info["W"]`` (an ndarray).
    """

    pairs: np.ndarray
    strategy: str
    scores: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        pairs = np.asarray(self.pairs, dtype=np.int64).reshape(-1, 2)
        object.__setattr__(self, "pairs", pairs)
        if self.scores is not None:
            scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
            if len(scores) != len(pairs):
                raise ValueError(f"{len(pairs)} pairs but {len(scores)} scores")
            object.__setattr__(self, "scores", scores)

    def __len__(self) -> int:
        return len(self.pairs)

    @property
    def src(self) -> np.ndarray:
        return self.pairs[:, 0]

    @property
    def tgt(self) -> np.ndarray:
        return self.pairs[:, 1]

    def words(self, src: Embeddings, tgt: Embeddings) -> list[tuple[str, str]]:
        """The pairs as ``(source word, target word)`` strings."""
        return [(src.words[i], tgt.words[j]) for i, j in self.pairs]


# --------------------------------------------------------------------------------------------------
# helpers


def _rng(random_state) -> np.random.Generator:
    return random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)


def _unique_pairs(src_idx, tgt_idx, scores=None):
    """Drop repeated (src, tgt) rows, keeping the first occurrence (and its score)."""
    pairs = np.stack([np.asarray(src_idx, np.int64), np.asarray(tgt_idx, np.int64)], axis=1).reshape(-1, 2)
    _, first = np.unique(pairs, axis=0, return_index=True)
    first = np.sort(first)
    return pairs[first], (None if scores is None else np.asarray(scores, np.float32)[first])


def _to_indices(pairs, src: Embeddings, tgt: Embeddings) -> np.ndarray:
    return np.asarray(pairs_to_indices(pairs, src, tgt), dtype=np.int64).reshape(-1, 2)


def _check_n(n: int, src: Embeddings, tgt: Embeddings, what: str, max_n: int | None = None) -> int:
    n = int(n)
    if n < 2:
        raise ConfigError(f"{what} needs at least 2 words per language, got n={n}.")
    if max_n is not None and n > max_n:
        mb = 4 * n * n / 1e6
        raise ConfigError(
            f"{what} builds {n} x {n} matrices ({mb:,.0f} MB each in float32); choose n <= {max_n}.")
    limit = min(len(src), len(tgt))
    if n > limit:
        raise ConfigError(
            f"{what} asks for the top {n} words but the smaller vocabulary has only {limit}; "
            f"choose n <= {limit}.")
    return n


# --------------------------------------------------------------------------------------------------
# dictionary-based seeds


def dictionary_seed(src: Embeddings, tgt: Embeddings, pairs: Iterable[tuple[str, str]]) -> Seed:
    """Every in-vocabulary pair of a bilingual dictionary (supervised mapping, Mikolov et al. 2013).

    Parameters
    ----------
    src, tgt : Embeddings
        Normalised source and target spaces.
    pairs : iterable of (str, str)
        Dictionary entries, e.g. from :func:`core.io.load_dictionary`.

    Returns
    -------
    Seed
        ``info`` holds ``n_entries`` (given) and ``n_in_vocab`` (kept).

    Raises
    ------
    ConfigError
        When no entry has both words in the vocabularies.

    References
    ----------
    Mikolov, Le & Sutskever (2013). Exploiting similarities among languages for machine translation.
    """
    pairs = list(pairs)
    idx = _to_indices(pairs, src, tgt)
    if len(idx) == 0:
        raise ConfigError(
            f"None of the {len(pairs)} dictionary entries has both words in the vocabularies "
            f"({src.name or 'source'}: {len(src)} words, {tgt.name or 'target'}: {len(tgt)} words); "
            "check the language direction (source first) and the case of the words.")
    return Seed(idx, "dictionary", None, {"n_entries": len(pairs), "n_in_vocab": int(len(idx))})


def random_seed(src: Embeddings, tgt: Embeddings, pairs: Iterable[tuple[str, str]], n: int = 25,
                random_state=0) -> Seed:
    """``n`` random in-vocabulary pairs of a dictionary.

    Artetxe et al. (2017) show that self-learning reaches the accuracy of a full dictionary starting
    from 25 random pairs.

    Parameters
    ----------
    src, tgt : Embeddings
    pairs : iterable of (str, str)
    n : int
        Number of pairs to draw (without replacement, among distinct in-vocabulary pairs).
    random_state : int, Generator or None

    Raises
    ------
    ConfigError
        When the dictionary has fewer than ``n`` in-vocabulary pairs.

    References
    ----------
    Artetxe, Labaka & Agirre (2017). Learning bilingual word embeddings with (almost) no bilingual
    data. ACL.
    """
    n = int(n)
    if n < 1:
        raise ConfigError(f"A random seed needs at least 1 pair, got n={n}.")
    pairs = list(pairs)
    idx = _to_indices(pairs, src, tgt)
    if len(idx) < n:
        raise ConfigError(
            f"Asked for {n} random seed pairs but the dictionary has only {len(idx)} in-vocabulary "
            f"pairs; choose n <= {len(idx)} or use a larger dictionary.")
    chosen = np.sort(_rng(random_state).choice(len(idx), size=n, replace=False))
    return Seed(idx[chosen], "random", None, {"n_entries": len(pairs), "n_in_vocab": int(len(idx))})


def identical_seed(src: Embeddings, tgt: Embeddings, min_length: int = 1) -> Seed:
    """Identically spelled words of both vocabularies (Søgaard et al. 2018).

    Cheap and surprisingly strong for languages sharing a script: names, numbers, loanwords.

    Parameters
    ----------
    src, tgt : Embeddings
    min_length : int
        Ignore strings shorter than this (single letters are often noise).

    Raises
    ------
    ConfigError
        When no string is shared.

    References
    ----------
    Søgaard, Ruder & Vulić (2018). On the limitations of unsupervised bilingual dictionary
    induction. ACL.
    """
    return _shared_strings_seed(src, tgt, lambda w: len(w) >= min_length, "identical",
                                "identically spelled word", "unsupervised")


def numerals_seed(src: Embeddings, tgt: Embeddings) -> Seed:
    """Tokens made only of digits (``[0-9]+``) present in both vocabularies (Artetxe et al. 2017).

    Raises
    ------
    ConfigError
        When no numeral is shared.

    References
    ----------
    Artetxe, Labaka & Agirre (2017). Learning bilingual word embeddings with (almost) no bilingual
    data. ACL.
    """
    return _shared_strings_seed(src, tgt, NUMERAL.fullmatch, "numerals", "digit-only token (e.g. '1990')",
                                "identical")


def _shared_strings_seed(src: Embeddings, tgt: Embeddings, keep, strategy: str, what: str,
                         instead: str) -> Seed:
    """Pairs of identical strings in both vocabularies that pass ``keep``, in source frequency order."""
    src_idx = [i for i, w in enumerate(src.words) if keep(w) and w in tgt.index]
    if not src_idx:
        raise ConfigError(
            f"No {what} is shared by {src.name or 'the source'} and {tgt.name or 'the target'} "
            f"vocabularies; use another seed strategy (e.g. '{instead}').")
    tgt_idx = [tgt.index[src.words[i]] for i in src_idx]
    return Seed(np.stack([src_idx, tgt_idx], axis=1), strategy, None, {"n_shared": len(src_idx)})


# --------------------------------------------------------------------------------------------------
# retrieval between two already comparable spaces (shared by the unsupervised strategies)


def _csls_pairs(A: np.ndarray, B: np.ndarray, csls_k: int, direction: str):
    """CSLS nearest neighbours between rows of ``A`` and ``B`` (unit rows, same dimension).

    ``direction``: ``"forward"`` (each row of A), ``"backward"`` (each row of B), ``"union"`` of both
    (VecMap) or ``"mutual"`` (pairs found in both directions; MUSE's S2T&T2S).
    """
    if direction not in ("forward", "backward", "union", "mutual"):
        raise ConfigError(f"direction must be 'forward', 'backward', 'union' or 'mutual', not {direction!r}.")
    sim = similarity
    r_a = sim.mean_topk_similarity(A, B, csls_k)  # computed once, used by both directions
    r_b = sim.mean_topk_similarity(B, A, csls_k)
    fwd_val, fwd_idx = sim.csls_topk(A, B, csls_k, 1, r_A=r_a, r_B=r_b)
    bwd_val, bwd_idx = sim.csls_topk(B, A, csls_k, 1, r_A=r_b, r_B=r_a)
    fwd_idx, bwd_idx = fwd_idx[:, 0], bwd_idx[:, 0]
    fwd_val, bwd_val = fwd_val[:, 0], bwd_val[:, 0]
    a_rows, b_rows = np.arange(len(A)), np.arange(len(B))
    if direction == "forward":
        return _unique_pairs(a_rows, fwd_idx, fwd_val)
    if direction == "backward":
        return _unique_pairs(bwd_idx, b_rows, bwd_val)
    if direction == "mutual":
        keep = bwd_idx[fwd_idx] == a_rows
        return _unique_pairs(a_rows[keep], fwd_idx[keep], fwd_val[keep])
    return _unique_pairs(np.concatenate([a_rows, bwd_idx]), np.concatenate([fwd_idx, b_rows]),
                         np.concatenate([fwd_val, bwd_val]))


# --------------------------------------------------------------------------------------------------
# unsupervised: second-order similarity (VecMap)


def second_order_seed(src: Embeddings, tgt: Embeddings, n: int = 4000, csls_k: int = 10,
                      direction: str = "union") -> Seed:
    """Fully unsupervised seed from second-order similarity (Artetxe et al. 2018, ACL).

    If the two spaces were isometric, a word and its translation would have the same similarity
    distribution to the rest of their vocabulary, up to the order of the other words. So for the
    ``n`` most frequent words of each language, each row of the square-root similarity matrix
    ``sqrt(X X^T)`` is sorted (which removes the dependence on which word is which), normalised,
    and the sorted rows are matched across languages with CSLS. The square root ``U S U^T`` (from
    the SVD ``X = U S V^T``) is, like ``X X^T``, unchanged by any rotation of ``X``, and its flatter
    spectrum makes the signatures less dominated by the first singular directions; Artetxe et al.
    found it worked better. The signatures are computed by
    :func:`core.similarity.second_order_signatures`, shared with the app's similarity view.

    Parameters
    ----------
    src, tgt : Embeddings
        Normalised spaces (dimensions may differ: signatures live in R^n for both).
    n : int
        Vocabulary cutoff for the signatures (VecMap: 4000).
    csls_k : int
        CSLS neighbourhood size (VecMap: 10).
    direction : {"union", "forward", "backward", "mutual"}
        VecMap takes the union of both directions (up to ``2 n`` pairs).

    Returns
    -------
    Seed
        ``scores`` are CSLS scores between signatures; ``info`` has ``n`` and ``seconds``.

    References
    ----------
    Artetxe, Labaka & Agirre (2018). A robust self-learning method for fully unsupervised
    cross-lingual mappings of word embeddings. ACL.
    """
    n = _check_n(n, src, tgt, "The unsupervised (second-order) seed", max_n=MAX_SECOND_ORDER_N)
    start = time.perf_counter()
    sig_src = similarity.second_order_signatures(src.vectors, n)
    sig_tgt = similarity.second_order_signatures(tgt.vectors, n)
    pairs, scores = _csls_pairs(sig_src, sig_tgt, csls_k, direction)
    info = {"n": n, "csls_k": csls_k, "direction": direction, "seconds": time.perf_counter() - start}
    return Seed(pairs, "unsupervised", scores, info)


# --------------------------------------------------------------------------------------------------
# adversarial (MUSE): a discriminator MLP with hand-written gradients


@dataclass(eq=False)
class DiscriminatorParams:
    """Weights of the MUSE discriminator: ``len(weights) - 1`` hidden leaky-ReLU layers, one logit.

    ``weights[l]`` has shape (fan_in, fan_out); updated in place by training.
    """

    weights: list
    biases: list
    leaky: float = 0.2


def discriminator_init(dim: int, hidden: int = 2048, n_hidden: int = 2, leaky: float = 0.2,
                       random_state=0, dtype=np.float32) -> DiscriminatorParams:
    """Discriminator of Conneau et al. (2018): ``n_hidden`` layers of ``hidden`` units, one logit.

    Weights and biases are drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's ``nn.Linear``
    default, which MUSE uses).

    References
    ----------
    Conneau, Lample, Ranzato, Denoyer & Jégou (2018). Word translation without parallel data. ICLR.
    """
    rng = _rng(random_state)
    sizes = [dim] + [hidden] * n_hidden + [1]
    weights, biases = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype))
        biases.append(rng.uniform(-bound, bound, fan_out).astype(dtype))
    return DiscriminatorParams(weights, biases, leaky)


def discriminator_forward(params: DiscriminatorParams, x: np.ndarray, dropout: float = 0.0,
                          random_state=None):
    """Logits of the discriminator for a batch ``x`` (rows are vectors), and a cache for backward.

    ``dropout`` is MUSE's input dropout (inverted: kept units are scaled by ``1/(1-dropout)``).
    """
    mask = None
    h = x
    if dropout > 0:
        mask = (_rng(random_state).random(x.shape) >= dropout).astype(x.dtype) / np.asarray(1 - dropout, x.dtype)
        h = x * mask
    inputs, pre = [h], []
    last = len(params.weights) - 1
    for layer, (W, b) in enumerate(zip(params.weights, params.biases)):
        z = h @ W + b
        if layer == last:
            return z[:, 0], (inputs, pre, mask)
        pre.append(z)
        h = np.where(z > 0, z, params.leaky * z)
        inputs.append(h)
    raise ValueError("a discriminator needs at least one layer")


def discriminator_backward(params: DiscriminatorParams, cache, grad_logits: np.ndarray):
    """Gradients of a scalar loss w.r.t. weights, biases and the input, given d loss / d logits.

    Returns
    -------
    grad_weights, grad_biases : list of ndarray
    grad_x : ndarray, same shape as the forward input (through the dropout mask).
    """
    inputs, pre, mask = cache
    g = grad_logits.reshape(-1, 1).astype(inputs[0].dtype, copy=False)
    n_layers = len(params.weights)
    grad_w, grad_b = [None] * n_layers, [None] * n_layers
    for layer in range(n_layers - 1, -1, -1):
        grad_w[layer] = inputs[layer].T @ g
        grad_b[layer] = g.sum(axis=0)
        g = g @ params.weights[layer].T
        if layer > 0:
            g = g * np.where(pre[layer - 1] > 0, 1.0, params.leaky).astype(g.dtype)
    if mask is not None:
        g = g * mask
    return grad_w, grad_b, g


def bce_with_logits(logits: np.ndarray, targets: np.ndarray):
    """Mean binary cross-entropy of ``sigmoid(logits)`` against (smoothed) targets, and its gradient.

    Computed from logits (``softplus(z) - y z``) so that confident predictions do not overflow.
    """
    z = logits.astype(np.float64)
    loss = float(np.mean(np.logaddexp(0.0, z) - targets * z))
    grad = (0.5 * (1.0 + np.tanh(0.5 * z)) - targets) / len(z)  # sigmoid via tanh: no overflow
    return loss, grad.astype(logits.dtype)


def orthogonalize(W: np.ndarray, beta: float = 0.001) -> np.ndarray:
    """One step of ``W <- (1 + beta) W - beta (W W^T) W`` (Conneau et al. 2018; Cisse et al. 2017).

    Pulls ``W`` towards the orthogonal manifold after each SGD step on the generator.
    """
    return ((1 + beta) * W - beta * (W @ W.T) @ W).astype(W.dtype, copy=False)


def nearest_orthogonal(M: np.ndarray) -> np.ndarray:
    """The orthogonal matrix closest to ``M`` in Frobenius norm, ``U V^T`` from ``M = U S V^T``
    (Schönemann 1966). Used as the exact projection of the generator and as the Procrustes solution."""
    u, _, vt = np.linalg.svd(np.asarray(M, np.float64))
    return (u @ vt).astype(np.float32)


def moment_alignment(X: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """An orthogonal start that matches the second and third moments of two spaces of equal dimension.

    Principal axes of each space (eigenvectors of the covariance, by decreasing variance) are paired in
    order, which maps the source covariance onto the target's; each axis is then oriented so that the
    projections on it have positive skewness (third moment), which decides the reflection that second
    moments cannot see. ``W = U_x U_z^T``. Exact for a rotated copy when variances are distinct and
    skewnesses not close to zero; between languages it is only as good as their isomorphism.

    Returns
    -------
    W : float32 (d, d), orthogonal, so that ``X @ W`` lives in the space of ``Z``.

    References
    ----------
    Hoshen & Wolf (2018). Non-adversarial unsupervised word translation. EMNLP (PCA-aligned
    initialisation of the mapping; the skewness orientation is this lab's addition).
    """
    def oriented_axes(A):
        A = A.astype(np.float64)
        A = A - A.mean(axis=0)
        _, U = np.linalg.eigh(A.T @ A)
        U = U[:, ::-1]
        skew = np.mean((A @ U) ** 3, axis=0)
        return U * np.where(skew < 0, -1.0, 1.0)

    return (oriented_axes(X) @ oriented_axes(Z).T).astype(np.float32)


def pca_reduce(X: np.ndarray, dim: int, n_fit: int = 20000) -> np.ndarray:
    """Project rows of ``X`` on its top ``dim`` principal directions (fitted on the first ``n_fit``
    rows), then back to unit length. Used to give two spaces of different dimension a common one."""
    fit = X[:n_fit].astype(np.float64)
    mean = fit.mean(axis=0)
    _, _, vt = np.linalg.svd(fit - mean, full_matrices=False)
    Y = ((X - mean.astype(X.dtype)) @ vt[:dim].T.astype(X.dtype)).astype(np.float32)
    Y /= np.maximum(np.linalg.norm(Y, axis=1, keepdims=True), 1e-12)
    return Y


def _common_dimension(X: np.ndarray, Z: np.ndarray, n_fit: int):
    """Reduce the higher-dimensional of the two spaces with PCA to the other's dimension."""
    if X.shape[1] > Z.shape[1]:
        return pca_reduce(X, Z.shape[1], n_fit), Z, "src"
    if Z.shape[1] > X.shape[1]:
        return X, pca_reduce(Z, X.shape[1], n_fit), "tgt"
    return X, Z, None


def mean_cosine_criterion(Xm: np.ndarray, Z: np.ndarray, n: int = 10000, csls_k: int = 10) -> float:
    """MUSE's unsupervised model-selection criterion (Conneau et al. 2018).

    Mean cosine between each of the ``n`` most frequent mapped source words and its CSLS nearest
    neighbour among the ``n`` most frequent target words. Higher means a better aligned mapping.
    """
    A, B = Xm[:n], Z[:n]
    _, idx = similarity.csls_topk(A, B, csls_k, 1)
    return float(np.mean(np.einsum("ij,ij->i", A, B[idx[:, 0]])))


def procrustes_refinement(X: np.ndarray, Z: np.ndarray, W: np.ndarray, n_iter: int = 5, n: int = 15000,
                          csls_k: int = 10, criterion_n: int = 10000, tol: float = 0.0):
    """MUSE's refinement: Procrustes on the mutual CSLS nearest neighbours, repeated (Conneau et al. 2018).

    Each iteration builds the dictionary of mutual CSLS nearest neighbours (S2T&T2S) between the
    ``n`` most frequent words mapped by the current ``W``, fits the orthogonal Procrustes solution on
    it and scores it with :func:`mean_cosine_criterion`. The best of the start and the iterates is
    kept, as MUSE does. Stops early at a fixed point (the dictionary did not change) or when an
    iteration raised the criterion by less than ``tol``.

    Returns
    -------
    W : float32 (d, d)
        The best mapping by the criterion.
    criteria : list of float
        The criterion of each iterate (the start's is not included).
    sizes : list of int
        The dictionary size of each iteration.
    best : int
        Index of the best iterate, -1 when the start was best.

    References
    ----------
    Conneau, Lample, Ranzato, Denoyer & Jégou (2018). Word translation without parallel data. ICLR.
    Schönemann (1966). A generalized solution of the orthogonal Procrustes problem. Psychometrika.
    """
    n = min(n, len(X), len(Z))
    crit_n = min(criterion_n, len(X), len(Z))
    best_W, best_crit, best = W, mean_cosine_criterion(X[:crit_n] @ W, Z, crit_n, csls_k), -1
    criteria, sizes, previous, last = [], [], None, best_crit
    for it in range(n_iter):
        pairs, _ = _csls_pairs(X[:n] @ W, Z[:n], csls_k, "mutual")
        if len(pairs) < 2 or (previous is not None and np.array_equal(pairs, previous)):
            break  # a fixed point: the same dictionary gives the same W
        previous = pairs
        W = nearest_orthogonal(X[pairs[:, 0]].T.astype(np.float64) @ Z[pairs[:, 1]])
        crit = mean_cosine_criterion(X[:crit_n] @ W, Z, crit_n, csls_k)
        criteria.append(crit)
        sizes.append(int(len(pairs)))
        if crit > best_crit:
            best_W, best_crit, best = W, crit, it
        if crit - last < tol:
            break
        last = crit
    return best_W, criteria, sizes, best


def _sgd(params: DiscriminatorParams, grad_w, grad_b, lr: float) -> None:
    for W, b, gW, gb in zip(params.weights, params.biases, grad_w, grad_b):
        W -= lr * gW
        b -= lr * gb


def _adversarial_epoch(X, Z, W, params, n_steps, dis_steps, batch_size, n_src, n_tgt, labels, fool,
                       input_dropout, dis_lr, map_lr, beta, project_every, rng, d_losses, g_losses, d_acc):
    """One epoch of the MUSE game; returns the new generator, appends to the loss lists."""
    for step in range(n_steps):
        for _ in range(dis_steps):
            xs = X[rng.integers(0, n_src, batch_size)] @ W
            zs = Z[rng.integers(0, n_tgt, batch_size)]
            logits, cache = discriminator_forward(params, np.concatenate([xs, zs]), input_dropout, rng)
            loss, grad = bce_with_logits(logits, labels)
            gw, gb, _ = discriminator_backward(params, cache, grad)
            _sgd(params, gw, gb, dis_lr)
            d_losses.append(loss)
            d_acc.append(float(np.mean((logits > 0) == (labels > 0.5))))
        rows = X[rng.integers(0, n_src, batch_size)]
        logits, cache = discriminator_forward(params, rows @ W)  # eval mode: no dropout (as MUSE)
        loss, grad = bce_with_logits(logits, fool)
        _, _, gx = discriminator_backward(params, cache, grad)
        W = W - map_lr * (rows.T @ gx)
        if project_every and (step + 1) % project_every == 0:
            W = nearest_orthogonal(W)
        else:
            W = orthogonalize(W, beta)
        g_losses.append(loss)
        if not np.isfinite(loss):
            break
    return W


ADVERSARIAL_INITS = ("moments", "identity", "random")


def adversarial_seed(src: Embeddings, tgt: Embeddings, *, n_epochs: int = 3, epoch_size: int = 32000,
                     batch_size: int = 256, dis_steps: int = 2, hidden: int = 256, n_hidden: int = 2,
                     leaky: float = 0.2, input_dropout: float = 0.1, smooth: float = 0.1,
                     dis_lr: float = 0.1, map_lr: float = 1.0, beta: float = 0.001, project_every: int = 1,
                     input_scale: float | None = None, lr_decay: float = 0.98, lr_shrink: float = 0.5,
                     init: str = "moments", n_restarts: int = 1, n_refine: int = 30, refine_n: int = 15000,
                     refine_tol: float = 1e-3,
                     dis_most_frequent: int = 20000, criterion_n: int = 10000, seed_n: int = 10000,
                     csls_k: int = 10, direction: str = "mutual", random_state=0,
                     callback: Callable[[int, dict], None] | None = None) -> Seed:
    """Adversarial seed: a generator mapping against a discriminator, then Procrustes refinement
    (Conneau et al. 2018, MUSE).

    The generator is an orthogonal map ``W`` applied to source vectors; the discriminator, an MLP,
    tells mapped source vectors from target vectors. They are trained in turn with SGD
    (``dis_steps`` discriminator batches per generator batch). After each epoch the mapping is scored
    with MUSE's unsupervised criterion (:func:`mean_cosine_criterion`); the best one (or the start,
    if no epoch beats it) is kept, and the generator's learning rate is halved whenever the criterion
    drops. As in MUSE, the best mapping is then refined by :func:`procrustes_refinement` (Procrustes
    on mutual CSLS neighbours of the ``refine_n`` most frequent words, ``n_refine`` times), and the
    seed is the set of CSLS nearest neighbours (mutual by default, MUSE's S2T&T2S) of the refined
    mapping among the ``seed_n`` most frequent words.

    What the game does, and why the start matters. The game matches distributions; once second
    moments agree (principal axes paired), reflections of single axes are separate local optima that
    SGD on an orthogonal ``W`` cannot leave. On a randomly rotated, noised (0.05) 50-d copy of 5,000
    English words, the game from the identity (MUSE's start) raises the selection criterion from 0.46
    to about 0.58 in 5 epochs of 64,000 samples (the true rotation scores 0.998); this is not an
    alignment yet, but in 3 of 8 games it is inside the basin of the refinement, which then reaches
    the rotation within about 20 Procrustes iterations (seed 100% correct, criterion 0.998; failed
    games end near 0.61) -- and never without the game (30 refinements from the identity or a random
    rotation: 0%). Restarts (``n_restarts``), selected by the refined criterion, raise the odds of
    the pure MUSE pipeline accordingly. By default (``init="moments"``) the generator instead starts
    from :func:`moment_alignment` -- principal axes paired and oriented by their third moment, in the
    spirit of Hoshen & Wolf's PCA start -- which on the control already scores 0.92 (a few reflected axes):
    the game then barely changes the criterion and the refinement finishes in one or two iterations
    (100% correct up to noise 0.3, in 15-30 s). ``"random"`` starts from a random orthogonal matrix.
    Between real languages neither start helps (see the seeds report: bundled en-fr and fi-fr 0%).

    Changes from MUSE for a NumPy budget (MUSE: batches of 32, 5 discriminator steps, about 150k
    generator steps on a GPU, 2x2048 discriminator, ``beta = 0.001``): batches of 256 with 2
    discriminator steps and a generator learning rate of 1.0; ``W`` projected exactly onto the
    orthogonal matrices (:func:`nearest_orthogonal`) every ``project_every`` steps, because with few,
    larger steps MUSE's ``beta`` update lets ``W`` drift far from orthogonal; the discriminator sees
    vectors scaled by ``input_scale`` (default ``sqrt(d)``, so that coordinates of unit vectors are
    of order 1 and it learns within tens of steps instead of hundreds).

    Spaces of different dimension (the bundled English is 50-d, French and Finnish 300-d): the larger
    space is first reduced by PCA to the smaller dimension (and rows re-normalised), and ``W`` is
    square orthogonal in that common space. The seed only consists of row indices, so the reduction
    does not constrain the mapping learned later on full vectors.

    Parameters
    ----------
    src, tgt : Embeddings
        Normalised spaces.
    n_epochs, epoch_size, batch_size : int
        Training length: ``epoch_size // batch_size`` generator steps per epoch (``n_epochs = 0``:
        no game, the start is refined directly).
    dis_steps : int
        Discriminator steps per generator step (MUSE: 5).
    hidden, n_hidden, leaky, input_dropout : discriminator architecture (MUSE: 2048, 2, 0.2, 0.1).
    smooth : float
        Label smoothing (MUSE: 0.1): source labelled ``1 - smooth``, target ``smooth``.
    dis_lr, map_lr : float
        SGD learning rates (MUSE: 0.1 and 0.1 with batches of 32).
    beta : float
        Orthogonalisation strength of MUSE's update (used when ``project_every = 0`` and between projections).
    project_every : int
        Project ``W`` onto the orthogonal matrices every this many generator steps (0: never).
    input_scale : float or None
        Factor applied to all vectors in the game (None: ``sqrt(d)``); the criterion uses unit vectors.
    lr_decay, lr_shrink : float
        Generator learning-rate decay per epoch and shrink factor when the criterion drops.
    init : {"moments", "identity", "random"}
        The generator's start (see above).
    n_restarts : int
        Games played one after the other (each with a new discriminator, and a new start if
        ``init="random"``), the one with the best refined criterion kept (no gold data involved).
    n_refine, refine_n : int
        Maximum Procrustes refinement iterations (MUSE: 5; here up to 30, stopping at a fixed point,
        because a game that only got close needs about 20) and its vocabulary (MUSE: 15,000).
    refine_tol : float
        Stop refining once an iteration raises the criterion by less than this (a game that got close
        gains 0.0015 or more per iteration on its way; between unrelated spaces the gains fall below
        0.001 within 8 iterations, and each iteration costs seconds on 300-d spaces).
    dis_most_frequent : int
        Discriminator samples come from this many most frequent words of each side.
    criterion_n, seed_n, csls_k : int
        Vocabulary for model selection, vocabulary for the final seed, CSLS neighbourhood.
    direction : {"mutual", "union", "forward", "backward"}
        How the final seed pairs are read off the refined mapping.
    random_state : int, Generator or None
    callback : callable, optional
        ``callback(epoch, info)`` after each epoch, ``info`` being the running dict below.

    Returns
    -------
    Seed
        ``info`` holds per-epoch lists ``gen_loss``, ``disc_loss``, ``disc_accuracy``, ``selection``,
        ``map_lr``; ``start_selection`` (criterion of the start), ``best_epoch`` (-1: the start),
        ``best_selection``; per refinement iteration ``refine_selection`` and ``refine_size``, and
        ``refined_selection`` (criterion of the final mapping); ``reduced`` ("src", "tgt" or None: which
        space was PCA-reduced), ``W`` (the refined generator, an ndarray in the common space),
        ``W_game`` (before refinement), ``seconds``. These are the kept restart's; ``restarts`` lists
        every restart's ``start_selection``, ``best_epoch``, ``best_selection``, ``refined_selection``.

    References
    ----------
    Conneau, Lample, Ranzato, Denoyer & Jégou (2018). Word translation without parallel data. ICLR.
    Hoshen & Wolf (2018). Non-adversarial unsupervised word translation. EMNLP.
    Schönemann (1966). A generalized solution of the orthogonal Procrustes problem. Psychometrika.
    """
    if (n_epochs < 0 or epoch_size < batch_size or batch_size < 1 or dis_steps < 0 or n_refine < 0
            or n_restarts < 1):
        raise ConfigError("Adversarial training needs n_epochs >= 0, batch_size >= 1, epoch_size >= "
                          "batch_size, dis_steps >= 0, n_refine >= 0 and n_restarts >= 1.")
    if init not in ADVERSARIAL_INITS:
        raise ConfigError(f"init must be one of {', '.join(ADVERSARIAL_INITS)}, not {init!r}.")
    start = time.perf_counter()
    rng = _rng(random_state)
    n_fit = min(len(src), len(tgt), max(dis_most_frequent, criterion_n))
    X, Z, reduced = _common_dimension(src.vectors, tgt.vectors, n_fit)
    dim = X.shape[1]
    n_src, n_tgt = min(dis_most_frequent, len(src)), min(dis_most_frequent, len(tgt))
    crit_n = min(criterion_n, len(src), len(tgt))
    scale = np.float32(np.sqrt(dim) if input_scale is None else input_scale)
    Xs, Zs = X[:n_src] * scale, Z[:n_tgt] * scale  # the game's view; W acts the same on scaled rows

    labels = np.concatenate([np.full(batch_size, 1 - smooth), np.full(batch_size, smooth)])
    fool = np.full(batch_size, smooth)  # the generator wants mapped source taken for target
    common = {"init": init, "reduced": reduced, "dim": dim, "hidden": hidden, "batch_size": batch_size,
              "n_epochs": n_epochs, "epoch_size": epoch_size, "n_restarts": n_restarts}
    chosen, summaries = None, []
    for restart in range(n_restarts):  # one generator stream: restart 0 is the same for any n_restarts
        params = discriminator_init(dim, hidden, n_hidden, leaky, rng)
        if init == "moments":
            W = moment_alignment(X[:n_src], Z[:n_tgt])
        elif init == "random":
            W = nearest_orthogonal(rng.standard_normal((dim, dim)))
        else:
            W = np.eye(dim, dtype=np.float32)
        lr = map_lr
        start_crit = mean_cosine_criterion(X[:crit_n] @ W, Z, crit_n, csls_k)
        best_W, best_crit, best_epoch = W.copy(), start_crit, -1
        info = {"gen_loss": [], "disc_loss": [], "disc_accuracy": [], "selection": [], "map_lr": [],
                "start_selection": start_crit, "best_epoch": -1, "restart": restart, **common}
        for epoch in range(n_epochs):
            d_losses, g_losses, d_acc = [], [], []
            with similarity.single_thread_blas():
                W = _adversarial_epoch(Xs, Zs, W, params, epoch_size // batch_size, dis_steps, batch_size,
                                       n_src, n_tgt, labels, fool, input_dropout, dis_lr, lr, beta,
                                       project_every, rng, d_losses, g_losses, d_acc)
            if not np.all(np.isfinite(W)) or not all(np.all(np.isfinite(w)) for w in params.weights):
                info["diverged"] = (f"epoch {epoch}: the game diverged (non-finite weights); "
                                    "lower dis_lr or map_lr")
                break
            crit = mean_cosine_criterion(X[:crit_n] @ W, Z, crit_n, csls_k)
            info["gen_loss"].append(float(np.mean(g_losses)))
            info["disc_loss"].append(float(np.mean(d_losses)) if d_losses else float("nan"))
            info["disc_accuracy"].append(float(np.mean(d_acc)) if d_acc else float("nan"))
            info["selection"].append(crit)
            info["map_lr"].append(lr)
            if crit > best_crit:
                best_W, best_crit, best_epoch = W.copy(), crit, epoch
            elif lr_shrink < 1:
                lr *= lr_shrink
            lr *= lr_decay
            info["best_epoch"] = best_epoch
            info["seconds"] = time.perf_counter() - start
            if callback is not None:
                callback(restart * n_epochs + epoch, info)
        refined, refine_crit, refine_size, _ = procrustes_refinement(X, Z, best_W, n_refine, refine_n,
                                                                     csls_k, crit_n, refine_tol)
        info.update({"W": refined, "W_game": best_W, "best_selection": best_crit,
                     "refine_selection": refine_crit, "refine_size": refine_size,
                     "refined_selection": max([best_crit] + refine_crit)})
        summaries.append({k: info[k] for k in ("start_selection", "best_epoch", "best_selection",
                                               "refined_selection")})
        if chosen is None or info["refined_selection"] > chosen["refined_selection"]:
            chosen = info
    info = chosen
    limit = min(seed_n, len(src), len(tgt))
    pairs, scores = _csls_pairs((X[:limit] @ info["W"]), Z[:limit], csls_k, direction)
    info.update({"restarts": summaries, "seed_n": limit, "direction": direction,
                 "seconds": time.perf_counter() - start})
    return Seed(pairs, "adversarial", scores, info)



# --------------------------------------------------------------------------------------------------
# Gromov-Wasserstein: optimal transport between intralingual distance matrices


def sinkhorn_stabilized(p: np.ndarray, q: np.ndarray, M: np.ndarray, epsilon: float, f=None, g=None,
                        max_iter: int = 200, tol: float = 1e-5, absorb: float = 1e6):
    """Entropic optimal transport ``argmin_T <M, T> - epsilon H(T)`` with marginals ``p``, ``q``.

    Sinkhorn scaling with absorption of the scalings into dual potentials ``(f, g)`` (Schmitzer 2019;
    Chizat et al. 2018), so that small ``epsilon`` neither overflows nor underflows. The kernel
    ``exp((f + g - M) / epsilon)`` is rebuilt with an exact log-domain row update (one ``exp`` pass
    of the ``n x m`` matrix), then scaled with cheap matrix-vector products until the column
    marginal error is below ``tol`` or a scaling leaves ``[1/absorb, absorb]``. Warm-start by passing
    the previous call's potentials.

    Parameters
    ----------
    p, q : ndarray (n,), (m,)
        Marginals, positive, summing to 1.
    M : ndarray (n, m), float32
        Cost matrix.
    epsilon : float
        Entropic regularisation.
    f, g : ndarray or None
        Initial dual potentials (zeros if None).
    max_iter : int
        Maximum number of scaling iterations.
    tol : float
        L1 error tolerated on the column marginal.

    Returns
    -------
    T : float32 (n, m)
        The coupling.
    f, g : float64 (n,), (m,)
        Dual potentials, for warm starts.
    err : float
        Final L1 column-marginal error.

    References
    ----------
    Cuturi (2013). Sinkhorn distances: lightspeed computation of optimal transport. NeurIPS.
    Schmitzer (2019). Stabilized sparse scaling algorithms for entropy regularized transport
    problems. SIAM J. Sci. Comput.
    """
    n, m = M.shape
    f = np.zeros(n) if f is None else np.asarray(f, np.float64)
    g = np.zeros(m) if g is None else np.asarray(g, np.float64)
    log_p, log_q = np.log(p), np.log(q)
    eps32 = np.float32(epsilon)

    def row_update(g):
        E = (g.astype(np.float32)[None, :] - M) / eps32
        top = E.max(axis=1, keepdims=True)
        np.subtract(E, top, out=E)
        np.exp(E, out=E)
        total = E.sum(axis=1, dtype=np.float64)
        f_new = epsilon * (log_p - top[:, 0].astype(np.float64) - np.log(total))
        E *= (p / total).astype(np.float32)[:, None]  # = exp((f_new + g - M) / eps): rows sum to p
        return f_new, E

    def col_update(f):
        E = (f.astype(np.float32)[:, None] - M) / eps32
        top = E.max(axis=0, keepdims=True)
        np.subtract(E, top, out=E)
        np.exp(E, out=E)
        total = E.sum(axis=0, dtype=np.float64)
        return epsilon * (log_q - top[0].astype(np.float64) - np.log(total))

    g = col_update(f)
    f, K = row_update(g)
    u, v = np.ones(n, np.float32), np.ones(m, np.float32)
    p32, q32 = p.astype(np.float32), q.astype(np.float32)
    tiny = np.float32(1e-30)
    err = np.inf
    for it in range(max_iter):
        v = q32 / np.maximum(K.T @ u, tiny)
        Kv = K @ v
        u = p32 / np.maximum(Kv, tiny)
        if it % 5 == 4 or it == max_iter - 1:
            err = float(np.abs(v * (K.T @ u) - q32).sum())
            if err < tol:
                break
        if u.max() > absorb or v.max() > absorb or u.min() < 1 / absorb or v.min() < 1 / absorb:
            g = g + epsilon * np.log(v.astype(np.float64))
            f, K = row_update(g)  # absorbs u too: the row update recomputes f exactly
            u, v = np.ones(n, np.float32), np.ones(m, np.float32)
    f = f + epsilon * np.log(u.astype(np.float64))
    g = g + epsilon * np.log(v.astype(np.float64))
    K *= u[:, None]
    K *= v[None, :]
    return K, f, g, err


def _cosine_distance_product(X: np.ndarray, T: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """``(1 - X X^T) T (1 - Z Z^T)`` in O(n m d) instead of O(n m (n + m)).

    Cosine distance matrices of unit rows have rank ``d + 1``, which keeps Gromov-Wasserstein
    iterations cheap even for a few thousand words.
    """
    r = T.sum(axis=1)
    c = T.sum(axis=0)
    out = (X @ ((X.T @ T) @ Z)) @ Z.T                     # X X^T T Z Z^T
    out -= (X @ (X.T @ r))[:, None]                       # X X^T T 1 1^T
    out -= ((c @ Z) @ Z.T)[None, :]                       # 1 1^T T Z Z^T
    out += np.float32(r.sum())                            # 1 1^T T 1 1^T
    return out


def entropic_gromov_wasserstein(X: np.ndarray, Z: np.ndarray, epsilon: float = 5e-4,
                                epsilon_start: float = 5e-2, anneal_iter: int = 20, max_iter: int = 100,
                                tol: float = 1e-4, sinkhorn_iter: int = 100, init_noise: float = 0.0,
                                random_state=0, callback: Callable[[int, dict], None] | None = None):
    """Entropic Gromov-Wasserstein coupling of two point clouds (Peyré, Cuturi & Solomon 2016).

    Minimises ``sum_{ijkl} (C1_ik - C2_jl)^2 T_ij T_kl - epsilon H(T)`` over couplings ``T`` with
    uniform marginals, where ``C1``, ``C2`` are the cosine distances inside each space divided by
    their mean (so that two languages with different similarity ranges are comparable, as
    Alvarez-Melis & Jaakkola do). Each iteration linearises the objective at the current coupling
    (``tens = C1^2 p 1^T + 1 q^T C2^2 - 2 C1 T C2``) and solves the entropic transport problem for that
    cost with :func:`sinkhorn_stabilized`. ``epsilon`` is annealed geometrically from
    ``epsilon_start`` over ``anneal_iter`` iterations: a large ``epsilon`` first finds the coarse
    structure, a small one then sharpens the coupling (mitigates bad local minima).

    Parameters
    ----------
    X, Z : ndarray (n, d1), (m, d2)
        Unit rows; dimensions may differ.
    epsilon, epsilon_start : float
        Final and initial entropic regularisation (relative to mean-normalised distances).
    anneal_iter, max_iter : int
        Iterations of the annealing phase and in total.
    tol : float
        Stop once, at the final ``epsilon``, the objective changes by less than ``tol`` (relative)
        between two iterations.
    sinkhorn_iter : int
        Maximum Sinkhorn iterations per outer iteration (warm-started).
    init_noise : float
        Multiplicative noise on the initial product coupling (0: deterministic); uses ``random_state``.
    random_state : int, Generator or None
    callback : callable, optional
        ``callback(iteration, info)`` after each outer iteration.

    Returns
    -------
    T : float32 (n, m)
        The coupling (sums to 1).
    info : dict
        Per iteration: ``objective`` (the GW loss of the coupling it started from), ``epsilon``,
        ``change`` (L1 change of the coupling); and ``n_iter``, ``seconds``.

    References
    ----------
    Peyré, Cuturi & Solomon (2016). Gromov-Wasserstein averaging of kernel and distance matrices. ICML.
    Alvarez-Melis & Jaakkola (2018). Gromov-Wasserstein alignment of word embedding spaces. EMNLP.
    """
    start = time.perf_counter()
    X = np.ascontiguousarray(X, dtype=np.float32)
    Z = np.ascontiguousarray(Z, dtype=np.float32)
    n, m = len(X), len(Z)
    p, q = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
    # mean of 1 - x_i.x_k over all pairs is 1 - |mean x|^2: no n x n matrix needed
    s1 = float(1.0 - np.sum(X.mean(axis=0, dtype=np.float64) ** 2))
    s2 = float(1.0 - np.sum(Z.mean(axis=0, dtype=np.float64) ** 2))
    sq1 = np.empty(n, np.float32)
    for lo in range(0, n, 1024):  # row sums of squared distances, in blocks
        sq1[lo:lo + 1024] = np.square((1.0 - X[lo:lo + 1024] @ X.T) / s1).mean(axis=1)
    sq2 = np.empty(m, np.float32)
    for lo in range(0, m, 1024):
        sq2[lo:lo + 1024] = np.square((1.0 - Z[lo:lo + 1024] @ Z.T) / s2).mean(axis=1)
    const = sq1[:, None] + sq2[None, :]
    T = np.full((n, m), 1.0 / (n * m), np.float32)
    if init_noise > 0:
        T *= np.exp(init_noise * _rng(random_state).standard_normal((n, m))).astype(np.float32)
        T /= T.sum()
    f = g = None
    info = {"objective": [], "epsilon": [], "change": [], "n_iter": 0}
    ratio = (epsilon / epsilon_start) ** (1.0 / max(anneal_iter - 1, 1)) if epsilon_start > epsilon else 1.0
    for it in range(max_iter):
        eps = max(epsilon, epsilon_start * ratio ** it) if epsilon_start > epsilon else epsilon
        tens = const - (2.0 / (s1 * s2)) * _cosine_distance_product(X, T, Z)
        info["objective"].append(float(np.vdot(tens, T)))
        # warm start: dual potentials are in cost units, nearly independent of epsilon
        T_new, f, g, _ = sinkhorn_stabilized(p, q, tens, eps, f, g, max_iter=sinkhorn_iter)
        change = float(np.abs(T_new - T).sum())
        T = T_new
        info["epsilon"].append(eps)
        info["change"].append(change)
        info["n_iter"] = it + 1
        if callback is not None:
            callback(it, info)
        obj = info["objective"]
        if eps <= epsilon and len(obj) > anneal_iter and abs(obj[-2] - obj[-1]) <= tol * abs(obj[-1]):
            break
    info["seconds"] = time.perf_counter() - start
    return T, info


def coupling_pairs(T: np.ndarray, direction: str = "mutual"):
    """Read a seed off a coupling: row-wise and column-wise argmax.

    ``direction``: ``"forward"`` (argmax of each row), ``"backward"`` (of each column), ``"union"``
    or ``"mutual"`` (pairs that are the argmax of both their row and their column). Scores are the
    coupling mass times ``n`` (1 means all of a row's mass on the pair).
    """
    if direction not in ("forward", "backward", "union", "mutual"):
        raise ConfigError(f"direction must be 'forward', 'backward', 'union' or 'mutual', not {direction!r}.")
    n, m = T.shape
    fwd, bwd = T.argmax(axis=1), T.argmax(axis=0)
    rows, cols = np.arange(n), np.arange(m)
    if direction == "forward":
        src_idx, tgt_idx = rows, fwd
    elif direction == "backward":
        src_idx, tgt_idx = bwd, cols
    elif direction == "mutual":
        keep = bwd[fwd] == rows
        src_idx, tgt_idx = rows[keep], fwd[keep]
    else:
        src_idx, tgt_idx = np.concatenate([rows, bwd]), np.concatenate([fwd, cols])
    return _unique_pairs(src_idx, tgt_idx, T[src_idx, tgt_idx] * n)


def gromov_wasserstein_seed(src: Embeddings, tgt: Embeddings, n: int = 2500, epsilon: float = 5e-4,
                            epsilon_start: float = 5e-2, anneal_iter: int = 20, max_iter: int = 100,
                            tol: float = 1e-4, direction: str = "mutual", init_noise: float = 0.0, random_state=0,
                            callback: Callable[[int, dict], None] | None = None) -> Seed:
    """Fully unsupervised seed from Gromov-Wasserstein optimal transport (Alvarez-Melis & Jaakkola 2018).

    Gromov-Wasserstein compares how words relate to each other inside each language (intralingual
    cosine distances) instead of the vectors themselves, so it needs neither a shared space nor
    equal dimensions. The coupling of the ``n`` most frequent words of each side, computed by
    :func:`entropic_gromov_wasserstein`, gives the seed by :func:`coupling_pairs`.

    Parameters
    ----------
    src, tgt : Embeddings
        Normalised spaces.
    n : int
        Words per side. Memory and the Sinkhorn/``exp`` passes grow with ``n^2``, the linearised
        gradient with ``n^2 d`` (cosine distances have rank ``d + 1``): 2,500 words (25 MB per
        ``n x n`` float32 matrix) run in one to three minutes on two cores. Alvarez-Melis & Jaakkola
        used a few thousand words too, then Procrustes on the whole vocabulary, as self-learning does here.
    epsilon, epsilon_start, anneal_iter, max_iter, tol, init_noise, random_state, callback
        See :func:`entropic_gromov_wasserstein`.
    direction : {"mutual", "union", "forward", "backward"}
        Mutual argmax pairs by default: a coupling at small ``epsilon`` is nearly a permutation and
        the mutual pairs are its confident part.

    Returns
    -------
    Seed
        ``scores`` are coupling masses times ``n``; ``info`` holds the optimisation trace.

    Notes
    -----
    Distances are divided by their mean, so ``epsilon`` is relative to a mean distance of 1. At the
    final ``epsilon = 5e-4`` the coupling is nearly a permutation (on the bundled pairs 70-85% of the
    rows have a mutual argmax) while the warm-started stabilised Sinkhorn stays cheap and finite;
    starting at ``5e-2`` (a blurred coupling that only sees coarse structure) and annealing over 20
    iterations avoids committing early to one of the many local minima of this non-convex problem.

    References
    ----------
    Alvarez-Melis & Jaakkola (2018). Gromov-Wasserstein alignment of word embedding spaces. EMNLP.
    Peyré, Cuturi & Solomon (2016). Gromov-Wasserstein averaging of kernel and distance matrices. ICML.
    """
    n = _check_n(n, src, tgt, "The Gromov-Wasserstein seed", max_n=MAX_GROMOV_WASSERSTEIN_N)
    X = src.vectors[:n] / np.maximum(np.linalg.norm(src.vectors[:n], axis=1, keepdims=True), 1e-12)
    Z = tgt.vectors[:n] / np.maximum(np.linalg.norm(tgt.vectors[:n], axis=1, keepdims=True), 1e-12)
    T, info = entropic_gromov_wasserstein(X, Z, epsilon, epsilon_start, anneal_iter, max_iter, tol,
                                          init_noise=init_noise, random_state=random_state,
                                          callback=callback)
    pairs, scores = coupling_pairs(T, direction)
    info.update({"n": n, "direction": direction, "final_epsilon": epsilon})
    return Seed(pairs, "gromov-wasserstein", scores, info)


# --------------------------------------------------------------------------------------------------
# registry


SEED_STRATEGIES: dict[str, Callable[..., Seed]] = {
    "dictionary": dictionary_seed,
    "random": random_seed,
    "identical": identical_seed,
    "numerals": numerals_seed,
    "unsupervised": second_order_seed,
    "adversarial": adversarial_seed,
    "gromov-wasserstein": gromov_wasserstein_seed,
}


def build_seed(strategy: str, src: Embeddings, tgt: Embeddings, **kw) -> Seed:
    """Build a seed with the named strategy of :data:`SEED_STRATEGIES`.

    Keyword arguments go to the strategy (e.g. ``pairs=`` for ``dictionary`` and ``random``).
    """
    if strategy not in SEED_STRATEGIES:
        raise ConfigError(f"Unknown seed strategy {strategy!r}; choose one of {', '.join(SEED_STRATEGIES)}.")
    fn = SEED_STRATEGIES[strategy]
    if strategy in ("dictionary", "random") and kw.get("pairs") is None:
        raise ConfigError(f"The {strategy!r} seed needs a bilingual dictionary (pairs=[(src, tgt), ...]).")
    return fn(src, tgt, **kw)
