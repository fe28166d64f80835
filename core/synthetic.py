"""The synthetic pair: a teaching control where alignment must succeed.

The second space is a randomly rotated, noised and optionally word-dropped copy of a real space, so it is
isomorphic to the first up to the noise, and the identity is its gold dictionary.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import ortho_group

from .errors import ConfigError
from .io import Embeddings


def random_rotation(dim: int, random_state=None) -> np.ndarray:
    """A Haar-random orthogonal matrix of shape (dim, dim), float32."""
    return ortho_group.rvs(dim, random_state=np.random.default_rng(random_state)).astype(np.float32)


def synthetic_pair(emb: Embeddings, noise: float = 0.05, rotation: bool = True, drop: float = 0.0,
                   random_state=0) -> tuple[Embeddings, Embeddings, list[tuple[str, str]]]:
    """Make a target space as a rotated, noised, word-dropped copy of ``emb``.

    Parameters
    ----------
    emb : Embeddings
        The source space (kept as it is).
    noise : float
        Standard deviation of the Gaussian noise added to each coordinate, relative to the root mean
        square coordinate of ``emb`` (so 0.1 means noise at a tenth of the typical coordinate size).
    rotation : bool
        Rotate the copy by a random orthogonal matrix; without it only noise separates the spaces.
    drop : float
        Share of words, in [0, 0.9], removed from the copy at random (frequency order is kept).
    random_state : int or Generator
        Seed for the rotation, the noise and the dropped words.

    Returns
    -------
    src, tgt : Embeddings
        ``emb`` and its copy (named ``<name>*``).
    gold : list of (str, str)
        The identity dictionary over the words both spaces keep.
    """
    if not 0.0 <= drop <= 0.9:
        raise ConfigError(f"drop must be a share between 0 and 0.9, got {drop}")
    if noise < 0:
        raise ConfigError(f"noise must be zero or positive, got {noise}")
    rng = np.random.default_rng(random_state)
    vectors = emb.vectors
    if rotation:
        vectors = vectors @ random_rotation(emb.dim, rng)
    scale = float(np.sqrt(np.mean(np.square(emb.vectors, dtype=np.float64))))
    vectors = vectors + rng.normal(0.0, noise * scale, size=vectors.shape).astype(np.float32)
    keep = np.sort(rng.permutation(len(emb))[: max(1, round(len(emb) * (1.0 - drop)))])
    tgt = Embeddings(tuple(emb.words[i] for i in keep), vectors[keep], f"{emb.name}*")
    return emb, tgt, [(w, w) for w in tgt.words]
