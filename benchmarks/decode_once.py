"""Decode once, derive in minutes: the decode stage against the disk, and the extract stage
(what a change of `extract.resolution` or `extract.windows` reruns) against the decode.

On N synthetic 512x512 slices (>= 10,000 by default), with the page cache dropped for the files
each step reads before it runs (posix_fadvise DONTNEED after a sync: no root needed):
- disk: one 2 GB file read sequentially, 8 MB at a time (the disk's sequential read rate);
- decode: the decode stage's library on all workers, DICOMs cold (with and without its
  read-ahead), and warm;
- extract: the extract stage's library on all workers (128 px, 3 windows, windowed at the
  base when the base allows it, as the default does), its codes cold, and warm.
Each step runs in a fresh process, as a stage does; steps take turns in each round. Prints
medians and the ratios the issue asks for, then the full-scale estimate (752,803 slices).
Usage: python benchmarks/decode_once.py [--patients 340] [--bases 256,128] [--rounds 3]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the stages do

import argparse  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks.page_cache import evict  # noqa: E402
from ich.jobs import worker_count  # noqa: E402

WINDOWS = ((40.0, 80.0), (80.0, 200.0), (600.0, 2800.0))
FULL_SLICES, FULL_DICOM_GB = 752_803, 450
DISK_FILE_GB = 2


def dicoms(root: Path) -> list[Path]:
    return sorted((root / "stage_2_train").glob("*.dcm"))


def step(name: str, root: Path, base: int) -> float:
    """Seconds one step takes (in this process)."""
    from ich.data import decode
    from ich.data.extract import ExtractSpec, extract

    codes, areas = root / f"codes_{base}.npy", root / f"areas_{base}.npy"
    if name == "disk":
        evict([root / "disk.bin"])
        start, buffer = time.perf_counter(), bytearray(8 << 20)
        with open(root / "disk.bin", "rb", buffering=0) as f:
            while f.readinto(buffer):
                pass
        return time.perf_counter() - start
    if name.startswith("decode"):
        files = dicoms(root)
        if name != "decode_warm":
            evict(files)
        if name == "decode_no_readahead":
            decode.prefetch = lambda path: None
        codes.unlink(missing_ok=True)
        start = time.perf_counter()
        ids, folder = [f.stem for f in files], files[0].parent
        _, _, got = decode.decode(ids, folder, codes, base, worker_count())
        seconds = time.perf_counter() - start
        np.save(areas, got)
        return seconds
    spec = ExtractSpec(resolution=128, windows=WINDOWS, window_at=base if base >= 128 else None)
    settings, out = spec.settings(base), root / "images.npy"
    if name == "extract":
        evict([codes])
    out.unlink(missing_ok=True)
    start = time.perf_counter()
    extract(codes, np.load(areas), out, settings, worker_count())
    return time.perf_counter() - start


STEPS = ["disk", "decode", "decode_no_readahead", "extract", "decode_warm", "extract_warm"]


def in_fresh_process(name: str, root: Path, base: int) -> float:
    cmd = [sys.executable, __file__, "--step", name, "--data", str(root), "--bases", str(base)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


def report(times: dict[str, list[float]], n: int, dicom_gb: float, base: int) -> None:
    med = {k: statistics.median(v) for k, v in times.items()}
    disk = DISK_FILE_GB / med["disk"]
    rounds = len(times["disk"])
    print(f"\nbase {base} px ({n} slices, {dicom_gb:.2f} GB of DICOMs; medians of {rounds})")
    print(f"  disk, sequential          {disk:6.2f} GB/s")
    for k in ("decode", "decode_no_readahead"):
        rate = dicom_gb / med[k]
        # the disk's rate moves from round to round: each round's decode against its own disk
        disks = [DISK_FILE_GB / d for d in times["disk"]]
        per_round = [dicom_gb / t / r for t, r in zip(times[k], disks, strict=True)]
        print(
            f"  {k:25s} {rate:6.2f} GB/s, {n / med[k]:5.0f} slices/s; x disk, per round: "
            f"{statistics.median(per_round):.2f} ({min(per_round):.2f}-{max(per_round):.2f})"
        )
    print(f"  decode, warm              {n / med['decode_warm']:7.0f} slices/s")
    print(f"  extract, codes cold       {n / med['extract']:7.0f} slices/s")
    print(f"  extract, warm             {n / med['extract_warm']:7.0f} slices/s")
    per_round = [e / d for e, d in zip(times["extract"], times["decode"], strict=True)]
    print(
        f"  extract / decode (cold)   {statistics.median(per_round):.3f} "
        f"(rounds {min(per_round):.3f}-{max(per_round):.3f}), target <= 0.333"
    )
    gb = FULL_SLICES * base * base * 2 / 1e9
    decode_min = FULL_DICOM_GB / (dicom_gb / med["decode"]) / 60
    extract_min = FULL_SLICES / (n / med["extract"]) / 60
    print(
        f"  full scale: codes {gb:.1f} GB; decode ~{decode_min:.0f} min at this disk rate, "
        f"each extract experiment ~{extract_min:.0f} min"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patients", type=int, default=340, help="~30 slices each")
    ap.add_argument("--bases", default="256", help="comma-separated decode.resolution values")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--data", type=Path, help="a folder holding stage_2_train/ (no render)")
    ap.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)  # one measurement
    args = ap.parse_args()
    bases = [int(b) for b in args.bases.split(",")]
    if args.step:
        print(step(args.step, args.data, bases[0]))
        return
    from ich.synthetic.cohort import CohortSpec, plan
    from ich.synthetic.dataset import render_all

    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        if args.data:
            shutil.copytree(args.data / "stage_2_train", root / "stage_2_train")
        else:
            spec = CohortSpec.plain(seed=3, patients=args.patients)
            render_all(plan(spec), spec.seed, root, worker_count())
        with open(root / "disk.bin", "wb") as f:
            for _ in range(DISK_FILE_GB * 1024):
                f.write(os.urandom(1 << 20))
        files = dicoms(root)
        dicom_gb = sum(f.stat().st_size for f in files) / 1e9
        print(f"{len(files)} slices; {worker_count()} workers; page cache dropped per step")
        for base in bases:
            times: dict[str, list[float]] = {k: [] for k in STEPS}
            for _ in range(args.rounds):
                for name in STEPS:
                    times[name].append(in_fresh_process(name, root, base))
            report(times, len(files), dicom_gb, base)


if __name__ == "__main__":
    main()
