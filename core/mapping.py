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
from .similarity import single_thread_blas

MAPPING_METHODS = ("procrustes", "least_squares", "multistep")


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
        """``X @ Wx`` as float32; ``normalize`` re-scales rows to unit length (for cosine retrieval)."""
        return _apply(X, self.Wx, normalize)

    def transform_tgt(self, Z, normalize: bool = False) -> np.ndarray:
        """``Z @ Wz`` as float32; ``normalize`` re-scales rows to unit length."""
        return _apply(Z, self.Wz, normalize)


def _apply(X, W, normalize):
    X = np.asarray(X, dtype=np.float32)
    if X.shape[-1] != W.shape[0]:
        raise ConfigError(f"the mapping expects vectors of dimension {W.shape[0]}, got {X.shape[-1]}")
    if W.shape[0] == W.shape[1] and np.array_equal(W, np.eye(W.shape[0], dtype=np.float32)):
        out = np.array(X, dtype=np.float32, order="C", copy=True)
    else:
        out = X @ W
    if normalize:
        norms = np.sqrt(np.einsum("ij,ij->i", out, out))
        norms[norms < 1e-12] = 1.0
        out /= norms[:, None]
    return out


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

    Different dimensions: the rectangular Procrustes problem (see the module docstring) maps both
    spaces into an ``r = min(d1, d2)``-dimensional shared space with ``Wx = U_r``, ``Wz = V_r``.

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
    # The k x d product is the only large step: float32 on every BLAS thread (k is ~40,000 in a
    # self-learning step); the d x d SVD in float64 on one thread.
    Xd, Zd = _check_pairs(Xd, Zd, dtype=np.float32)
    d1, d2 = Xd.shape[1], Zd.shape[1]
    M = (Xd.T @ Zd).astype(np.float64)
    with single_thread_blas():
        U, s, Vt = np.linalg.svd(M, full_matrices=False)
    if d1 == d2:
        return Mapping(U @ Vt, np.eye(d2), "procrustes", {"singular_values": s})
    r = min(d1, d2)
    return Mapping(U[:, :r], Vt[:r].T, "procrustes", {"singular_values": s[:r]})


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


def _whitening(M: np.ndarray) -> np.ndarray:
    # (M^T M)^(-1/2) from the SVD of M: V diag(1/s) V^T.
    _, s, Vt = np.linalg.svd(M, full_matrices=False)
    if s[-1] <= s[0] * 1e-6:
        raise ConfigError("whitening needs dictionary rows that span the space: the dictionary has "
                          f"{len(M)} pairs for {M.shape[1]} dimensions (nearly) linearly dependent; "
                          "use more pairs or whiten=False")
    return (Vt.T / s) @ Vt


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
        Wx1, Wz1 = _whitening(Xd), _whitening(Zd)
    else:
        Wx1, Wz1 = np.eye(d1), np.eye(d2)
    xw, zw = Xd @ Wx1, Zd @ Wz1
    U, s, Vt = np.linalg.svd(xw.T @ zw, full_matrices=False)
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


_METHODS = {"procrustes": procrustes, "least_squares": least_squares, "multistep": multistep}


def fit_mapping(method: str, Xd, Zd, **kw) -> Mapping:
    """Fit a mapping by name: ``"procrustes"``, ``"least_squares"`` or ``"multistep"``."""
    func = _METHODS.get(method)
    if func is None:
        raise ConfigError(f"unknown mapping method '{method}'; use one of {', '.join(MAPPING_METHODS)}")
    return func(Xd, Zd, **kw)
