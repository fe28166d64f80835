"""Adversarial seed (MUSE): a discriminator MLP with hand-written gradients against an orthogonal
generator, then Procrustes refinement selected by MUSE's unsupervised criterion."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .. import similarity
from ..errors import ConfigError
from ..io import Embeddings
from ..normalize import unit_length
from ._common import Seed, _csls_pairs, _rng

__all__ = [
    "adversarial_seed", "ADVERSARIAL_INITS", "DiscriminatorParams", "discriminator_init",
    "discriminator_forward", "discriminator_backward", "bce_with_logits", "orthogonalize",
    "nearest_orthogonal", "moment_alignment", "pca_reduce", "mean_cosine_criterion", "procrustes_refinement",
]

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
    return unit_length((X - mean.astype(X.dtype)) @ vt[:dim].T.astype(X.dtype), summation="linalg")


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
    # not core.selection.mean_csls_criterion: off-grid rows and a float32 mean, as the recorded seeds were made
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
