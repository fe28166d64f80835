"""Embedding normalisation, applied as a user-given sequence of steps (as VecMap's ``--normalize``).

Steps (Artetxe et al. 2018, AAAI, section 3.1; Zhang et al. 2019):

``"unit"``
    Every word vector scaled to unit Euclidean length.
``"center"``
    Mean centering: the average vector is subtracted from every word vector.
``"unitdim"``
    Every dimension scaled to unit variance (root mean square 1 over the vocabulary); after
    ``"center"`` this is standardisation.
``"iternorm"``
    Iterative normalisation (Zhang et al. 2019, "Are girls neko or shōjo?"): alternate unit length and
    centering until both hold at once.
``"none"``
    Nothing.

All functions return new C-contiguous float32 arrays and never modify their input.

:func:`grid_unit_rows` is the engine's unit length for *mapped* vectors, the ones whose similarities
decide a dictionary: rows scaled in float64 and rounded to multiples of ``2**-GRID_BITS``. Every
product of two such rows is then a multiple of ``2**-22`` below 1 in magnitude, as is every partial
sum of it, so a float32 matrix product computes each cosine *exactly*, in any summation order, on any
BLAS kernel and thread count, and an argmax, a top-k or a threshold decides the same way on every
machine (issue 21: a Haswell and a SkylakeX kernel gave two dictionaries). The rounding moves a
cosine by about 1e-4, the size of the float16 rounding the bundled spaces are stored with.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import ConfigError

NORMALIZATION_STEPS = ("unit", "center", "unitdim", "iternorm")
_EPS = 1e-12


def _as_f32(X) -> np.ndarray:
    return np.array(X, dtype=np.float32, order="C", copy=True)


NORM_SUMMATIONS = ("einsum", "linalg")


def row_norms(X: np.ndarray, summation: str = "einsum") -> np.ndarray:
    """Euclidean norm of every row (last axis), floored so that dividing by it leaves a zero row at zero.

    Two summations, kept because results were recorded with each: ``"einsum"`` (the engine's: squared
    norms by ``einsum``, norms below 1e-12 replaced by 1) and ``"linalg"`` (``np.linalg.norm``'s pairwise
    sum, floored at 1e-12: the isomorphism diagnostics' and the GW / adversarial seeds' spaces). They
    differ in the last bit of about a third of float32 rows.
    """
    if summation == "einsum":
        norms = np.sqrt(np.einsum("...j,...j->...", X, X))
        norms[norms < _EPS] = 1.0
        return norms
    if summation == "linalg":
        return np.maximum(np.linalg.norm(X, axis=-1), X.dtype.type(_EPS))
    raise ConfigError(f"unknown summation '{summation}'; use one of {', '.join(NORM_SUMMATIONS)}")


def _divide_by_row_norms(X: np.ndarray, summation: str = "einsum") -> np.ndarray:
    """Scale the rows of ``X`` to unit length in place; return the norms divided by."""
    norms = row_norms(X, summation)
    X /= norms[..., None]
    return norms


def unit_length(X, dtype=np.float32, *, summation: str = "einsum", return_norms: bool = False):
    """Scale every row to unit Euclidean length (zero rows are left at zero): the one row normalisation.

    Parameters
    ----------
    X : array_like of shape (..., d)
        Rows along the last axis (a stack of row sets is allowed).
    dtype : dtype or None
        Precision of the result and of the arithmetic (None: keep ``X``'s).
    summation : {"einsum", "linalg"}
        How the norms are summed (see :func:`row_norms`); ``"einsum"`` is the engine's.
    return_norms : bool
        Also return the norms the rows were divided by (for gradients through the normalisation).

    Returns
    -------
    ndarray of shape (..., d), a new C-contiguous array; and the norms (shape (...,)) with ``return_norms``
    """
    X = np.array(X, dtype=dtype, order="C", copy=True)
    norms = _divide_by_row_norms(X, summation)
    return (X, norms) if return_norms else X


GRID_BITS = 11
_GRID = float(2 ** GRID_BITS)
_GRID_CHUNK = 4096          # rows per float64 block: stays in cache


def grid_unit_rows(Y) -> np.ndarray:
    """Unit rows on the ``2**-GRID_BITS`` grid (float32), computed in float64.

    Float64 keeps the differences between machines (summation order in the products that made ``Y``)
    near 1e-16, far below the grid step (4.9e-4), so the rounded rows are the same everywhere; products
    of rounded rows are exact in float32 (see the module docstring). Zero rows stay zero.

    Parameters
    ----------
    Y : array_like (n, d), float32 or float64

    Returns
    -------
    ndarray of float32, shape (n, d)
    """
    Y = np.asarray(Y)
    out = np.empty(Y.shape, np.float32)
    for i in range(0, len(Y), _GRID_CHUNK):
        B = np.array(Y[i:i + _GRID_CHUNK], dtype=np.float64)
        B *= (_GRID / row_norms(B))[:, None]
        np.rint(B, out=B)
        np.multiply(B, 1 / _GRID, out=out[i:i + len(B)], casting="same_kind")   # exact: a power of 2
    return out


def center(X) -> np.ndarray:
    """Subtract the mean vector (mean centering; Artetxe et al. 2018, AAAI).

    The mean is accumulated in float64 so that large vocabularies do not lose precision.
    """
    X = _as_f32(X)
    X -= X.mean(axis=0, dtype=np.float64).astype(np.float32)
    return X


def unit_variance(X) -> np.ndarray:
    """Scale every dimension to unit variance (root mean square 1 over the rows; constant-zero
    dimensions are left alone). Equivalent to standardisation when the space is centred."""
    X = _as_f32(X)
    rms = np.sqrt(np.einsum("ij,ij->j", X, X, dtype=np.float64) / max(len(X), 1))
    rms[rms < _EPS] = 1.0
    X /= rms.astype(np.float32)
    return X


def iterative_normalization(X, n_iter: int = 5) -> np.ndarray:
    """Iterative normalisation (Zhang, Xu, Kamath et al. 2019, "Are Girls Neko or Shōjo?
    Cross-Lingual Alignment of Non-Isomorphic Embeddings with Iterative Normalization", ACL).

    Alternates unit length and mean centering ``n_iter`` times, ending with unit length, so that the
    vectors are (approximately) both unit length and zero mean -- the condition under which an
    orthogonal map can align two spaces' inner products.

    Parameters
    ----------
    X : array_like of shape (n, d)
    n_iter : int, default 5
    """
    if n_iter < 1:
        raise ConfigError(f"iterative normalisation needs n_iter >= 1 (got {n_iter})")
    X = unit_length(X)
    for _ in range(n_iter):
        X = unit_length(center(X))
    return X


_STEP_FUNCS = {"unit": unit_length, "center": center, "unitdim": unit_variance,
               "iternorm": iterative_normalization}


def normalize(X, steps: Sequence[str] | str = ("unit", "center", "unit")) -> np.ndarray:
    """Apply normalisation steps in the given order (VecMap's ``--normalize unit center unit``).

    Parameters
    ----------
    X : array_like of shape (n, d)
    steps : sequence of str, or one str
        Each of ``"unit"``, ``"center"``, ``"unitdim"``, ``"iternorm"``, ``"none"``; repeats allowed.

    Returns
    -------
    ndarray of float32, shape (n, d) -- always a new array.

    Raises
    ------
    ConfigError
        For an unknown step name.
    """
    if isinstance(steps, str):
        steps = (steps,)
    out = _as_f32(X)
    for step in steps:
        if step == "none":
            continue
        func = _STEP_FUNCS.get(step)
        if func is None:
            raise ConfigError(f"unknown normalisation step '{step}'; use any sequence of "
                              f"{', '.join(NORMALIZATION_STEPS + ('none',))}")
        out = func(out)
    return out


def fit_normalization(X, steps: Sequence[str] | str = ("unit", "center", "unit")) -> list[tuple[str, np.ndarray | None]]:
    """The statistics :func:`normalize` uses on ``X``, as operations to replay on other rows.

    ``apply_normalization(X, fit_normalization(X, steps))`` equals ``normalize(X, steps)``; applied to a
    vector that is not a row of ``X`` (a fastText word built from its n-grams) it normalises that vector
    as a row of ``X`` would have been: the same mean removed, the same dimensions rescaled.

    Returns
    -------
    list of (op, statistic): ``("unit", None)``, ``("center", mean)``, ``("unitdim", rms)``
    """
    if isinstance(steps, str):
        steps = (steps,)
    expanded = []
    for step in steps:
        if step == "iternorm":
            expanded += ["unit"] + ["center", "unit"] * 5
        elif step != "none":
            if step not in _STEP_FUNCS:
                raise ConfigError(f"unknown normalisation step '{step}'")
            expanded.append(step)
    ops = []
    out = _as_f32(X)
    for step in expanded:
        if step == "center":
            stat = out.mean(axis=0, dtype=np.float64).astype(np.float32)
        elif step == "unitdim":
            stat = np.sqrt(np.einsum("ij,ij->j", out, out, dtype=np.float64) / max(len(out), 1))
            stat[stat < _EPS] = 1.0
            stat = stat.astype(np.float32)
        else:
            stat = None
        ops.append((step, stat))
        out = apply_normalization(out, ops[-1:])
    return ops


def apply_normalization(V, ops) -> np.ndarray:
    """Replay the operations of :func:`fit_normalization` on the rows of ``V`` (a new float32 array)."""
    V = _as_f32(np.atleast_2d(V))
    for step, stat in ops:
        if step == "unit":
            _divide_by_row_norms(V)
        elif step == "center":
            V -= stat
        else:
            V /= stat
    return V


def pca_reduce(X, dim: int, n_fit: int | None = None) -> np.ndarray:
    """Project a space on its ``dim`` leading principal axes (principal component analysis).

    Deterministic and seedless: the axes come from the exact SVD of the mean-centred rows (the first
    ``n_fit`` rows, i.e. the most frequent words, or all when None), and each axis is oriented so that
    its largest loading is positive, so the same input gives the same file on any machine. The
    projected rows are neither re-centred nor re-normalised: alignment normalises them anyway. Used to
    give two spaces a common dimension for tools that need one (VecMap, MUSE), e.g. French (300-d)
    reduced to the 50 dimensions of the bundled English.

    Parameters
    ----------
    X : array_like of shape (n, d)
    dim : int
        Target dimension, ``1 <= dim <= d``.
    n_fit : int or None
        Fit the axes on the first ``n_fit`` rows only.

    Returns
    -------
    ndarray of float32, shape (n, dim)

    References
    ----------
    Pearson (1901). On lines and planes of closest fit to systems of points in space.
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or not 1 <= int(dim) <= X.shape[1]:
        raise ConfigError(f"PCA needs 1 <= dim <= {X.shape[-1] if X.ndim == 2 else '?'} (the space's "
                          f"dimension), got dim={dim}")
    fit = X[:n_fit] if n_fit else X
    mean = fit.mean(axis=0, dtype=np.float64)
    _, _, vt = np.linalg.svd(fit.astype(np.float64) - mean, full_matrices=False)
    axes = vt[:int(dim)]
    flip = np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])
    axes = (axes * flip[:, None]).astype(np.float32)
    return np.ascontiguousarray((X - mean.astype(np.float32)) @ axes.T, dtype=np.float32)
