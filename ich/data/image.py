"""Image operations shared by extraction and prediction: square padding, area resize, windows.

Two routes give the same bytes. The general one works on float HU images. The fast one works
on 12-bit HU codes (HU + 1024 in 0..4095, see `ich.dicom.read.hu_codes`): it sums whole blocks
exactly and maps each block sum straight to its windowed bytes through a lookup table built
with the general route's own float operations.

Where the windows are applied matters at the skull. Averaging HU first mixes a 2 mm subdural
rim with the bone beside it into a pixel of several hundred HU, white in every soft-tissue
window: the rim is gone. Windowing at a finer resolution first (`window_at`) clips the bone to
the window's top before the average, so the rim still shifts the pixel (measured on the
synthetic subdurals under 3 mm at 128 px: 1.5 times the signal windowed at 256 px).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ich.dicom.hu import AIR_HU, CODE_MAX


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


def block_sums(img: np.ndarray, size: int) -> np.ndarray:
    """(size, size) float32 sums of the square img's whole blocks. Contiguous row groups are
    summed in one reduction, then each run of columns by one matrix-vector product: 3x faster
    than numpy's reduction over a short last axis (measured)."""
    n = img.shape[0]
    b = n // size
    rows = img.reshape(size, b, n).sum(axis=1, dtype=np.float32)
    return (rows.reshape(size * size, b) @ np.ones(b, np.float32)).reshape(size, size)


def resize_area(img: np.ndarray, size: int) -> np.ndarray:
    """Square image -> (size, size) float32 by area averaging."""
    n = img.shape[0]
    if n % size == 0:  # whole blocks (512 -> 64, 128, 256): block sums, then one scaling
        return block_sums(img, size) * np.float32(1 / (n // size) ** 2)
    m = area_matrix(n, size)
    return m @ img.astype(np.float32, copy=False) @ m.T


def window(img: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
    """HU image -> (..., C) uint8, one channel per [center, width] linear window."""
    centers, widths = np.array(windows, np.float32).T
    shape = (len(windows),) + (1,) * img.ndim
    # Channels first, so that each operation runs over whole images, not over runs of C values.
    low, scale = (centers - widths / 2).reshape(shape), (np.float32(255) / widths).reshape(shape)
    scaled = (img[None] - low) * scale
    np.clip(scaled, 0, 255, out=scaled)
    return np.moveaxis(np.rint(scaled, out=scaled).astype(np.uint8), 0, -1).copy()


def code_means(sums: np.ndarray, area: int) -> np.ndarray:
    """Mean HU of blocks of `area` HU codes from their sums: the float32 operations of
    `resize_area` on the HU image itself, so the result is the same (the sums are exact)."""
    return (sums + np.float32(AIR_HU * area)) * np.float32(1 / area)


@lru_cache(maxsize=8)
def window_table(area: int, windows: tuple[tuple[float, float], ...]) -> np.ndarray:
    """(4096 * area, C) uint8: the windowed bytes of every possible sum of `area` HU codes."""
    sums = np.arange(CODE_MAX * area + 1, dtype=np.float32)
    return window(code_means(sums, area), list(windows))


class CodeWindows:
    """The integer route for one image size, resolution and set of windows: (n, n) uint16 HU
    codes (0..4095) -> (size, size, C) uint8, the bytes `window(resize_area(hu))` gives. Its work
    arrays are allocated once: per slice only the arithmetic is left (~60 us at 512 -> 64).

    With `unit` > 1 each input value is itself an exact sum of `unit` codes (the decoded base
    grid of `ich.data.codes`): the sums go on, and the same table maps them."""

    def __init__(self, n: int, size: int, windows: tuple[tuple[float, float], ...], unit: int = 1):
        b = n // size
        self.blocks, self.windows, self.area = (size, b, n), windows, b * b * unit
        # Up to 16 codes sum without overflow in uint16 (16 * 4095 < 65536), twice as fast.
        fits = b * unit * CODE_MAX < 2**16
        self.rows = np.empty((size, n), np.uint16 if fits else np.uint32)
        self.runs = np.empty((size * size, b), np.float32)  # sums below 2**24: exact
        self.ones, self.sums = np.ones(b, np.float32), np.empty((size, size), np.float32)
        self.index = np.empty((size, size), np.intp)
        # Beyond 256 codes a pixel the table would pass 3 MB: the means are windowed directly.
        self.table = window_table(self.area, windows) if self.area <= 256 else None

    def __call__(self, codes: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        np.sum(codes.reshape(self.blocks), axis=1, dtype=self.rows.dtype, out=self.rows)
        np.copyto(self.runs, self.rows.reshape(self.runs.shape), casting="unsafe")
        np.matmul(self.runs, self.ones, out=self.sums.reshape(-1))
        if self.table is None:
            return into(out, window(code_means(self.sums, self.area), list(self.windows)))
        np.copyto(self.index, self.sums, casting="unsafe")
        return np.take(self.table, self.index, axis=0, out=out)


@lru_cache(maxsize=8)
def code_windows(
    n: int, size: int, windows: tuple[tuple[float, float], ...], unit: int = 1
) -> CodeWindows:
    """The integer route for n x n codes (or sums of `unit` codes) to size x size (n a multiple
    of size, n // size <= 64)."""
    return CodeWindows(n, size, windows, unit)


def shrink_bytes(img: np.ndarray, size: int) -> np.ndarray:
    """(n, n, C) uint8 -> (size, size, C) uint8 by area averaging, rounded to the nearest byte.
    Whole blocks sum exactly, so `preprocess` and extract's integer route share these bytes."""
    n, c = img.shape[0], img.shape[-1]
    if n == size:
        return img
    if n % size == 0:
        # Rows of each block summed at once (uint16: up to 257 bytes), then its columns by
        # strided adds: 8 times faster than one reduction over both short axes (measured).
        b = n // size
        rows = img.reshape(size, b, n * c).sum(axis=1, dtype=np.uint16).reshape(size, size, b, c)
        sums = rows[:, :, 0].astype(np.float32)
        for k in range(1, b):
            sums += rows[:, :, k]
        means = sums * np.float32(1 / b**2)
    else:
        m = area_matrix(n, size)
        means = np.stack([m @ img[..., k].astype(np.float32) @ m.T for k in range(c)], axis=-1)
    return np.rint(means, out=means).astype(np.uint8)


def into(out: np.ndarray | None, image: np.ndarray) -> np.ndarray:
    """`image`, or `out` filled with it when given."""
    if out is None:
        return image
    out[...] = image
    return out


def preprocess(
    hu: np.ndarray, size: int, windows: list[tuple[float, float]], window_at: int | None = None
) -> np.ndarray:
    """HU image -> model input: pad to square, area-resize, window; with `window_at`, resize to
    that resolution, window there, then area-average the windowed bytes down to `size`."""
    square = pad_square(hu)
    if window_at is None:
        return window(resize_area(square, size), windows)
    return shrink_bytes(window(resize_area(square, window_at), windows), size)
