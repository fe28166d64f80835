"""Isomorphism diagnostics: a rotated copy is (nearly) isomorphic, an unrelated space is not."""

from __future__ import annotations

import numpy as np
import pytest

from core import isomorphism as iso
from core.errors import ConfigError
from core.io import Embeddings, load_embeddings
from core.normalize import normalize
from core.synthetic import synthetic_pair


@pytest.fixture(scope="module")
def spaces():
    en = load_embeddings("en", max_vocab=800)
    en = en.with_vectors(normalize(en.vectors, ("unit", "center", "unit")))
    src, rotated, gold = synthetic_pair(en, noise=0.02, rotation=True, random_state=0)
    noise = np.random.default_rng(1).standard_normal(en.vectors.shape).astype(np.float32)
    unrelated = Embeddings(en.words, normalize(noise, ("unit", "center", "unit")), "random")
    return src, rotated, unrelated, gold


def test_rotation_is_isomorphic_and_random_space_is_not(spaces):
    src, rotated, unrelated, gold = spaces
    same = iso.isomorphism_report(src, rotated, gold, n=500, k=10)
    other = iso.isomorphism_report(src, unrelated, gold, n=500, k=10)
    assert same["n_pairs"] == other["n_pairs"] == 500
    assert same["relational_similarity"] > 0.99 and abs(other["relational_similarity"]) < 0.1
    assert same["neighbourhood_overlap"] > 0.8 and other["neighbourhood_overlap"] < 0.1
    assert same["singular_value_gap"] < 0.1 * other["singular_value_gap"]
    assert same["eigenvector_similarity"] < 0.05 * other["eigenvector_similarity"]


def test_exact_rotation_scores_perfectly(spaces):
    src, _, _, gold = spaces
    q, _ = np.linalg.qr(np.random.default_rng(3).standard_normal((src.dim, src.dim)))
    exact = src.with_vectors(src.vectors @ q.astype(np.float32))
    idx = np.stack([np.arange(300), np.arange(300)], axis=1)
    assert iso.relational_similarity(src, exact, idx) == pytest.approx(1.0, abs=1e-5)
    assert iso.singular_value_gap(src, exact, idx) == pytest.approx(0.0, abs=1e-6)
    assert iso.eigenvector_similarity(src, exact, idx, k=5) < 1e-6


def test_neighbourhood_overlap_reports_words(spaces):
    src, rotated, _, gold = spaces
    shuffled = list(gold[:100])
    shuffled[0], shuffled[1] = (gold[0][0], gold[1][1]), (gold[1][0], gold[0][1])  # two wrong pairs
    res = iso.neighbourhood_overlap(src, rotated, shuffled, k=5)
    assert len(res) == 100 and res[2].src_word == gold[2][0] and len(res[2].tgt_neighbours) == 5
    assert res[2].src_word not in res[2].src_neighbours
    assert res[2].src_neighbours_translated == res[2].src_neighbours  # identity dictionary
    assert np.mean([r.jaccard for r in res[2:]]) > np.mean([r.jaccard for r in res[:2]])


def test_aligned_pairs_is_one_to_one_and_errors(spaces):
    src, rotated, _, gold = spaces
    idx = iso.aligned_pairs(src, rotated, [("the", "the"), ("the", "of"), ("of", "the"), ("and", "and")],
                             min_pairs=2)
    assert idx.tolist() == [[src.index["the"], rotated.index["the"]], [src.index["and"], rotated.index["and"]]]
    with pytest.raises(ConfigError, match="one-to-one dictionary pairs"):
        iso.isomorphism_report(src, rotated, [("the", "the"), ("nope", "rien")])
