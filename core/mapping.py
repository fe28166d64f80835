"""Linear cross-lingual mappings learned from a (seed or induced) dictionary.

A :class:`Mapping` maps *both* spaces into a shared space: ``X @ Wx`` and ``Z @ Wz``. For spaces of
equal dimension the orthogonal and least-squares mappings keep the target fixed (``Wz = I``) as in
VecMap and MUSE.

Spaces of different dimensionality (the bundled English is 50-d GloVe, French and Finnish are 300-d)
are handled by the *rectangular* (semi-orthogonal) Procrustes problem

    max_{Wx, Wz}  tr( (Xd Wx)^T (Zd Wz) )   s.t.  Wx^T Wx = Wz^T Wz = I_r,   r = min(d1, d2),

whose solution, with ``U S V^T = SVD(Xd^T Zd)``, is ``Wx = U[:, :r]``, ``Wz = V[:, :r]``: both spaces are
rotated into the ``r``-dimensional subspaces along which the dictionary pairs covary most. Neither space
is stretched (columns stay orthonormal), so within-language similarities are only projected, never
distorted, and for equal dimensions the cross-lingual similarities are exactly those of ``W = U V^T``
applied to ``X`` alone (``V`` is square orthogonal). The larger space loses the ``d_max - r`` dimensions
the dictionary says nothing about; rows should be re-normalised to unit length before retrieval (the
projection shortens them unevenly), which the engine does.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from .errors import ConfigError
from .normalize import grid_unit_rows, unit_length
from .similarity import mean_of_topk, scan_topk, single_thread_blas

MAPPING_METHODS = ("procrustes", "least_squares", "multistep", "rcsls")


MIN_PAIRS = 2


@dataclass(frozen=True, eq=False)
class Mapping:
    """A pair of linear maps into a shared space: source ``X @ Wx``, target ``Z @ Wz``.

    Attributes
    ----------
    Wx : float32 (d1, r)
    Wz : float32 (d2, r)
    method : str
    info : dict
        Method-specific diagnostics (e.g. singular values).
    """

    Wx: np.ndarray
    Wz: np.ndarray
    method: str
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "Wx", np.ascontiguousarray(self.Wx, dtype=np.float32))
        object.__setattr__(self, "Wz", np.ascontiguousarray(self.Wz, dtype=np.float32))
        if self.Wx.shape[1] != self.Wz.shape[1]:
            raise ValueError(f"Wx {self.Wx.shape} and Wz {self.Wz.shape} map to different dimensions")

    @property
    def dim(self) -> int:
        """Dimension of the shared space."""
        return self.Wx.shape[1]

    def transform_src(self, X, normalize: bool = False) -> np.ndarray:
        """``X @ Wx`` as float32; ``normalize`` re-scales rows to unit length (for cosine retrieval), computed
        in float64 and rounded to the grid of :func:`core.normalize.grid_unit_rows`, so that the similarities
        that decide a dictionary are the same on every machine."""
        return _apply(X, self.Wx, normalize)

    def transform_tgt(self, Z, normalize: bool = False) -> np.ndarray:
        """``Z @ Wz`` as float32; ``normalize`` as in :meth:`transform_src`."""
        return _apply(Z, self.Wz, normalize)


def _apply(X, W, normalize):
    X = np.asarray(X, dtype=np.float32)
    if X.shape[-1] != W.shape[0]:
        raise ConfigError(f"the mapping expects vectors of dimension {W.shape[0]}, got {X.shape[-1]}")
    identity = W.shape[0] == W.shape[1] and np.array_equal(W, np.eye(W.shape[0], dtype=np.float32))
    if not normalize:
        return np.array(X, dtype=np.float32, order="C", copy=True) if identity else X @ W
    if identity:
        return grid_unit_rows(X)
    # unit rows, the ones retrieval compares: the n x d x d product in float64 (cheap next to the
    # n x n x d similarities), so that machines differ by ~1e-16 before the grid rounding
    W64 = np.asarray(W, np.float64)
    out = np.empty((len(X), W.shape[1]), np.float32)
    for i in range(0, len(X), _APPLY_CHUNK):
        out[i:i + _APPLY_CHUNK] = grid_unit_rows(X[i:i + _APPLY_CHUNK].astype(np.float64) @ W64)
    return out


_APPLY_CHUNK = 16384


def _check_pairs(Xd, Zd, minimum=MIN_PAIRS, dtype=np.float64):
    Xd = np.asarray(Xd, dtype=dtype)
    Zd = np.asarray(Zd, dtype=dtype)
    if Xd.ndim != 2 or Zd.ndim != 2 or len(Xd) != len(Zd):
        raise ConfigError(f"dictionary rows must be two matrices with the same number of rows "
                          f"(got {Xd.shape} and {Zd.shape})")
    if len(Xd) < minimum:
        raise ConfigError(f"learning a mapping needs at least {minimum} dictionary pairs in the "
                          f"vocabularies, got {len(Xd)}; use a larger seed dictionary or another seed")
    return Xd, Zd


def procrustes(Xd, Zd) -> Mapping:
    """Orthogonal Procrustes mapping (Schönemann 1966; Xing, Wang, Liu & Lin 2015, NAACL; Artetxe,
    Labaka & Agirre 2016, EMNLP): ``W = argmin_{W^T W = I} ||Xd W - Zd||_F = U V^T`` with
    ``U S V^T = SVD(Xd^T Zd)``.

    Different dimensions: the rectangular Procrustes problem (see the module docstring); the smaller
    space keeps its coordinates and the larger one is projected into them (``Wx = I, Wz = W^T`` when
    ``d1 < d2``), which gives the same similarities as ``Wx = U_r, Wz = V_r`` without their arbitrary
    signs.

    Fewer independent pairs than dimensions (a 25-pair seed in 50 dimensions) leave ``W`` undetermined
    on the directions the dictionary does not span: any orthogonal completion fits equally well, and
    LAPACK picks one by its summation order, so two BLAS kernels gave two different seed mappings, two
    dictionaries and two runs. :func:`canonical_polar` completes ``W`` the one way that moves those
    directions least (closest to the identity), on every machine.

    Parameters
    ----------
    Xd : array_like (k, d1)
        Source rows of the dictionary pairs.
    Zd : array_like (k, d2)
        Target rows.

    Returns
    -------
    Mapping
    """
    # The k x d product in float64: products of float32 entries are exact there, so two machines'
    # summation orders differ by ~1e-16 (float32: ~1e-6, enough to move a dictionary), and the
    # directions a small dictionary does not span get singular values far below the rank tolerance.
    Xd, Zd = _check_pairs(Xd, Zd, dtype=np.float32)
    d1, d2 = Xd.shape[1], Zd.shape[1]
    M = np.zeros((d1, d2))
    for i in range(0, len(Xd), _APPLY_CHUNK):
        M += Xd[i:i + _APPLY_CHUNK].T.astype(np.float64) @ Zd[i:i + _APPLY_CHUNK].astype(np.float64)
    W, s = canonical_polar(M)
    if d1 >= d2:
        return Mapping(W, np.eye(d2), "procrustes", {"singular_values": s})
    return Mapping(np.eye(d1), W.T, "procrustes", {"singular_values": s})


RANK_TOLERANCE = 1e-6


def canonical_polar(M: np.ndarray, rtol: float = RANK_TOLERANCE) -> tuple[np.ndarray, np.ndarray]:
    """The orthogonal (or semi-orthogonal) ``W`` maximising ``tr(W^T M)``, unique on every machine.

    Where ``M`` has full rank ``min(d1, d2)`` this is the polar factor ``U V^T`` of ``U S V^T = SVD(M)``.
    Where it has rank ``rho`` below that (singular values under ``rtol * s_max``), ``tr(W^T M)`` fixes
    ``W`` only on the ``rho`` leading singular directions; on the rest ``W`` is completed by the
    orthogonal map between the two null spaces that is closest to the identity ``E = eye(d1, d2)``
    (the polar factor of ``U_0^T E V_0``), which does not depend on the bases LAPACK returns for them.

    Parameters
    ----------
    M : float64 (d1, d2)
    rtol : float
        Relative rank tolerance.

    Returns
    -------
    W : float64 (d1, d2)
    s : float64 (min(d1, d2),) singular values of ``M``
    """
    d1, d2 = M.shape
    with single_thread_blas():
        U, s, Vt = np.linalg.svd(M, full_matrices=True)
        rho = int(np.sum(s > rtol * s[0])) if len(s) and s[0] > 0 else 0
        W = U[:, :rho] @ Vt[:rho]
        if rho < min(d1, d2):
            U0, V0 = U[:, rho:], Vt[rho:].T
            A, _, Bt = np.linalg.svd(U0.T @ np.eye(d1, d2) @ V0, full_matrices=False)
            W = W + (U0 @ A) @ (Bt @ V0.T)
    return W, s


def _one_blas_thread(func):
    """Run a mapping method on one BLAS thread: least squares and multistep work on float64 d x d
    matrices once per run, where a multi-threaded BLAS only adds synchronisation (5-10x slower on a
    busy machine). Procrustes threads its large product itself."""
    @functools.wraps(func)
    def wrapper(*args, **kw):
        with single_thread_blas():
            return func(*args, **kw)
    return wrapper


@_one_blas_thread
def least_squares(Xd, Zd, ridge: float = 0.0) -> Mapping:
    """Least-squares linear mapping (Mikolov, Le & Sutskever 2013, "Exploiting Similarities among
    Languages for Machine Translation"): ``W = argmin ||Xd W - Zd||_F^2 (+ ridge ||W||^2)``.

    The source is mapped into the target space (``Wz = I``), so spaces of different dimensions work
    as they are. ``ridge > 0`` regularises small dictionaries.
    """
    Xd, Zd = _check_pairs(Xd, Zd)
    if ridge > 0:
        d1 = Xd.shape[1]
        W = np.linalg.solve(Xd.T @ Xd + ridge * np.eye(d1), Xd.T @ Zd)
    else:
        W = np.linalg.lstsq(Xd, Zd, rcond=None)[0]
    return Mapping(W, np.eye(Zd.shape[1]), "least_squares", {"ridge": ridge})


def _whitening(C: np.ndarray, n: int) -> np.ndarray:
    """(M^T M)^(-1/2) from the Gram matrix ``C = M^T M`` of the ``n`` dictionary rows: V diag(1/sqrt(w)) V^T.
    (An eigendecomposition of the d x d Gram matrix instead of an SVD of the n x d rows: same result,
    ~20x faster for n = 30,000 pairs.)"""
    w, V = np.linalg.eigh(C)
    if w[0] <= w[-1] * 1e-12:
        raise ConfigError("whitening needs dictionary rows that span the space: the dictionary has "
                          f"{n} pairs for {C.shape[0]} dimensions (nearly) linearly dependent; "
                          "use more pairs or whiten=False")
    return (V / np.sqrt(w)) @ V.T


@_one_blas_thread
def multistep(Xd, Zd, X=None, Z=None, whiten: bool = True, src_reweight: float = 0.5,
              trg_reweight: float = 0.5, src_dewhiten: str | None = "src",
              trg_dewhiten: str | None = "trg", dim_reduction: int = 0) -> Mapping:
    """The multi-step framework of Artetxe, Labaka & Agirre (2018, AAAI, "Generalizing and Improving
    Bilingual Word Embedding Mappings with a Multi-Step Framework of Linear Transformations").

    Steps (each optional): (1) whitening of both sides with the dictionary rows' covariance,
    (2) orthogonal mapping into a shared space, (3) re-weighting by the singular values ``s**src_reweight``
    and ``s**trg_reweight``, (4) de-whitening with the source's or target's whitening expressed in the
    shared basis, (5) dimensionality reduction to the first ``dim_reduction`` shared dimensions.
    The defaults are VecMap's supervised (and unsupervised-final) preset.

    Different dimensions: step 2 is the rectangular Procrustes problem (shared space of dimension
    ``min(d1, d2)``), and the de-whitening matrices are expressed in that basis, so every step is defined.

    Parameters
    ----------
    Xd, Zd : array_like (k, d1), (k, d2)
        Dictionary rows.
    X, Z : ignored
        Accepted for the contract's signature (the statistics come from the dictionary rows, as in VecMap).
    whiten : bool
    src_reweight, trg_reweight : float
    src_dewhiten, trg_dewhiten : {"src", "trg", None}
    dim_reduction : int
        0 keeps all dimensions.
    """
    Xd, Zd = _check_pairs(Xd, Zd)
    for name, val in (("src_dewhiten", src_dewhiten), ("trg_dewhiten", trg_dewhiten)):
        if val not in ("src", "trg", None, "none"):
            raise ConfigError(f"{name} must be 'src', 'trg' or None, got {val!r}")
    d1, d2 = Xd.shape[1], Zd.shape[1]
    if whiten:
        if len(Xd) < max(d1, d2):
            raise ConfigError(f"whitening needs at least as many dictionary pairs as dimensions "
                              f"({max(d1, d2)}), got {len(Xd)}; use whiten=False or a larger dictionary")
        Wx1, Wz1 = _whitening(Xd.T @ Xd, len(Xd)), _whitening(Zd.T @ Zd, len(Zd))
    else:
        Wx1, Wz1 = np.eye(d1), np.eye(d2)
    # (Xd Wx1)^T (Zd Wz1) from the d1 x d2 cross-covariance: no whitened copy of the rows
    U, s, Vt = np.linalg.svd(Wx1.T @ (Xd.T @ Zd) @ Wz1, full_matrices=False)
    r = min(d1, d2)
    Wx2, Wz2, s = U[:, :r], Vt[:r].T, s[:r]
    Wx = Wx1 @ Wx2 * s ** src_reweight
    Wz = Wz1 @ Wz2 * s ** trg_reweight

    def dewhiten(which):
        if which == "src":
            return Wx2.T @ np.linalg.inv(Wx1) @ Wx2
        if which == "trg":
            return Wz2.T @ np.linalg.inv(Wz1) @ Wz2
        return np.eye(r)

    if whiten:
        Wx = Wx @ dewhiten(src_dewhiten)
        Wz = Wz @ dewhiten(trg_dewhiten)
    if dim_reduction and dim_reduction > 0:
        if dim_reduction > r:
            raise ConfigError(f"dim_reduction={dim_reduction} exceeds the shared dimension {r}")
        Wx, Wz = Wx[:, :dim_reduction], Wz[:, :dim_reduction]
    info = {"singular_values": s, "whiten": whiten, "src_reweight": src_reweight,
            "trg_reweight": trg_reweight, "src_dewhiten": src_dewhiten, "trg_dewhiten": trg_dewhiten,
            "dim_reduction": dim_reduction}
    return Mapping(Wx, Wz, "multistep", info)


def _rcsls_terms(A, B, W, Xn, Zn, k, batch_size):
    """Relaxed CSLS loss of ``W`` (cosines of the mapped rows, as CSLS retrieves) and what its
    gradient needs: the unit mapped pair rows and their norms, the unit mapped neighbourhood rows and
    their norms, and the neighbour indices (``k`` nearest targets ``Zn`` of each ``a W``, ``k`` nearest
    mapped sources ``Xn W`` of each ``b``)."""
    U, ru = unit_length(A @ W, dtype=None, return_norms=True)
    V, rv = unit_length(Xn @ W, dtype=None, return_norms=True)
    fv, fi = scan_topk(U, Zn, k, batch_size=batch_size)
    bv, bi = scan_topk(B, V, k, batch_size=batch_size)
    pos = np.einsum("ij,ij->i", U, B, dtype=np.float64)
    loss = float(np.mean(-2 * pos + mean_of_topk(fv) + mean_of_topk(bv)))   # minus the mean CSLS of the pairs
    return loss, (U, ru, V, rv, fi, bi)


def _rcsls_gradient(A, B, Xn, Zn, state) -> np.ndarray:
    """Gradient of the loss in W at fixed neighbour sets: d(u/|u|).g / du = (g - (û.g) û) / |u|."""
    U, ru, V, rv, fi, bi = state
    k = fi.shape[1]
    g = _mean_rows(Zn, fi) - 2 * B                        # forward terms, per pair
    g -= np.einsum("ij,ij->i", U, g)[:, None] * U
    G = A.T @ (g / ru[:, None])
    c = np.zeros_like(V)                                  # backward terms, per neighbour source word
    for j in range(k):
        np.add.at(c, bi[:, j], B)
    c /= k
    c -= np.einsum("ij,ij->i", V, c)[:, None] * V
    G += Xn.T @ (c / rv[:, None])
    return G / len(A)


def _mean_rows(M: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``M[idx].mean(axis=1)`` without the (n, k, d) gather."""
    out = M[idx[:, 0]].copy()
    for j in range(1, idx.shape[1]):
        out += M[idx[:, j]]
    out /= idx.shape[1]
    return out


def _spectral_ball(W: np.ndarray) -> np.ndarray:
    # Projection on {W : ||W||_2 <= 1}, the convex hull of the (semi-)orthogonal matrices.
    U, s, Vt = np.linalg.svd(W.astype(np.float64), full_matrices=False)
    return ((U * np.minimum(s, 1.0)) @ Vt).astype(np.float32)


def rcsls(Xd, Zd, X=None, Z=None, k: int = 10, n_neighbours: int = 20000, epochs: int = 10,
          lr: float = 0.5, init: Mapping | str | None = None, spectral: bool = True, batch_size: int = 1024,
          callback=None) -> Mapping:
    """Relaxed CSLS mapping, RCSLS (Joulin, Bojanowski, Mikolov, Jégou & Grave 2018, EMNLP, "Loss in
    Translation: Learning Bilingual Word Mapping with a Retrieval Criterion").

    Minimises the relaxed CSLS loss over the dictionary pairs ``(a_i, b_i)``

        L(W) = 1/n sum_i [ -2 (a_i W).b_i + 1/k sum_{z in N_k(a_i W)} (a_i W).z
                                          + 1/k sum_{x in N_k(b_i)} (x W).b_i ],

    where ``N_k(a_i W)`` are the ``k`` nearest of the ``n_neighbours`` most frequent target words and
    ``N_k(b_i)`` the ``k`` nearest mapped source words, by full-batch projected (sub)gradient descent
    from the Procrustes solution. The orthogonality constraint is relaxed to its convex hull, the
    spectral-norm ball ``||W||_2 <= 1``: every step is projected on it (singular values clipped at 1).
    A step that does not lower the loss is undone and the learning rate halved.

    The loss uses the cosines of the mapped rows (as CSLS retrieval does): with dot products, as in the
    paper, a loss above zero (noisy dictionaries: en-fr starts at +0.26) is lowered by shrinking ``W``
    inside the ball, and P@1 fell by 3-5 points. Defaults (``lr=0.5``, 10 epochs, ``k=10``, 20,000
    neighbours) chosen on dev splits of the training dictionaries (``bench/rcsls.py --split dev``; CSLS
    P@1, Procrustes / multi-step / RCSLS): en-fr 42.7 / 41.6 / 43.9, fi-fr 56.7 / 55.7 / 58.1; more
    epochs or a larger rate lower the loss further but overfit the dictionary (en-fr: 30 epochs at
    lr 1: 40.9; 10 at lr 2: 42.1).

    Different dimensions: the target side keeps the Procrustes ``Wz`` (the target rows are projected
    into the ``min(d1, d2)``-dimensional shared space and re-normalised) and ``Wx`` is learned.

    Parameters
    ----------
    Xd, Zd : array_like (n, d1), (n, d2)
        Dictionary rows (normalised spaces).
    X, Z : array_like (n_src, d1), (n_tgt, d2)
        The whole source and target spaces, frequency order: neighbours are searched among their first
        ``n_neighbours`` rows. Required.
    k : int
        Neighbourhood size of the CSLS terms.
    n_neighbours : int
    epochs : int
        Gradient steps (accepted or undone).
    lr : float
    init : Mapping, "procrustes", "multistep" or None
        Starting point (default: Procrustes on the same pairs).
    spectral : bool
        Project every step on the spectral-norm ball (the paper's relaxation; off: unconstrained).
    batch_size : int
        Rows per float32 similarity batch (no n x n matrix is built).
    callback : callable(epoch, loss, lr) or None

    Returns
    -------
    Mapping
        ``info`` holds the loss at the start and the end, the loss per epoch and the learning rate.
    """
    if X is None or Z is None:
        raise ConfigError("RCSLS needs the whole source and target spaces (X=, Z=) to find the neighbours")
    if k < 1 or n_neighbours < k:
        raise ConfigError(f"RCSLS needs k >= 1 and n_neighbours >= k (got k={k}, n_neighbours={n_neighbours})")
    if epochs < 0 or lr <= 0:
        raise ConfigError(f"RCSLS needs epochs >= 0 and lr > 0 (got epochs={epochs}, lr={lr})")
    Xd, Zd = _check_pairs(Xd, Zd, dtype=np.float32)
    if init is None or isinstance(init, str):
        base = {"procrustes": procrustes, "multistep": multistep, None: procrustes}[init](Xd, Zd)
    else:
        base = init
    Wz = base.Wz
    A = np.asarray(Xd, np.float32)
    B = unit_length(Zd @ Wz)
    Xn = np.ascontiguousarray(np.asarray(X, np.float32)[:n_neighbours])
    Zn = unit_length(np.asarray(Z, np.float32)[:n_neighbours] @ Wz)
    W = base.Wx.copy()
    loss, state = _rcsls_terms(A, B, W, Xn, Zn, k, batch_size)
    losses = [loss]
    start = loss
    for epoch in range(epochs):
        G = _rcsls_gradient(A, B, Xn, Zn, state)
        W_new = W - np.float32(lr) * G
        if spectral:
            W_new = _spectral_ball(W_new)
        new_loss, new_state = _rcsls_terms(A, B, W_new, Xn, Zn, k, batch_size)
        if new_loss < loss:
            W, loss, state = W_new, new_loss, new_state
        else:
            lr /= 2
        losses.append(loss)
        if callback is not None:
            callback(epoch + 1, loss, lr)
    info = {"loss_init": start, "loss": loss, "losses": losses, "lr": lr, "k": k,
            "n_neighbours": n_neighbours, "epochs": epochs}
    return Mapping(W, Wz, "rcsls", info)


_METHODS = {"procrustes": procrustes, "least_squares": least_squares, "multistep": multistep, "rcsls": rcsls}
# Methods that need the whole spaces, not only the dictionary rows (fit_mapping's callers pass X=, Z=).
NEEDS_SPACES = ("rcsls",)


def fit_mapping(method: str, Xd, Zd, **kw) -> Mapping:
    """Fit a mapping by name: ``"procrustes"``, ``"least_squares"``, ``"multistep"`` or ``"rcsls"``
    (which also needs ``X=``, ``Z=``, the whole spaces)."""
    func = _METHODS.get(method)
    if func is None:
        raise ConfigError(f"unknown mapping method '{method}'; use one of {', '.join(MAPPING_METHODS)}")
    return func(Xd, Zd, **kw)
