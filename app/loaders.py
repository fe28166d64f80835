"""Cached loaders.

Spaces read from bundled files (or derived deterministically from them) are shared between sessions
through ``st.cache_resource``; they are made read-only so that no session can change another's data.
Anything a session builds (seed, run, uploads) lives in its own Session State.
"""

from __future__ import annotations

import streamlit as st

from core import io as cio
from core.normalize import normalize


def _freeze(emb):
    emb.vectors.flags.writeable = False
    return emb


@st.cache_resource(max_entries=6, show_spinner="Loading embeddings…")
def bundled_space(short: str, max_vocab: int):
    """A bundled monolingual space (read-only, shared)."""
    return _freeze(cio.load_embeddings(short, max_vocab=max_vocab))


@st.cache_data(max_entries=12, show_spinner=False)
def bundled_dictionary(pair: str, split: str) -> list[tuple[str, str]]:
    return cio.load_bundled_dictionary(pair, split)


@st.cache_resource(max_entries=4, show_spinner="Building the synthetic pair…")
def synthetic_spaces(base: str, max_vocab: int, noise: float, rotation: bool, drop: float, random_state: int):
    """The rotated, noised copy of a bundled space (read-only, shared: it is a pure function of its args)."""
    from core.synthetic import synthetic_pair

    # "mirror" word forms: the copy is spelled differently, so no word is identical across the pair
    src, tgt, gold = synthetic_pair(bundled_space(base, max_vocab), noise=noise, rotation=rotation, drop=drop,
                                    random_state=random_state, word_forms="mirror")
    return _freeze(src), _freeze(tgt), tuple(gold)


def normalized(emb, steps: tuple[str, ...]):
    """A space normalised by ``steps`` (a new, session-owned Embeddings)."""
    return emb.with_vectors(normalize(emb.vectors, steps))
