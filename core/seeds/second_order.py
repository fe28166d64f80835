"""Fully unsupervised seed from second-order similarity (VecMap's unsupervised initialisation)."""

from __future__ import annotations

import time

import numpy as np

from .. import similarity
from ..io import Embeddings
from ._common import Seed, _check_n, _csls_pairs

__all__ = ["second_order_seed", "MAX_SECOND_ORDER_N"]

# memory guard: the signatures are n x n float32 matrices, a few held at once
MAX_SECOND_ORDER_N = 10000

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
        VecMap takes the union of both directions: ``2 n`` pairs, a pair found in both directions
        kept twice, so it weighs double in the first mapping. This matters: on en vs fr50 (50-d GloVe
        vs PCA-reduced fastText), self-learning from the union with its duplicates follows VecMap's own
        trajectory (objective 0.5503, 0.5752, 0.5906 at iterations 1-3, VecMap 0.5503, 0.5751, 0.5905),
        from the deduplicated union another one (0.5512, 0.5766, 0.5927).

    Returns
    -------
    Seed
        ``scores`` are CSLS scores between signatures; ``info`` has ``n``, ``n_unique`` (distinct pairs)
        and ``seconds``.

    References
    ----------
    Artetxe, Labaka & Agirre (2018). A robust self-learning method for fully unsupervised
    cross-lingual mappings of word embeddings. ACL.
    """
    n = _check_n(n, src, tgt, "The unsupervised (second-order) seed", max_n=MAX_SECOND_ORDER_N)
    start = time.perf_counter()
    sig_src = similarity.second_order_signatures(src.vectors, n)
    sig_tgt = similarity.second_order_signatures(tgt.vectors, n)
    pairs, scores = _csls_pairs(sig_src, sig_tgt, csls_k, direction, keep_duplicates=True)
    info = {"n": n, "csls_k": csls_k, "direction": direction, "n_unique": len(np.unique(pairs, axis=0)),
            "seconds": time.perf_counter() - start}
    return Seed(pairs, "unsupervised", scores, info)
