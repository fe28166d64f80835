"""The small pure functions the lessons rely on: cross-language mixing, pair cosines, translation win rate."""

import numpy as np
import pytest

from core.errors import ConfigError
from core.evaluate import cross_language_mixing, pair_cosines
from core.similarity import second_order_signatures, translation_win_rate


def _rotation(d, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q


def test_mixing_separate_clouds_is_zero_and_translations_interleave():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(20, 8)) + 10 * np.eye(8)[0]       # two clouds far apart
    B = rng.normal(size=(20, 8)) - 10 * np.eye(8)[0]
    assert cross_language_mixing(A, B) == 0.0
    # B = a slightly noised copy of A: every word's nearest word is its translation, in the other language
    B2 = A + 0.01 * rng.normal(size=A.shape)
    assert cross_language_mixing(A, B2) == 1.0


def test_mixing_rejects_different_dimensions():
    with pytest.raises(ConfigError, match="dimension"):
        cross_language_mixing(np.ones((3, 4)), np.ones((3, 5)))


def test_pair_cosines():
    A = np.array([[1.0, 0.0], [0.0, 2.0]])
    B = np.array([[3.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(pair_cosines(A, B), [1.0, 0.0], atol=1e-6)
    with pytest.raises(ConfigError):
        pair_cosines(A, B[:1])


def test_translation_win_rate_high_for_a_rotated_copy_and_chance_for_noise():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 20)) * np.linspace(3, 0.5, 20)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Z = X @ _rotation(20, 2)                                  # isomorphic: same signatures
    pairs = np.c_[np.arange(400), np.arange(400)]
    rate, n = translation_win_rate(second_order_signatures(X, 400), second_order_signatures(Z, 400), pairs)
    assert n == 400 and rate > 0.95
    Y = rng.normal(size=(400, 20))                            # unrelated space: no signal
    Y /= np.linalg.norm(Y, axis=1, keepdims=True)
    rate_noise, _ = translation_win_rate(second_order_signatures(X, 400), second_order_signatures(Y, 400), pairs)
    assert 0.3 < rate_noise < 0.7


def test_translation_win_rate_never_compares_with_the_translation_itself():
    sig = np.eye(5, dtype=np.float32)
    rate, _ = translation_win_rate(sig, sig, np.c_[np.arange(5), np.arange(5)], random_state=3)
    assert rate == 1.0     # identical rows win strictly against every other row


def test_distribution_rank():
    from core.similarity import distribution_rank

    C = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    assert distribution_rank([1.0, 0.1], C, 0) == 1
    assert distribution_rank([1.0, 0.1], C, 2) == 3
    with pytest.raises(ConfigError):
        distribution_rank([1.0, 0.0, 0.0], C, 0)
