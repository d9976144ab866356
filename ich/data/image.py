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
def area_band(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Area averaging of n_in pixels onto n_out, as a band: (n_out, K) input indices and their
    integer overlap weights, in units of 1/n_out of an input pixel (each row sums to n_in).

    Exact area averaging for any ratio (512 -> 50 included), the anti-aliased resize that keeps
    thin bleeds. Applied by elementwise multiply-adds in a fixed order, never a matrix product:
    BLAS kernels sum in an order that depends on the CPU and the thread count, so the bytes did.
    """
    i = np.arange(n_out)[:, None]
    first = i * n_in // n_out
    last = ((i + 1) * n_in - 1) // n_out
    index = first + np.arange(int((last - first).max()) + 1)[None, :]
    overlap = np.minimum((i + 1) * n_in, (index + 1) * n_out) - np.maximum(i * n_in, index * n_out)
    return np.minimum(index, n_in - 1), np.clip(overlap, 0, None)


def _band(x: np.ndarray, index: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sum_k weights[:, k] * x[index[:, k]] along x's first axis, in order k = 0, 1, ..."""
    out = weights[:, :1] * x[index[:, 0]]
    for k in range(1, index.shape[1]):
        out += weights[:, k : k + 1] * x[index[:, k]]
    return out


def area_sums(img: np.ndarray, size: int) -> np.ndarray:
    """Square integer image -> (size, size) int64 exact sums of its area-weighted pixels; each
    sum carries a total weight of n * n (n = img's side): integer, so any machine agrees."""
    index, weights = area_band(img.shape[0], size)
    rows = _band(img.astype(np.int64, copy=False), index, weights)
    return _band(rows.T, index, weights).T


def add_blocks(x: np.ndarray, size: int, work: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Sums of the b x b blocks of square x (b = n // size >= 2) into `out` (size, size), in
    x's type: strided adds of whole rows (into `work`, (size, n)), then of column views. 10
    times faster than numpy's reductions over the short block axes (measured)."""
    n = x.shape[0]
    b = n // size
    rows = x.reshape(size, b, n)
    np.add(rows[:, 0], rows[:, 1], out=work)
    for k in range(2, b):
        work += rows[:, k]
    cols = work.reshape(size, size, b)
    np.add(cols[:, :, 0], cols[:, :, 1], out=out)
    for k in range(2, b):
        out += cols[:, :, k]
    return out


def block_sums(img: np.ndarray, size: int) -> np.ndarray:
    """(size, size) float32 sums of the square img's whole blocks, added in a fixed order
    (`add_blocks`), so non-integer HU sum alike on every machine."""
    n = img.shape[0]
    x = img.astype(np.float32, copy=False)
    if n == size:
        return x.copy()
    return add_blocks(x, size, np.empty((size, n), np.float32), np.empty((size, size), np.float32))


def resize_area(img: np.ndarray, size: int) -> np.ndarray:
    """Square image -> (size, size) float32 by area averaging."""
    n = img.shape[0]
    if n % size == 0:  # whole blocks (512 -> 64, 128, 256): block sums, then one scaling
        return block_sums(img, size) * np.float32(1 / (n // size) ** 2)
    index, weights = area_band(n, size)
    w = (weights / n).astype(np.float32)
    rows = _band(img.astype(np.float32, copy=False), index, w)
    return _band(rows.T, index, w).T.copy()


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
        means = np.stack([resize_area(img[..., k], size) for k in range(c)], axis=-1)
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
