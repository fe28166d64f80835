"""Two-dimensional projections of embedding rows, for plots.

Thin, seeded wrappers over scikit-learn's PCA (Pearson 1901) and t-SNE (van der Maaten & Hinton 2008)
and umap-learn's UMAP (McInnes et al. 2018). The only module of ``core`` that imports them; the app
plots what comes out and computes nothing itself.

References
----------
.. [1] K. Pearson, "On lines and planes of closest fit to systems of points in space",
   Philosophical Magazine 2(11), 1901.
.. [2] L. van der Maaten and G. Hinton, "Visualizing data using t-SNE", JMLR 9, 2008.
.. [3] L. McInnes, J. Healy and J. Melville, "UMAP: Uniform Manifold Approximation and Projection for
   dimension reduction", arXiv:1802.03426, 2018.
"""

from __future__ import annotations

import warnings

import numpy as np

from .errors import ConfigError

PROJECTION_METHODS = ("pca", "tsne", "umap")
PROJECTION_LABELS = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}


def _seed(random_state) -> int:
    """An int seed for libraries that do not take a Generator."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    return 0 if random_state is None else int(random_state)


def project_2d(vectors: np.ndarray, method: str = "pca", random_state=0, *, metric: str = "cosine",
               perplexity: float | None = None, n_neighbors: int | None = None) -> np.ndarray:
    """Project rows to two dimensions for a scatter plot.

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
        The rows to project (for a joint plot of two languages, stack both sides first: they must share
        a space, i.e. be mapped, or at least have the same dimension).
    method : {"pca", "tsne", "umap"}
        PCA (Pearson 1901) is linear and fast, so before/after plots keep global geometry; t-SNE
        (van der Maaten & Hinton 2008) and UMAP (McInnes et al. 2018) keep local neighbourhoods.
    random_state : int or numpy.random.Generator
        Seed: the same input and seed give the same picture.
    metric : str
        Distance for t-SNE and UMAP ("cosine" matches how neighbours are retrieved).
    perplexity : float, optional
        t-SNE perplexity; default ``min(30, (n - 1) / 3)`` so that small word sets work.
    n_neighbors : int, optional
        UMAP neighbourhood size; default ``min(15, n - 1)``.

    Returns
    -------
    ndarray of shape (n, 2), float32

    Raises
    ------
    ConfigError
        Unknown method, fewer than 3 rows, fewer than 2 dimensions or non-finite values.

    References
    ----------
    K. Pearson (1901); L. van der Maaten and G. Hinton (2008), JMLR 9; L. McInnes et al. (2018),
    arXiv:1802.03426.
    """
    method = str(method).lower().replace("-", "")
    if method not in PROJECTION_METHODS:
        raise ConfigError(f"unknown projection method {method!r}; choose one of {', '.join(PROJECTION_METHODS)}")
    X = np.ascontiguousarray(vectors, dtype=np.float32)
    if X.ndim != 2:
        raise ConfigError(f"expected a 2-D array of word vectors, got shape {X.shape}")
    n, d = X.shape
    if n < 3:
        raise ConfigError(f"a 2-D projection needs at least 3 words, got {n}; add words to the selection")
    if d < 2:
        raise ConfigError(f"vectors have {d} dimension; a 2-D projection needs at least 2")
    if not np.isfinite(X).all():
        raise ConfigError("the vectors contain NaN or infinite values; check the embedding file")
    seed = _seed(random_state)

    if method == "pca":
        from sklearn.decomposition import PCA

        # "full" SVD: exact and deterministic (randomized solvers are not needed at plot sizes).
        Y = PCA(n_components=2, svd_solver="full", random_state=seed).fit_transform(X)
    elif method == "tsne":
        from sklearn.manifold import TSNE

        perp = perplexity if perplexity is not None else min(30.0, (n - 1) / 3.0)
        perp = float(min(max(perp, 1.0), n - 1.0))
        Y = TSNE(n_components=2, perplexity=perp, init="pca", learning_rate="auto", metric=metric,
                 random_state=seed).fit_transform(X)
    else:
        import umap

        k = n_neighbors if n_neighbors is not None else min(15, n - 1)
        k = int(min(max(k, 2), n - 1))
        with warnings.catch_warnings():
            # umap warns that a fixed seed disables parallelism: we want the seed.
            warnings.simplefilter("ignore", UserWarning)
            # "random" init: the spectral one fails on tiny disconnected graphs.
            Y = umap.UMAP(n_components=2, n_neighbors=k, metric=metric, random_state=seed, n_jobs=1,
                          init="random" if n < 50 else "spectral").fit_transform(X)
    return np.ascontiguousarray(Y, dtype=np.float32)


def _procrustes_2d(Y: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Rotate/reflect centred ``Y`` onto centred ``ref`` (orthogonal Procrustes, Schönemann 1966)."""
    Yc = Y - Y.mean(axis=0)
    Rc = ref - ref.mean(axis=0)
    U, _, Vt = np.linalg.svd(Yc.T.astype(np.float64) @ Rc.astype(np.float64))
    return (Yc @ (U @ Vt)).astype(np.float32)


def project_2d_frames(frames, method: str = "pca", random_state=0, **kw) -> list[np.ndarray]:
    """Project several versions of the same rows (e.g. one per self-learning iteration) for an animation.

    With PCA (Pearson 1901) all frames share one basis, fitted on the last frame, so motion on screen is
    motion in the space. t-SNE and UMAP cannot place new points in an old map, so each frame is projected
    on its own and then rotated/reflected onto the previous one (orthogonal Procrustes, Schönemann 1966)
    to keep the picture from spinning between frames.

    Parameters
    ----------
    frames : sequence of ndarray, each (n, d)
        Same rows in the same order in every frame (d may not change for PCA).
    method, random_state, **kw
        As :func:`project_2d`.

    Returns
    -------
    list of float32 (n, 2), one per frame

    References
    ----------
    K. Pearson (1901); P. H. Schönemann, "A generalized solution of the orthogonal Procrustes problem",
    Psychometrika 31, 1966.
    """
    frames = [np.ascontiguousarray(F, dtype=np.float32) for F in frames]
    if not frames:
        return []
    if any(F.shape[0] != frames[0].shape[0] for F in frames):
        raise ConfigError("every frame must hold the same rows")
    method_key = str(method).lower().replace("-", "")
    if method_key == "pca":
        if any(F.shape != frames[-1].shape for F in frames):
            raise ConfigError("PCA frames share a basis, so they need the same dimension")
        project_2d(frames[-1], "pca", random_state)  # validates the input with clear errors
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, svd_solver="full", random_state=_seed(random_state)).fit(frames[-1])
        return [np.ascontiguousarray(pca.transform(F), dtype=np.float32) for F in frames]
    out = []
    for F in frames:
        Y = project_2d(F, method, random_state, **kw)
        out.append(Y if not out else _procrustes_2d(Y, out[-1]))
    return out
