"""How isomorphic are two embedding spaces? Diagnostics over a bilingual dictionary.

Mapping-based CLWE assumes that one space is (close to) a rotation of the other. These measures, all
computed on the dictionary-aligned words, show how far real spaces are from that assumption, even for
close languages (Søgaard et al. 2018; Vulić et al. 2020):

* :func:`eigenvector_similarity` -- Laplacian spectra of the k-NN graphs (Søgaard et al. 2018); 0 if isomorphic.
* :func:`relational_similarity` -- correlation of intralingual cosines over translation pairs
  (Vulić et al. 2020); 1 if isomorphic.
* :func:`singular_value_gap` -- gap between the log singular values (Dubossarsky et al. 2020); 0 if isomorphic.
* :func:`neighbourhood_overlap` -- per pair, Jaccard of the translated k-NN sets; 1 if isomorphic.

``pairs`` is a list of ``(source word, target word)`` or an int array ``(k, 2)`` of row indices. Every
measure first reduces it to a one-to-one list (first translation of each word, in the given order,
i.e. frequency order for the bundled dictionaries) and keeps the first ``n`` pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import similarity
from .errors import ConfigError
from .io import Embeddings, pairs_to_indices
from .normalize import unit_length

__all__ = ["aligned_pairs", "knn_laplacian_spectrum", "eigenvector_similarity", "relational_similarity",
           "singular_value_gap", "PairNeighbourhood", "neighbourhood_overlap", "isomorphism_report"]


def _unit_pair_rows(src: Embeddings, tgt: Embeddings, idx: np.ndarray):
    """Unit float32 rows of the pairs ``idx`` on each side (np.linalg.norm's summation, as recorded)."""
    return (unit_length(src.vectors[idx[:, 0]], summation="linalg"),
            unit_length(tgt.vectors[idx[:, 1]], summation="linalg"))


def aligned_pairs(src: Embeddings, tgt: Embeddings, pairs, n: int | None = None,
                  min_pairs: int = 3) -> np.ndarray:
    """One-to-one in-vocabulary row pairs ``(k, 2)``: the first translation of each word, first ``n``.

    Raises
    ------
    ConfigError
        When fewer than ``min_pairs`` pairs remain.
    """
    if isinstance(pairs, np.ndarray) and pairs.dtype.kind in "iu":
        idx = pairs.reshape(-1, 2).astype(np.int64)
    else:
        idx = pairs_to_indices(list(pairs), src, tgt)
    seen_s, seen_t, keep = set(), set(), []
    for row, (i, j) in enumerate(idx):
        if i not in seen_s and j not in seen_t:
            seen_s.add(i)
            seen_t.add(j)
            keep.append(row)
            if n is not None and len(keep) >= n:
                break
    if len(keep) < min_pairs:
        raise ConfigError(
            f"Only {len(keep)} one-to-one dictionary pairs are in both vocabularies; the isomorphism "
            f"diagnostics need at least {min_pairs}. Use a larger dictionary or check the language direction.")
    return idx[keep]


def knn_laplacian_spectrum(X: np.ndarray, k: int = 10) -> np.ndarray:
    """Eigenvalues (descending) of the Laplacian ``D - A`` of the symmetrised cosine k-NN graph of rows of ``X``.

    References
    ----------
    Søgaard, Ruder & Vulić (2018). On the limitations of unsupervised bilingual dictionary induction. ACL.
    """
    X = unit_length(X, summation="linalg")
    n = len(X)
    k = min(k, n - 1)
    _, nn = similarity.topk_similarities(X, X, k + 1)
    A = np.zeros((n, n), dtype=np.float32)
    rows = np.repeat(np.arange(n), k + 1)
    A[rows, nn.reshape(-1)] = 1.0
    np.fill_diagonal(A, 0.0)           # the self-match, wherever ties put it
    A = np.maximum(A, A.T)
    L = np.diag(A.sum(axis=1)) - A
    return np.linalg.eigvalsh(L)[::-1].astype(np.float64)


def eigenvector_similarity(src: Embeddings, tgt: Embeddings, pairs, n: int = 1000, k: int = 10,
                           energy: float = 0.9) -> float:
    """Eigenvector similarity of the k-NN graphs of the aligned words (Søgaard et al. 2018).

    For each language, the Laplacian of the (symmetrised) ``k``-nearest-neighbour graph over the
    ``n`` aligned words; ``m`` is the smallest number of largest eigenvalues holding ``energy`` of
    the spectrum, taken as the smaller of the two languages' values; the score is the sum of the
    squared differences of the ``m`` largest eigenvalues. Since node ``i`` of both graphs is a
    translation pair, isomorphic spaces have identical graphs and score 0; higher is less isomorphic.

    Returns
    -------
    float
        ``Δ >= 0``; lower is more isomorphic.

    References
    ----------
    Søgaard, Ruder & Vulić (2018). On the limitations of unsupervised bilingual dictionary induction. ACL.
    """
    idx = aligned_pairs(src, tgt, pairs, n, min_pairs=k + 2)
    ev_s = knn_laplacian_spectrum(src.vectors[idx[:, 0]], k)
    ev_t = knn_laplacian_spectrum(tgt.vectors[idx[:, 1]], k)

    def n_energy(ev):
        cum = np.cumsum(ev)
        return int(np.searchsorted(cum, energy * cum[-1]) + 1)

    m = min(n_energy(ev_s), n_energy(ev_t))
    return float(np.sum((ev_s[:m] - ev_t[:m]) ** 2))


def relational_similarity(src: Embeddings, tgt: Embeddings, pairs, n: int = 1000) -> float:
    """Pearson correlation of intralingual cosine similarities over translation pairs (Vulić et al. 2020).

    For the ``n`` aligned pairs, the similarities ``cos(x_i, x_j)`` of all source word pairs ``i < j``
    are correlated with ``cos(z_i, z_j)`` of their translations. 1 for isomorphic spaces.

    References
    ----------
    Vulić, Ruder & Søgaard (2020). Are all good word vector spaces isomorphic? EMNLP.
    """
    idx = aligned_pairs(src, tgt, pairs, n)
    Xs, Zs = _unit_pair_rows(src, tgt, idx)
    iu = np.triu_indices(len(idx), k=1)
    a = (Xs @ Xs.T)[iu].astype(np.float64)
    b = (Zs @ Zs.T)[iu].astype(np.float64)
    return float(np.corrcoef(a, b)[0, 1])


def singular_value_gap(src: Embeddings, tgt: Embeddings, pairs, n: int = 1000) -> float:
    """Singular value gap of the aligned embedding matrices (Dubossarsky et al. 2020).

    ``SVG = sum_i (log s_i(X) - log s_i(Z))^2`` over the ``min(d1, d2)`` largest singular values of the
    unit-length rows of the ``n`` aligned source and target words (when the dimensions differ, both
    top-``d`` spectra are rescaled to the same energy). A rotation keeps singular values,
    so isomorphic spaces score 0; higher is less isomorphic. Chosen over Gromov-Hausdorff distance
    (Patra et al. 2019) because it costs one thin SVD and correlates as well with BLI accuracy
    (Dubossarsky et al. 2020).

    References
    ----------
    Dubossarsky, Vulić, Reichart & Korhonen (2020). The secret is in the spectra: predicting
    cross-lingual task performance with spectral similarity measures. EMNLP.
    """
    idx = aligned_pairs(src, tgt, pairs, n)
    Xs, Zs = _unit_pair_rows(src, tgt, idx)
    s_x = np.linalg.svd(Xs.astype(np.float64), compute_uv=False)
    s_z = np.linalg.svd(Zs.astype(np.float64), compute_uv=False)
    d = min(len(s_x), len(s_z))
    # spaces of different dimension: compare the shapes of the top-d spectra (a no-op for equal
    # dimensions, where unit rows give both the same total energy n)
    s_x = s_x[:d] / np.sqrt(np.sum(s_x[:d] ** 2) / len(idx))
    s_z = s_z[:d] / np.sqrt(np.sum(s_z[:d] ** 2) / len(idx))
    floor = 1e-12
    return float(np.sum((np.log(np.maximum(s_x[:d], floor)) - np.log(np.maximum(s_z[:d], floor))) ** 2))


@dataclass(frozen=True)
class PairNeighbourhood:
    """The k-NN sets of one translation pair, in target words, and their Jaccard overlap.

    ``src_neighbours_translated`` are the translations of the source word's neighbours (via the
    dictionary), comparable with ``tgt_neighbours``; ``src_neighbours`` are the same in the source language.
    """

    src_word: str
    tgt_word: str
    src_neighbours: tuple[str, ...]
    src_neighbours_translated: tuple[str, ...]
    tgt_neighbours: tuple[str, ...]
    jaccard: float


def neighbourhood_overlap(src: Embeddings, tgt: Embeddings, pairs, k: int = 10,
                          n: int | None = 5000) -> list[PairNeighbourhood]:
    """For each translation pair, Jaccard overlap of the k-NN sets after translation.

    Neighbours are searched among the aligned words only, so that each source neighbour has exactly
    one translation; in isomorphic spaces the translated neighbourhood of a word is the
    neighbourhood of its translation (Jaccard 1). Low values point at words whose usage differs
    across the two languages (or corpora), the local view of non-isomorphism (Søgaard et al. 2018;
    Nakashole & Flauger 2018).

    Returns
    -------
    list of PairNeighbourhood
        In dictionary order.

    References
    ----------
    Søgaard, Ruder & Vulić (2018). On the limitations of unsupervised bilingual dictionary induction. ACL.
    Nakashole & Flauger (2018). Characterizing departures from linearity in word translation. ACL.
    """
    idx = aligned_pairs(src, tgt, pairs, n, min_pairs=k + 2)
    Xs, Zs = _unit_pair_rows(src, tgt, idx)
    _, nn_s = similarity.topk_similarities(Xs, Xs, k + 1)
    _, nn_t = similarity.topk_similarities(Zs, Zs, k + 1)
    out = []
    for row, (i, j) in enumerate(idx):
        a = [c for c in nn_s[row] if c != row][:k]
        b = [c for c in nn_t[row] if c != row][:k]
        sa, sb = set(a), set(b)
        out.append(PairNeighbourhood(
            src.words[i], tgt.words[j],
            tuple(src.words[idx[c, 0]] for c in a),
            tuple(tgt.words[idx[c, 1]] for c in a),
            tuple(tgt.words[idx[c, 1]] for c in b),
            len(sa & sb) / len(sa | sb)))
    return out


def isomorphism_report(src: Embeddings, tgt: Embeddings, pairs, n: int = 1000, k: int = 10,
                       max_eigen_n: int = 2000) -> dict:
    """All diagnostics on the first ``n`` one-to-one pairs.

    The eigenvector similarity needs a dense eigendecomposition (cubic in the number of pairs), so it
    uses at most ``max_eigen_n`` pairs (reported as ``eigenvector_n_pairs``).

    Returns
    -------
    dict
        ``n_pairs``, ``eigenvector_similarity`` (lower = more isomorphic), ``eigenvector_n_pairs``,
        ``relational_similarity`` (higher), ``singular_value_gap`` (lower), ``neighbourhood_overlap``
        (mean Jaccard, higher).
    """
    idx = aligned_pairs(src, tgt, pairs, n, min_pairs=k + 2)
    overlap = neighbourhood_overlap(src, tgt, idx, k, n)
    n_eigen = min(len(idx), max_eigen_n)
    return {
        "n_pairs": int(len(idx)),
        "eigenvector_similarity": eigenvector_similarity(src, tgt, idx[:n_eigen], n_eigen, k),
        "eigenvector_n_pairs": int(n_eigen),
        "relational_similarity": relational_similarity(src, tgt, idx, n),
        "singular_value_gap": singular_value_gap(src, tgt, idx, n),
        "neighbourhood_overlap": float(np.mean([o.jaccard for o in overlap])),
    }
