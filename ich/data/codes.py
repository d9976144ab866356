"""Slices decoded once: HU codes summed over the blocks of a base grid, the store from which
every resolution and every set of windows derives without reading a DICOM again.

A slice of n x n pixels (a non-square one padded with air first) becomes a (base, base) uint16
array and an `area`. When n is a multiple of the base (512 -> 256: area 4; 768: 9; up to 4
times the base: 16, and 16 x 4095 < 65,536), each value is the exact sum of `area` 12-bit HU
codes (HU + 1024). A resolution that divides the base sums those again, exactly, and maps the
sums through the same lookup table as the direct route (`ich.data.extract.preprocessed`): the
same bytes, with or without `window_at`. Other images (436 x 436, 408 x 374, ... : 0.04% of the
real set, or HU that are no integer shift of the stored values) are area-averaged to the base
in floats and stored in sixteenths of a code (area 16, as if 16 codes had been summed), within
1/32 HU of the direct route's averages.
"""

from __future__ import annotations

import numpy as np

from ich.data.image import (
    code_means,
    code_windows,
    pad_square,
    preprocess,
    resize_area,
    shrink_bytes,
)
from ich.dicom.hu import AIR_HU, CODE_MAX

FIXED_POINT = 16  # sixteenths of a code, for images that do not sum exactly
MAX_AREA = 16  # codes per stored value: 16 x 4095 < 65,536


def exact(n_rows: int, n_cols: int, base: int) -> bool:
    """Whether codes of an n_rows x n_cols image sum exactly onto the base grid."""
    return n_rows == n_cols and n_rows % base == 0 and (n_rows // base) ** 2 <= MAX_AREA


def from_codes(codes: np.ndarray, base: int) -> tuple[np.ndarray, int]:
    """(n, n) uint16 HU codes -> (their exact block sums on the base grid, codes per sum).
    Requires `exact(n, n, base)`."""
    n = codes.shape[0]
    b = n // base
    rows = codes.reshape(base, b, n).sum(axis=1, dtype=np.uint16)  # b * 4095 < 65,536
    return rows.reshape(base, base, b).sum(axis=2, dtype=np.uint16), b * b


def from_hu(hu: np.ndarray, base: int) -> tuple[np.ndarray, int]:
    """Any HU image -> (its area averages on the base grid, padded square with air first, in
    sixteenths of a code; FIXED_POINT)."""
    means = resize_area(pad_square(hu), base)
    codes = np.clip(means - np.float32(AIR_HU), 0, CODE_MAX) * np.float32(FIXED_POINT)
    return np.rint(codes).astype(np.uint16), FIXED_POINT


def derive(
    sums: np.ndarray,
    area: int,
    resolution: int,
    windows: tuple[tuple[float, float], ...],
    window_at: int | None = None,
) -> np.ndarray:
    """(base, base) stored sums of `area` codes each -> (resolution, resolution, C) uint8.

    Where the windowing grid (`window_at`, else the resolution) divides the base and the
    resolution divides that grid: the direct route's integer machinery on the sums, the same
    bytes. Any other resolution (the seed's 50 or 75 px at a 256 base): the means are
    area-averaged from the base in floats, which differs from averaging the native pixels at
    the skull's edges."""
    base = sums.shape[0]
    at = window_at or resolution
    if base % at or at % resolution:
        hu = code_means(sums.astype(np.float32), area)
        return preprocess(hu, resolution, list(windows), window_at)
    windowed = code_windows(base, at, tuple(windows), area)(sums)
    return shrink_bytes(windowed, resolution)
