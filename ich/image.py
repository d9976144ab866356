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
    n = img.shape[0]
    m = area_matrix(n, size)
    if n % size == 0:
        # Whole blocks (512 -> 64, 128, 256): summing groups of contiguous rows (converting to
        # float32 on the way) replaces the large product m @ img (4x faster, measured); the
        # small product then averages the columns.
        rows = img.reshape(size, n // size, n).sum(axis=1, dtype=np.float32)
        return (rows * np.float32(size / n)) @ m.T
    return m @ img.astype(np.float32, copy=False) @ m.T


def window(img: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
    """HU image -> (..., C) uint8, one channel per [center, width] linear window."""
    centers, widths = np.array(windows, np.float32).T
    scaled = (img[..., None] - (centers - widths / 2)) * (np.float32(255) / widths)
    np.clip(scaled, 0, 255, out=scaled)
    return np.rint(scaled, out=scaled).astype(np.uint8)


def preprocess(hu: np.ndarray, size: int, windows: list[tuple[float, float]]) -> np.ndarray:
    """HU image -> model input: pad to square, area-resize, window."""
    return window(resize_area(pad_square(hu), size), windows)
