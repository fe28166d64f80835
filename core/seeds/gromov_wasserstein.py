"""Gromov-Wasserstein seed: entropic optimal transport between the intralingual distance matrices
(Alvarez-Melis & Jaakkola 2018), with a stabilised Sinkhorn solver."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from ..errors import ConfigError
from ..io import Embeddings
from ..normalize import unit_length
from ._common import Seed, _check_n, _rng, _unique_pairs

__all__ = ["gromov_wasserstein_seed", "entropic_gromov_wasserstein", "sinkhorn_stabilized", "coupling_pairs",
           "MAX_GROMOV_WASSERSTEIN_N"]

# memory guard: a few n x n float32 matrices (cost, kernel, coupling) are held at once
MAX_GROMOV_WASSERSTEIN_N = 5000

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
    X = unit_length(src.vectors[:n], dtype=None, summation="linalg")
    Z = unit_length(tgt.vectors[:n], dtype=None, summation="linalg")
    T, info = entropic_gromov_wasserstein(X, Z, epsilon, epsilon_start, anneal_iter, max_iter, tol,
                                          init_noise=init_noise, random_state=random_state,
                                          callback=callback)
    pairs, scores = coupling_pairs(T, direction)
    info.update({"n": n, "direction": direction, "final_epsilon": epsilon})
    return Seed(pairs, "gromov-wasserstein", scores, info)
