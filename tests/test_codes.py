"""Decode once, derive anything: resolutions and windows from the stored base-grid sums give
the direct route's bytes wherever the resolution divides the base."""

from __future__ import annotations

import numpy as np
import pytest

from ich.data.codes import LaneWindows, derive
from ich.data.decode import to_base
from ich.data.extract import Settings
from ich.data.scans import preprocessed
from ich.dicom.read import read_dataset

WINDOWS = ((40.0, 80.0), (80.0, 200.0), (600.0, 2800.0))
# (resolution, window_at): the default, the old default, small, coarse (no table), the base
DIVIDING = [(128, 256), (128, None), (64, None), (32, 64), (16, None), (256, None)]


def stored(path, base: int = 256) -> tuple[np.ndarray, int]:
    """What the decode stage keeps of one file."""
    return to_base(read_dataset(path), base)


def direct(path, resolution: int, window_at: int | None) -> np.ndarray:
    return preprocessed(read_dataset(path), Settings(resolution, WINDOWS, window_at))


@pytest.mark.parametrize(("resolution", "window_at"), DIVIDING)
def test_derived_bytes_are_the_direct_routes_on_real_slices(fixture_files, resolution, window_at):
    for path in fixture_files[::4]:
        sums, area = stored(path)
        got = derive(sums, area, resolution, WINDOWS, window_at)
        np.testing.assert_array_equal(got, direct(path, resolution, window_at), err_msg=str(path))


def test_derived_bytes_on_every_synthetic_encoding(tiny_dataset):
    """Every 512 x 512 encoding sums exactly: identical bytes. Odd sizes are averaged onto the
    base in floats and kept in sixteenths of a code: at most one grey level apart."""
    folder = tiny_dataset[0] / "stage_2_train"
    seen = {"exact": 0, "odd size": 0}
    for path in sorted(folder.glob("*.dcm")):
        ds = read_dataset(path)
        if "PixelData" not in ds or len(ds.PixelData) < ds.Rows * ds.Columns * 2:
            continue  # the truncated file: decode rejects it
        sums, area = stored(path)
        kind = "exact" if ds.Rows == ds.Columns == 512 else "odd size"
        if seen[kind] >= 12:
            continue
        seen[kind] += 1
        for resolution, window_at in DIVIDING[:3]:
            got = derive(sums, area, resolution, WINDOWS, window_at).astype(int)
            want = direct(path, resolution, window_at)
            assert np.abs(got - want).max() <= (0 if kind == "exact" else 1), path
    assert seen["exact"] == 12 and seen["odd size"] >= 4, seen


def test_a_resolution_not_dividing_the_base_is_averaged_from_it(fixture_files):
    """The seed's 50 px from a 256 base: the same head, not the same bytes at the skull."""
    sums, area = stored(fixture_files[16])
    got = derive(sums, area, 50, WINDOWS)
    want = direct(fixture_files[16], 50, None)
    diff = np.abs(got.astype(int) - want)
    assert got.shape == want.shape == (50, 50, 3)
    assert np.median(diff) <= 1 and diff.mean() < 5  # identical nearly everywhere


@pytest.mark.parametrize(("area", "sizes"), [(4, (128, 64, 16)), (9, (128, 32)), (16, (64,))])
def test_lane_windows_round_as_shrink_bytes_does(area, sizes):
    """Windowing every base pixel then averaging, all channels at once in 16-bit lanes: the
    bytes of windowing channel by channel and `shrink_bytes` (ties to even included)."""
    from ich.data.image import code_windows, shrink_bytes

    rng = np.random.default_rng(area)
    sums = rng.integers(0, 4095 * area, (256, 256), endpoint=True).astype(np.uint16)
    sums[:8] = rng.integers(1000 * area, 1150 * area, (8, 256))  # brain window: many ties
    for size in sizes:
        assert LaneWindows.fits(256 // size, 3)
        want = shrink_bytes(code_windows(256, 256, WINDOWS, area)(sums), size)
        np.testing.assert_array_equal(derive(sums, area, size, WINDOWS, 256), want)
