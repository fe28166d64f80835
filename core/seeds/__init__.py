"""Seed dictionaries: the pairs a mapping is first fitted on, before self-learning takes over.

Strategies, from most to least supervised:

* ``dictionary`` -- every in-vocabulary pair of a bilingual dictionary.
* ``random`` -- a few random pairs of a dictionary (Artetxe et al. 2017: 25 are enough to start).
* ``identical`` -- identically spelled words (Søgaard et al. 2018).
* ``numerals`` -- digit tokens present in both vocabularies (Artetxe et al. 2017).
* ``unsupervised`` -- second-order similarity signatures (Artetxe et al. 2018, ACL).
* ``adversarial`` -- a generator/discriminator game over the mapping, from a moment-matched start, then
  Procrustes refinement (Conneau et al. 2018, MUSE; Hoshen & Wolf 2018).
* ``gromov-wasserstein`` -- optimal transport between the two intralingual distance matrices
  (Alvarez-Melis & Jaakkola 2018).

Every strategy returns a :class:`Seed`: row indices into ``src`` and ``tgt`` (the ``Embeddings`` the
seed was built on, already normalised), so the self-learning stepper can start from it directly.

One module per strategy family, :func:`build_seed` as the face (as POT does):

* :mod:`core.seeds.dictionary` -- ``dictionary``, ``random``, ``identical``, ``numerals``;
* :mod:`core.seeds.second_order` -- ``unsupervised``;
* :mod:`core.seeds.adversarial` -- ``adversarial`` and its discriminator, criterion and refinement;
* :mod:`core.seeds.gromov_wasserstein` -- ``gromov-wasserstein`` and its Sinkhorn solver;
* :mod:`core.seeds._common` -- the :class:`Seed` record and the helpers they share.
"""

from __future__ import annotations

from typing import Callable

from ..errors import ConfigError
from ..io import Embeddings
from ._common import Seed
from .adversarial import (ADVERSARIAL_INITS, DiscriminatorParams, adversarial_seed, bce_with_logits,
                          discriminator_backward, discriminator_forward, discriminator_init,
                          mean_cosine_criterion, moment_alignment, nearest_orthogonal, orthogonalize,
                          pca_reduce, procrustes_refinement)
from .dictionary import NUMERAL, dictionary_seed, identical_seed, numerals_seed, random_seed
from .gromov_wasserstein import (MAX_GROMOV_WASSERSTEIN_N, coupling_pairs, entropic_gromov_wasserstein,
                                 gromov_wasserstein_seed, sinkhorn_stabilized)
from .second_order import MAX_SECOND_ORDER_N, second_order_seed

__all__ = [
    "Seed", "dictionary_seed", "random_seed", "identical_seed", "numerals_seed", "second_order_seed",
    "adversarial_seed", "gromov_wasserstein_seed", "build_seed", "SEED_STRATEGIES",
    "DiscriminatorParams", "discriminator_init", "discriminator_forward", "discriminator_backward",
    "bce_with_logits", "orthogonalize", "nearest_orthogonal", "moment_alignment", "pca_reduce",
    "mean_cosine_criterion", "procrustes_refinement", "ADVERSARIAL_INITS",
    "entropic_gromov_wasserstein", "sinkhorn_stabilized", "coupling_pairs",
    "MAX_SECOND_ORDER_N", "MAX_GROMOV_WASSERSTEIN_N", "NUMERAL",
]


SEED_STRATEGIES: dict[str, Callable[..., Seed]] = {
    "dictionary": dictionary_seed,
    "random": random_seed,
    "identical": identical_seed,
    "numerals": numerals_seed,
    "unsupervised": second_order_seed,
    "adversarial": adversarial_seed,
    "gromov-wasserstein": gromov_wasserstein_seed,
}


def build_seed(strategy: str, src: Embeddings, tgt: Embeddings, **kw) -> Seed:
    """Build a seed with the named strategy of :data:`SEED_STRATEGIES`.

    Keyword arguments go to the strategy (e.g. ``pairs=`` for ``dictionary`` and ``random``).
    """
    if strategy not in SEED_STRATEGIES:
        raise ConfigError(f"Unknown seed strategy {strategy!r}; choose one of {', '.join(SEED_STRATEGIES)}.")
    fn = SEED_STRATEGIES[strategy]
    if strategy in ("dictionary", "random") and kw.get("pairs") is None:
        raise ConfigError(f"The {strategy!r} seed needs a bilingual dictionary (pairs=[(src, tgt), ...]).")
    return fn(src, tgt, **kw)
