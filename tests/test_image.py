"""Area resize and windowing."""

from __future__ import annotations

import numpy as np

from ich.data.image import area_matrix, pad_square, preprocess, resize_area, window


def test_integer_factor_is_block_mean():
    img = np.arange(64, dtype=np.float32).reshape(8, 8)
    expected = img.reshape(4, 2, 4, 2).mean(axis=(1, 3))
    assert np.allclose(resize_area(img, 4), expected)


def test_any_ratio_preserves_mean_and_thin_lines():
    img = np.zeros((512, 512), np.float32)
    img[:, 300:302] = 100.0  # a 2-pixel bright line (a thin bleed)
    small = resize_area(img, 50)
    assert np.isclose(small.mean(), img.mean(), rtol=1e-4)
    assert small.max() > 5, "area averaging keeps a trace of the line"
    assert np.allclose(area_matrix(512, 50).sum(axis=1), 1)


def test_point_sampling_would_lose_the_line():
    """What the seed's 512->50 sampling did: most sample grids miss a 2-pixel line."""
    img = np.zeros((512, 512), np.float32)
    img[:, 300:302] = 100.0
    idx = np.linspace(0, 511, 50).astype(int)
    assert img[np.ix_(idx, idx)].max() == 0


def test_pad_square_keeps_aspect():
    img = np.ones((490, 638), np.float32)
    sq = pad_square(img)
    assert sq.shape == (638, 638)
    assert sq[0, 0] == -1024 and sq[100:500, :].max() == 1


def test_window_and_preprocess_shape():
    hu = np.array([[-1000.0, 0.0, 40.0, 80.0, 3000.0]])
    out = window(hu, [(40, 80)])
    assert out[..., 0].tolist() == [[0, 0, 128, 255, 255]]
    x = preprocess(np.zeros((512, 512), np.float32), 32, [(40, 80), (600, 2800)])
    assert x.shape == (32, 32, 2) and x.dtype == np.uint8
