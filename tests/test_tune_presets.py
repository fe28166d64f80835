"""bench.tune_presets: the post-processing its plateau experiment tries, and the tables it writes to bench/tuning.md."""

import numpy as np

from bench.tune_presets import all_but_the_top, spectral_reweighting
from core.normalize import normalize


def _space(seed=0, n=400, d=20):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d)) * np.linspace(3, 0.2, d)).astype(np.float32)


def test_all_but_the_top_removes_the_leading_directions_and_the_mean():
    X = _space()
    Y = all_but_the_top(X, 2).astype(np.float64)
    Xc = normalize(X).astype(np.float64)
    Xc -= Xc.mean(axis=0)
    top = np.linalg.svd(Xc, full_matrices=False)[2][:2]
    assert np.abs(Y.mean(axis=0)).max() < 1e-5
    assert np.abs(Y @ top.T).max() < 1e-4
    # the rest of the space is untouched: coordinates along the third direction do not move
    third = np.linalg.svd(Xc, full_matrices=False)[2][2]
    assert np.allclose(Y @ third, Xc @ third, atol=1e-4)


def test_spectral_reweighting_at_zero_is_a_rotation_and_at_half_squares_the_gram():
    X = _space(1)
    U = normalize(X).astype(np.float64)
    G0 = spectral_reweighting(X, 0.0).astype(np.float64)
    assert np.allclose(G0 @ G0.T, U @ U.T, atol=1e-4)
    G = spectral_reweighting(X, 0.5).astype(np.float64)
    assert np.allclose(G @ G.T, U @ (U.T @ U) @ U.T, atol=1e-3)


def test_the_tuning_tables_are_the_records_rendered(tmp_path):
    """Every ``<!-- tuning:... -->`` table of bench/tuning.md is what its records in bench/tuning_runs.jsonl render
    to, so no number there is typed by hand or left behind by a later run."""
    from pathlib import Path

    from bench.tune_presets import write_tables

    root = Path(__file__).resolve().parents[1]
    md = tmp_path / "tuning.md"
    md.write_text((root / "bench" / "tuning.md").read_text(encoding="utf-8"), encoding="utf-8")
    write_tables(root / "bench" / "tuning_runs.jsonl", md)
    assert md.read_text(encoding="utf-8") == (root / "bench" / "tuning.md").read_text(encoding="utf-8")
