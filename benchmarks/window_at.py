"""What windowing at a finer resolution first (`extract.window_at`) costs per slice.

The integer route on one 512 x 512 slice of 12-bit HU codes, to 128 px with the default three
windows: windowed at 128 px (window_at null), at 256 px and at 512 px. Prints the median of
`--repeats` timings of `--slices` calls each, and the ratio to the null route.

Usage: python benchmarks/window_at.py [--resolution 128] [--slices 50] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from ich.data.image import code_windows, shrink_bytes

WINDOWS = ((40, 80), (80, 200), (600, 2800))


def per_slice(codes: np.ndarray, resolution: int, at: int | None, slices: int) -> float:
    """Seconds per slice, one timing of `slices` calls."""
    grid = at or resolution
    start = time.perf_counter()
    for _ in range(slices):
        image = code_windows(512, grid, WINDOWS)(codes)
        if grid != resolution:
            image = shrink_bytes(image, resolution)
    return (time.perf_counter() - start) / slices


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--resolution", type=int, default=128)
    ap.add_argument("--slices", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    codes = np.random.default_rng(0).integers(0, 4096, (512, 512)).astype(np.uint16)
    medians = {}
    for at in (None, 256, 512):
        per_slice(codes, args.resolution, at, 2)  # warm-up: tables and work arrays
        runs = [per_slice(codes, args.resolution, at, args.slices) for _ in range(args.repeats)]
        medians[at] = statistics.median(runs)
    for at, seconds in medians.items():
        print(
            f"window_at {str(at):>4} -> {args.resolution} px: {seconds * 1e3:.2f} ms a slice "
            f"({seconds / medians[None]:.1f}x the null route)"
        )


if __name__ == "__main__":
    main()
