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


# The mirror language's spelling: vowels rotated (a bijection) plus a final "o", so that no word of the copy
# is spelled like any word of the original and the identical-strings seed finds nothing to lean on.
_MIRROR_VOWELS = str.maketrans("aeiouAEIOU", "eiouaEIOUA")
MIRROR_SUFFIX = "o"


def mirror_words(words) -> list[str]:
    """Distinct, deterministic word forms for the copy: ``dog`` -> ``dugo``, ``two`` -> ``twuo``.

    Injective, and no result is a word of ``words`` (a clash gets extra "ø" until it is unique).
    """
    original = set(words)
    out = []
    for w in words:
        m = w.translate(_MIRROR_VOWELS) + MIRROR_SUFFIX
        while m in original:
            m += "ø"
        out.append(m)
    return out


def synthetic_pair(emb: Embeddings, noise: float = 0.05, rotation: bool = True, drop: float = 0.0,
                   random_state=0, word_forms: str = "same") -> tuple[Embeddings, Embeddings, list[tuple[str, str]]]:
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
    word_forms : {"same", "mirror"}
        ``"same"``: the copy keeps the words (named ``<name>*``); ``"mirror"``: the copy is a language of
        its own (named ``mirror-<name>``) whose words are spelled differently (:func:`mirror_words`), so
        that nothing is identical across the two spaces, as between real languages.

    Returns
    -------
    src, tgt : Embeddings
        ``emb`` and its copy (named ``<name>*``).
    gold : list of (str, str)
        The identity dictionary over the words both spaces keep.
    """
    if not 0.0 <= drop <= 0.9:
        raise ConfigError(f"drop must be a share between 0 and 0.9, got {drop}")
    if word_forms not in ("same", "mirror"):
        raise ConfigError(f"word_forms must be 'same' or 'mirror', got {word_forms!r}")
    if noise < 0:
        raise ConfigError(f"noise must be zero or positive, got {noise}")
    rng = np.random.default_rng(random_state)
    vectors = emb.vectors
    if rotation:
        vectors = vectors @ random_rotation(emb.dim, rng)
    scale = float(np.sqrt(np.mean(np.square(emb.vectors, dtype=np.float64))))
    vectors = vectors + rng.normal(0.0, noise * scale, size=vectors.shape).astype(np.float32)
    keep = np.sort(rng.permutation(len(emb))[: max(1, round(len(emb) * (1.0 - drop)))])
    kept = [emb.words[i] for i in keep]
    if word_forms == "mirror":
        forms = dict(zip(emb.words, mirror_words(emb.words)))
        tgt = Embeddings(tuple(forms[w] for w in kept), vectors[keep], f"mirror-{emb.name}")
        return emb, tgt, [(w, forms[w]) for w in kept]
    tgt = Embeddings(tuple(kept), vectors[keep], f"{emb.name}*")
    return emb, tgt, [(w, w) for w in tgt.words]
