"""What every seed strategy shares: the :class:`Seed` record and small helpers (random streams,
unique pairs, vocabulary checks, CSLS retrieval between two comparable spaces)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import similarity
from ..errors import ConfigError
from ..io import Embeddings, pairs_to_indices

__all__ = ["Seed"]

@dataclass(frozen=True, eq=False)
class Seed:
    """A seed dictionary.

    Parameters
    ----------
    pairs : ndarray of int64, shape (k, 2)
        ``pairs[i] = (src_row, tgt_row)``, unique rows -- except the unsupervised (second-order) union
        seed, which keeps a pair found in both directions twice, as VecMap does.
    strategy : str
        The name in :data:`SEED_STRATEGIES` that produced it.
    scores : ndarray of float32, shape (k,), or None
        A confidence per pair when the strategy has one (CSLS score, coupling mass...).
    info : dict
        Strategy-specific diagnostics (timings, training curves, sizes): numbers, strings and lists,
        except the adversarial generator ``info["W"]`` (an ndarray).
    """

    pairs: np.ndarray
    strategy: str
    scores: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        pairs = np.asarray(self.pairs, dtype=np.int64).reshape(-1, 2)
        object.__setattr__(self, "pairs", pairs)
        if self.scores is not None:
            scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
            if len(scores) != len(pairs):
                raise ValueError(f"{len(pairs)} pairs but {len(scores)} scores")
            object.__setattr__(self, "scores", scores)

    def __len__(self) -> int:
        return len(self.pairs)

    @property
    def src(self) -> np.ndarray:
        return self.pairs[:, 0]

    @property
    def tgt(self) -> np.ndarray:
        return self.pairs[:, 1]

    def words(self, src: Embeddings, tgt: Embeddings) -> list[tuple[str, str]]:
        """The pairs as ``(source word, target word)`` strings."""
        return [(src.words[i], tgt.words[j]) for i, j in self.pairs]


# --------------------------------------------------------------------------------------------------
# helpers


def _rng(random_state) -> np.random.Generator:
    return random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)


def _unique_pairs(src_idx, tgt_idx, scores=None):
    """Drop repeated (src, tgt) rows, keeping the first occurrence (and its score)."""
    pairs = np.stack([np.asarray(src_idx, np.int64), np.asarray(tgt_idx, np.int64)], axis=1).reshape(-1, 2)
    _, first = np.unique(pairs, axis=0, return_index=True)
    first = np.sort(first)
    return pairs[first], (None if scores is None else np.asarray(scores, np.float32)[first])


def _to_indices(pairs, src: Embeddings, tgt: Embeddings) -> np.ndarray:
    return np.asarray(pairs_to_indices(pairs, src, tgt), dtype=np.int64).reshape(-1, 2)


def _check_n(n: int, src: Embeddings, tgt: Embeddings, what: str, max_n: int | None = None) -> int:
    n = int(n)
    if n < 2:
        raise ConfigError(f"{what} needs at least 2 words per language, got n={n}.")
    if max_n is not None and n > max_n:
        mb = 4 * n * n / 1e6
        raise ConfigError(
            f"{what} builds {n} x {n} matrices ({mb:,.0f} MB each in float32); choose n <= {max_n}.")
    limit = min(len(src), len(tgt))
    if n > limit:
        raise ConfigError(
            f"{what} asks for the top {n} words but the smaller vocabulary has only {limit}; "
            f"choose n <= {limit}.")
    return n


def _csls_pairs(A: np.ndarray, B: np.ndarray, csls_k: int, direction: str, keep_duplicates: bool = False):
    """CSLS nearest neighbours between rows of ``A`` and ``B`` (unit rows, same dimension).

    ``direction``: ``"forward"`` (each row of A), ``"backward"`` (each row of B), ``"union"`` of both
    (VecMap) or ``"mutual"`` (pairs found in both directions; MUSE's S2T&T2S). ``keep_duplicates``: a
    union keeps a pair found in both directions twice, as VecMap does (it then weighs double in Procrustes).
    """
    if direction not in ("forward", "backward", "union", "mutual"):
        raise ConfigError(f"direction must be 'forward', 'backward', 'union' or 'mutual', not {direction!r}.")
    sim = similarity
    r_a, r_b = sim.mean_topk_similarity_both(A, B, csls_k)  # computed once, used by both directions
    fwd_val, fwd_idx = sim.csls_topk(A, B, csls_k, 1, r_A=r_a, r_B=r_b)
    bwd_val, bwd_idx = sim.csls_topk(B, A, csls_k, 1, r_A=r_b, r_B=r_a)
    fwd_idx, bwd_idx = fwd_idx[:, 0], bwd_idx[:, 0]
    fwd_val, bwd_val = fwd_val[:, 0], bwd_val[:, 0]
    a_rows, b_rows = np.arange(len(A)), np.arange(len(B))
    if direction == "forward":
        return _unique_pairs(a_rows, fwd_idx, fwd_val)
    if direction == "backward":
        return _unique_pairs(bwd_idx, b_rows, bwd_val)
    if direction == "mutual":
        keep = bwd_idx[fwd_idx] == a_rows
        return _unique_pairs(a_rows[keep], fwd_idx[keep], fwd_val[keep])
    src_idx, tgt_idx = np.concatenate([a_rows, bwd_idx]), np.concatenate([fwd_idx, b_rows])
    scores = np.concatenate([fwd_val, bwd_val])
    if keep_duplicates:
        return np.stack([src_idx, tgt_idx], axis=1).astype(np.int64), scores.astype(np.float32)
    return _unique_pairs(src_idx, tgt_idx, scores)

