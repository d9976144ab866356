"""Extraction throughput on the same N synthetic 512x512 slices (issue 4's benchmark).

(a) the project's extract with 1 worker and with all workers;
(b) the seed notebook's loop: dcmread + pixel_array + bilinear resize, one process;
(c) the floor: raw bytes + int16 HU + area downsample in numpy, one process.
Prints images/s (median of --repeats runs) and the target ratios.
Usage: python benchmarks/extract_throughput.py [--patients 100] [--resolution 64] [--repeats 5]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the extract stage does

import argparse  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pydicom  # noqa: E402

from ich import workers as W  # noqa: E402
from ich.cohort import CohortSpec, plan  # noqa: E402
from ich.extract import Settings, extract  # noqa: E402
from ich.image import resize_area  # noqa: E402
from ich.synthesize import render_all  # noqa: E402

WINDOWS = ((40.0, 80.0), (80.0, 200.0), (600.0, 2800.0))


def bilinear(img: np.ndarray, size: int) -> np.ndarray:
    """OpenCV INTER_LINEAR semantics (half-pixel centres, no anti-aliasing), as the seed used."""
    n = img.shape[0]
    c = (np.arange(size) + 0.5) * n / size - 0.5
    c = np.clip(c, 0, n - 1)
    i0 = np.floor(c).astype(int)
    i1 = np.minimum(i0 + 1, n - 1)
    f = (c - i0).astype(np.float32)
    rows = img[i0] * (1 - f)[:, None] + img[i1] * f[:, None]
    return rows[:, i0] * (1 - f)[None, :] + rows[:, i1] * f[None, :]


def seed_loop(files: list[Path], size: int) -> None:
    for f in files:
        x = pydicom.dcmread(f).pixel_array.astype(np.float32)
        bilinear(x, size) / 255.0


def floor_loop(files: list[Path], size: int) -> None:
    for f in files:
        raw = f.read_bytes()
        px = np.frombuffer(raw, "<i2", 512 * 512, len(raw) - 512 * 512 * 2).reshape(512, 512)
        hu = px.astype(np.int16) - np.int16(1024)
        resize_area(hu, size)


def floor_parallel(files: list[Path], size: int, workers: int) -> None:
    """The floor split over processes: how far the machine itself scales this work."""
    from multiprocessing import get_context

    chunks = [files[i::workers] for i in range(workers)]
    with get_context("fork").Pool(workers) as pool:
        pool.starmap(floor_loop, [(c, size) for c in chunks])


def interleaved(variants: dict, repeats: int, before=lambda: None) -> dict[str, float]:
    """Median seconds per variant, the variants run in turn in each round, so that drift in
    the machine's load affects them alike. `before` runs, untimed, before each variant."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            before()
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patients", type=int, default=100, help="30 slices each")
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    spec = CohortSpec.plain(seed=3, patients=args.patients)
    cores = W.count()
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        render_all(plan(spec), spec.seed, root, cores)
        files = sorted((root / "stage_2_train").glob("*.dcm"))
        ids = [f.stem for f in files]
        n = len(files)
        settings = Settings(args.resolution, WINDOWS, shard_size=256)
        for f in files:  # warm the page cache, so every variant reads from memory
            f.read_bytes()
        print(
            f"{n} slices 512x512 -> {args.resolution}px x {len(WINDOWS)} windows; "
            f"{cores} workers; {platform.processor() or platform.machine()}"
        )
        variants = {
            "a_extract_1_worker": lambda: extract(
                ids, root / "stage_2_train", root / "o1", settings, 1
            ),
            "a_extract_all_workers": lambda: extract(
                ids, root / "stage_2_train", root / "o2", settings, cores
            ),
            "b_seed_loop": lambda: seed_loop(files, args.resolution),
            "c_numpy_floor": lambda: floor_loop(files, args.resolution),
            "c_floor_all_workers": lambda: floor_parallel(files, args.resolution, cores),
        }
        def clean() -> None:  # a real run starts without the previous run's output
            for out in ("o1", "o2"):
                shutil.rmtree(root / out, ignore_errors=True)

        timed = interleaved(variants, args.repeats, clean)
        rates = {name: n / t for name, t in timed.items()}
        for name, rate in rates.items():
            print(f"{name:24s} {rate:8.0f} images/s")
        a1, an = rates["a_extract_1_worker"], rates["a_extract_all_workers"]
        print(f"(a,1)/(c)   = {a1 / rates['c_numpy_floor']:.2f}   (target >= 0.70)")
        print(f"(a,all)/(a,1) = {an / a1:.2f}   (target >= 1.8 on 2 cores)")
        print(f"(a,all)/(b) = {an / rates['b_seed_loop']:.2f}   (target >= 3)")
        scaling = rates["c_floor_all_workers"] / rates["c_numpy_floor"]
        print(f"for reference, the floor's own scaling (c,all)/(c) = {scaling:.2f}")


if __name__ == "__main__":
    main()
