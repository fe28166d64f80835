"""Dictionary-based seeds: a bilingual dictionary (all or a few random pairs) or strings shared by
both vocabularies (identical words, numerals)."""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np

from ..errors import ConfigError
from ..io import Embeddings
from ._common import Seed, _rng, _to_indices

__all__ = ["dictionary_seed", "random_seed", "identical_seed", "numerals_seed", "NUMERAL"]

NUMERAL = re.compile(r"[0-9]+")

def dictionary_seed(src: Embeddings, tgt: Embeddings, pairs: Iterable[tuple[str, str]]) -> Seed:
    """Every in-vocabulary pair of a bilingual dictionary (supervised mapping, Mikolov et al. 2013).

    Parameters
    ----------
    src, tgt : Embeddings
        Normalised source and target spaces.
    pairs : iterable of (str, str)
        Dictionary entries, e.g. from :func:`core.io.load_dictionary`.

    Returns
    -------
    Seed
        ``info`` holds ``n_entries`` (given) and ``n_in_vocab`` (kept).

    Raises
    ------
    ConfigError
        When no entry has both words in the vocabularies.

    References
    ----------
    Mikolov, Le & Sutskever (2013). Exploiting similarities among languages for machine translation.
    """
    pairs = list(pairs)
    idx = _to_indices(pairs, src, tgt)
    if len(idx) == 0:
        raise ConfigError(
            f"None of the {len(pairs)} dictionary entries has both words in the vocabularies "
            f"({src.name or 'source'}: {len(src)} words, {tgt.name or 'target'}: {len(tgt)} words); "
            "check the language direction (source first) and the case of the words.")
    return Seed(idx, "dictionary", None, {"n_entries": len(pairs), "n_in_vocab": int(len(idx))})


def random_seed(src: Embeddings, tgt: Embeddings, pairs: Iterable[tuple[str, str]], n: int = 25,
                random_state=0) -> Seed:
    """``n`` random in-vocabulary pairs of a dictionary.

    Artetxe et al. (2017) show that self-learning reaches the accuracy of a full dictionary starting
    from 25 random pairs.

    Parameters
    ----------
    src, tgt : Embeddings
    pairs : iterable of (str, str)
    n : int
        Number of pairs to draw (without replacement, among distinct in-vocabulary pairs).
    random_state : int, Generator or None

    Raises
    ------
    ConfigError
        When the dictionary has fewer than ``n`` in-vocabulary pairs.

    References
    ----------
    Artetxe, Labaka & Agirre (2017). Learning bilingual word embeddings with (almost) no bilingual
    data. ACL.
    """
    n = int(n)
    if n < 1:
        raise ConfigError(f"A random seed needs at least 1 pair, got n={n}.")
    pairs = list(pairs)
    idx = _to_indices(pairs, src, tgt)
    if len(idx) < n:
        raise ConfigError(
            f"Asked for {n} random seed pairs but the dictionary has only {len(idx)} in-vocabulary "
            f"pairs; choose n <= {len(idx)} or use a larger dictionary.")
    chosen = np.sort(_rng(random_state).choice(len(idx), size=n, replace=False))
    return Seed(idx[chosen], "random", None, {"n_entries": len(pairs), "n_in_vocab": int(len(idx))})


def identical_seed(src: Embeddings, tgt: Embeddings, min_length: int = 1) -> Seed:
    """Identically spelled words of both vocabularies (Søgaard et al. 2018).

    Cheap and surprisingly strong for languages sharing a script: names, numbers, loanwords.

    Parameters
    ----------
    src, tgt : Embeddings
    min_length : int
        Ignore strings shorter than this (single letters are often noise).

    Raises
    ------
    ConfigError
        When no string is shared.

    References
    ----------
    Søgaard, Ruder & Vulić (2018). On the limitations of unsupervised bilingual dictionary
    induction. ACL.
    """
    return _shared_strings_seed(src, tgt, lambda w: len(w) >= min_length, "identical",
                                "identically spelled word", "unsupervised")


def numerals_seed(src: Embeddings, tgt: Embeddings) -> Seed:
    """Tokens made only of digits (``[0-9]+``) present in both vocabularies (Artetxe et al. 2017).

    Raises
    ------
    ConfigError
        When no numeral is shared.

    References
    ----------
    Artetxe, Labaka & Agirre (2017). Learning bilingual word embeddings with (almost) no bilingual
    data. ACL.
    """
    return _shared_strings_seed(src, tgt, NUMERAL.fullmatch, "numerals", "digit-only token (e.g. '1990')",
                                "identical")


def _shared_strings_seed(src: Embeddings, tgt: Embeddings, keep, strategy: str, what: str,
                         instead: str) -> Seed:
    """Pairs of identical strings in both vocabularies that pass ``keep``, in source frequency order."""
    src_idx = [i for i, w in enumerate(src.words) if keep(w) and w in tgt.index]
    if not src_idx:
        raise ConfigError(
            f"No {what} is shared by {src.name or 'the source'} and {tgt.name or 'the target'} "
            f"vocabularies; use another seed strategy (e.g. '{instead}').")
    tgt_idx = [tgt.index[src.words[i]] for i in src_idx]
    return Seed(np.stack([src_idx, tgt_idx], axis=1), strategy, None, {"n_shared": len(src_idx)})

