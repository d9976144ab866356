"""Area resize and windowing."""

from __future__ import annotations

import numpy as np
import pytest

from ich.data.image import area_band, area_sums, pad_square, preprocess, resize_area, window


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
    assert (area_band(512, 50)[1].sum(axis=1) == 512).all()


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


def test_shrink_bytes_is_the_rounded_block_mean():
    """Whole blocks: the nearest byte to each block's mean (numpy float64 as the reference);
    other ratios keep the mean."""
    from ich.data.image import shrink_bytes

    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    means = img.reshape(16, 4, 16, 4, 3).astype(np.float64).mean(axis=(1, 3))
    out = shrink_bytes(img, 16)
    assert out.dtype == np.uint8 and out.shape == (16, 16, 3)
    assert np.abs(out - means).max() <= 0.5
    odd = shrink_bytes(img, 10)
    assert odd.shape == (10, 10, 3)
    assert np.allclose(odd.mean(axis=(0, 1)), img.mean(axis=(0, 1)), atol=1)


def test_windowing_first_keeps_a_thin_rim_beside_bone():
    """A 2-pixel rim of blood (60 HU) between bone and brain, at 1/8 resolution: averaged as HU
    first, bone makes the mixed pixel white in the brain window with or without the rim;
    windowed first, the rim still brightens it."""

    def head(rim_hu: float) -> np.ndarray:
        hu = np.full((64, 64), 35.0, np.float32)  # brain
        hu[:, :6] = 1500.0  # bone
        hu[:, 6:8] = rim_hu  # a rim of blood, or brain
        return hu

    def rim_contrast(window_at: int | None) -> int:
        with_rim = preprocess(head(60.0), 8, [(40, 80)], window_at)
        without = preprocess(head(35.0), 8, [(40, 80)], window_at)
        return int(with_rim[:, 0, 0].astype(int).mean() - without[:, 0, 0].astype(int).mean())

    assert rim_contrast(None) == 0, "averaged first, the rim vanishes into the bone"
    assert rim_contrast(64) >= 15, "windowed first, the rim survives"
    same = preprocess(head(60.0), 8, [(40, 80)], 8), preprocess(head(60.0), 8, [(40, 80)])
    assert np.array_equal(*same), "windowed at the output resolution: today's route"


def supersampled_mean(img: np.ndarray, size: int) -> np.ndarray:
    """The independent reference: repeat every pixel `size` times along each axis, so that each
    output pixel covers whole blocks of n x n, and average those blocks in float64."""
    n = img.shape[0]
    fine = np.repeat(np.repeat(img.astype(np.float64), size, axis=0), size, axis=1)
    return fine.reshape(size, n, size, n).mean(axis=(1, 3))


@pytest.mark.parametrize("n, size", [(13, 5), (650, 256), (436, 256), (7, 11), (512, 50)])
def test_area_averages_match_supersampling(n, size):
    """Any ratio, down or up: the banded float route within float32 rounding, and the integer
    sums exactly n * n times the reference."""
    rng = np.random.default_rng(n)
    img = rng.integers(-1024, 3071, (n, n))
    want = supersampled_mean(img, size) if n * size <= 4096 else None
    if want is None:  # too large to supersample: a float64 separable product instead
        index, weights = area_band(n, size)
        m = np.zeros((size, n))
        np.add.at(m, (np.arange(size)[:, None], index), weights / n)
        want = m @ img @ m.T
    assert np.abs(resize_area(img.astype(np.float32), size) - want).max() < 1e-2
    sums = area_sums(img, size)
    assert sums.dtype == np.int64
    assert np.allclose(sums / (n * n), want, rtol=0, atol=1e-9)
