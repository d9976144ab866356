"""New scans -> model images in one pass (`predict`): each file decoded onto the model's base
grid and derived at once, the bytes the pipeline's decode and extract give it, without keeping
the base grid. Sharded over the workers into a file, so memory stays bounded at any count.
Models whose card names no base grid (trained before the decode stage) get the direct route.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ich.data.decode import CODE, read_sharded, to_base
from ich.data.extract import Settings
from ich.data.image import code_windows, into, preprocess, shrink_bytes
from ich.data.shards import code_version, run_key
from ich.dicom.read import hu_codes, stored_pixels, to_hu


def image(s: Settings, ds, out: np.ndarray) -> None:
    """One slice's image into `out`, as the pipeline derives it."""
    if s.base is None:
        preprocessed(ds, s, out)
    else:
        into(out, s.from_base(*to_base(ds, s.base)))


def decode_images(
    files: list[str], images: Path, s: Settings, workers: int, desc: str = "decode"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Decode and derive at once, for new scans (`predict`): row i of `images` is files[i]'s
    image, the bytes the pipeline gives it; sharded over the workers, into a file, so memory
    stays bounded at any count. Returns (index, rejected)."""
    key = run_key([s.card(), code_version(CODE)], files)
    index, rejected, _ = read_sharded(
        files, images, s.rows(), partial(image, s), key, workers, 1.0, s.shard_size, desc
    )
    return index, rejected


def preprocessed(ds, s: Settings, out: np.ndarray | None = None) -> np.ndarray:
    """(resolution, resolution, C) uint8 windowed, area-averaged image of one slice straight
    from its pixels (into `out` if given): models whose card names no base grid, and the
    reference the derived route is tested against.

    Square images with whole blocks (every 512x512 RSNA slice) take the integer route: HU codes,
    exact block sums, a lookup table of windowed bytes (then, with `window_at`, exact sums of
    those bytes). The rest take the float route. Both give the same bytes for the same HU
    (tests check it). The pixel buffer of a fast-read header is reused as work space: read the
    slice again to use its pixels after this."""
    pixels = stored_pixels(ds)
    n_rows, n_cols = pixels.shape
    at = s.window_at or s.resolution
    if n_rows == n_cols and n_rows % at == 0 and n_rows // at <= 64 and at % s.resolution == 0:
        codes = hu_codes(pixels, ds, in_place=pixels.flags.writeable)
        if codes is not None:
            if at == s.resolution:
                return code_windows(n_rows, at, s.windows)(codes, out)
            return into(out, shrink_bytes(code_windows(n_rows, at, s.windows)(codes), s.resolution))
    return into(out, preprocess(to_hu(pixels, ds), s.resolution, s.windows, s.window_at))


def find_dicoms(inputs: list[Path]) -> list[Path]:
    """Files as given, folders searched recursively for *.dcm; sorted, no duplicates."""
    found: set[Path] = set()
    for item in inputs:
        if item.is_dir():
            found.update(item.rglob("*.dcm"))
        elif item.exists():
            found.add(item)
        else:
            raise FileNotFoundError(f"{item}: no such file or folder")
    return sorted(found)
