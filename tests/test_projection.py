"""core.projection: seeded 2-D projections, float32 out, clear errors."""

import numpy as np
import pytest

from core.errors import ConfigError
from core.projection import PROJECTION_METHODS, project_2d


def _points(n=40, d=10, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


@pytest.mark.parametrize("method", PROJECTION_METHODS)
def test_shape_dtype_and_seeded(method):
    X = _points()
    a = project_2d(X, method, random_state=3)
    b = project_2d(X, method, random_state=3)
    assert a.shape == (40, 2) and a.dtype == np.float32
    assert np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)


def test_pca_keeps_the_main_direction():
    rng = np.random.default_rng(1)
    t = rng.normal(size=50)
    X = np.c_[10 * t, 0.1 * rng.normal(size=(50, 4))].astype(np.float32)
    Y = project_2d(X, "pca")
    # the first axis is the stretched direction, up to sign
    assert abs(np.corrcoef(Y[:, 0], t)[0, 1]) > 0.99


def test_accepts_generator_and_tiny_sets():
    Y = project_2d(_points(5), "tsne", random_state=np.random.default_rng(0))
    assert Y.shape == (5, 2)
    assert project_2d(_points(4), "umap").shape == (4, 2)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 5), np.float32), "at least 3 words"),
    (np.zeros((5, 1), np.float32), "at least 2"),
    (np.full((5, 3), np.nan, np.float32), "NaN"),
])
def test_clear_errors(bad, message):
    with pytest.raises(ConfigError, match=message):
        project_2d(bad, "pca")


def test_unknown_method():
    with pytest.raises(ConfigError, match="choose one of"):
        project_2d(_points(), "mds")
    # "t-SNE" spelled as the label works too
    assert project_2d(_points(10), "t-SNE").shape == (10, 2)


def test_frames_share_a_pca_basis():
    from core.projection import project_2d_frames

    X = _points(30, 6)
    shifted = X + np.float32(1.0)   # a translation of the whole cloud
    Y0, Y1 = project_2d_frames([X, shifted], "pca")
    assert Y0.dtype == np.float32 and Y0.shape == (30, 2)
    # same basis: the shape of the cloud is identical, only moved
    np.testing.assert_allclose(Y1 - Y1.mean(0), Y0 - Y0.mean(0), atol=1e-4)
    # the last frame is the plain PCA picture
    np.testing.assert_allclose(np.abs(Y1 - Y1.mean(0)), np.abs(project_2d(shifted, "pca")), atol=1e-4)


def test_frames_do_not_spin_for_tsne(monkeypatch):
    import core.projection as proj

    # Each t-SNE frame is rotated/reflected onto the previous one: feed frames that are a spun copy.
    Y = _points(20, 2)
    c, s_ = np.cos(1.0), np.sin(1.0)
    spun = (Y @ np.array([[c, -s_], [s_, c]], np.float32)) * np.array([1, -1], np.float32)
    outputs = iter([Y, spun])
    monkeypatch.setattr(proj, "project_2d", lambda F, method, random_state=0, **kw: next(outputs))
    first, second = proj.project_2d_frames([_points(20), _points(20)], "tsne")
    np.testing.assert_allclose(second, Y - Y.mean(0), atol=1e-4)
    np.testing.assert_array_equal(first, Y)


def test_frames_errors():
    from core.projection import project_2d_frames

    assert project_2d_frames([], "pca") == []
    with pytest.raises(ConfigError, match="same rows"):
        project_2d_frames([_points(10), _points(11)], "pca")
