"""Image operations shared by extraction and prediction: square padding, area resize, windows."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

AIR_HU = -1024


def pad_square(hu: np.ndarray, fill: int = AIR_HU) -> np.ndarray:
    """Centre a non-square image on a square canvas of air, so resizing keeps the aspect."""
    rows, cols = hu.shape
    if rows == cols:
        return hu
    n = max(rows, cols)
    out = np.full((n, n), fill, hu.dtype)
    r0, c0 = (n - rows) // 2, (n - cols) // 2
    out[r0 : r0 + rows, c0 : c0 + cols] = hu
    return out


@lru_cache(maxsize=32)
def area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights: each output pixel is the area-weighted mean of the inputs it covers.

    Exact area averaging for any ratio (512 -> 50 included), the anti-aliased resize that keeps
    thin bleeds; two small matrix products apply it to an image.
    """
    edges = np.linspace(0, n_in, n_out + 1)
    lo, hi = edges[:-1, None], edges[1:, None]
    left, right = np.arange(n_in)[None, :], np.arange(1, n_in + 1)[None, :]
    overlap = np.clip(np.minimum(hi, right) - np.maximum(lo, left), 0, None)
    return (overlap / overlap.sum(axis=1, keepdims=True)).astype(np.float32)


def resize_area(img: np.ndarray, size: int) -> np.ndarray:
    """Square image -> (size, size) float32 by area averaging."""
    m = area_matrix(img.shape[0], size)
    return m @ img.astype(np.float32, copy=False) @ m.T


def window(img: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
    """HU image -> (..., C) uint8, one channel per [center, width] linear window."""
    out = np.empty((*img.shape, len(windows)), np.uint8)
    for c, (center, width) in enumerate(windows):
        lo = center - width / 2
        scaled = (img - np.float32(lo)) * np.float32(255.0 / width)
        out[..., c] = np.rint(np.clip(scaled, 0, 255))
    return out


def preprocess(hu: np.ndarray, size: int, windows: list[tuple[float, float]]) -> np.ndarray:
    """The one preprocessing used by extract and predict: pad, area-resize, window."""
    return window(resize_area(pad_square(hu), size), windows)
