"""The training input pipeline alone (no model), and training through it.

Images/s that `SliceBatches` delivers through Keras's own PyDataset adapter (what `fit`
iterates), batches of 32, every row of a memory-mapped images.npy of random bytes:
- cold: a file of --cold-gb at 64 px, its pages dropped before each step (posix_fadvise
  DONTNEED after a sync: no root needed), against the disk's sequential read rate measured
  on the same file in the same round (the faster of plain 8 MB reads and the same with
  read-ahead asked for); the chunked shuffle (`train.loader.order: chunks`)
  against the per-image random order (`rows`, timed on its first --random-batches batches);
- cached: 64, 128 and 256 px files read once before, each order with 0 workers, 2 threads
  and 2 processes;
- training: the default CNN at 64 px fit for one epoch through the pipeline (page-cached
  memmap) against a bare `model.fit` on the same images held in memory, taking turns.
Steps take turns in each round; prints medians and the ratios issue 14 asks for.
Usage: python benchmarks/loader_throughput.py [--cold-gb 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.page_cache import evict
from ich.data.inputs import ServeEpochs, SliceBatches
from ich.data.order import LoaderSpec
from ich.rsna import LABELS

BATCH = 32
CACHED_ROWS = {64: 40_000, 128: 12_000, 256: 3_000}
TRAIN_IMAGES = 3_320  # the default run's training split


def make_images(path: Path, rows: int, size: int) -> None:
    """An (rows, size, size, 3) uint8 .npy of random bytes, written in blocks."""
    array = np.lib.format.open_memmap(path, "w+", np.uint8, (rows, size, size, 3))
    rng = np.random.default_rng(0)
    for start in range(0, rows, 4096):
        block = array[start : start + 4096]
        block[:] = rng.integers(0, 256, block.shape, dtype=np.uint8)
    array.flush()
    del array


def split_of(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"row": np.arange(n), **{s: rng.integers(0, 2, n) for s in LABELS}})


def loader(order: str, workers: int) -> LoaderSpec:
    return LoaderSpec(order=order, chunk=64, window=16, workers=workers)


def disk_rate(path: Path, ahead: bool) -> float:
    """Bytes/s of one sequential pass, 8 MB per read; `ahead`: with the next 64 MB asked for
    (WILLNEED) before they are read, as the loader asks for its windows. One synchronous
    reader leaves a virtual disk idle between requests; the faster of the two is the disk."""
    evict([path])
    buffer, step = bytearray(8 << 20), 64 << 20
    done, t = 0, time.perf_counter()
    with open(path, "rb", buffering=0) as f:
        while True:
            if ahead and done % step == 0:
                os.posix_fadvise(f.fileno(), done, 2 * step, os.POSIX_FADV_WILLNEED)
            n = f.readinto(buffer)
            if not n:
                break
            done += n
    return done / (time.perf_counter() - t)


def images_per_s(path: Path, spec: LoaderSpec, processes: bool = False, batches=None) -> float:
    """One epoch (or its first `batches`) through Keras's PyDataset adapter, as fit reads."""
    from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

    images = np.load(path, mmap_mode="r")
    data = SliceBatches(images, split_of(len(images)), BATCH, seed=0, loader=spec)
    data.use_multiprocessing = processes
    data.start_epoch(1)
    adapter = PyDatasetAdapter(data, shuffle=False)
    limit = batches or len(data)
    seen, t = 0, time.perf_counter()
    adapter.on_epoch_begin()
    for k, (x, _) in enumerate(adapter.get_numpy_iterator()):
        seen += len(x)
        if k + 1 >= limit:
            break
    rate = seen / (time.perf_counter() - t)
    adapter.on_epoch_end()
    return rate


def fit_rates(path: Path) -> tuple[float, float]:
    """Images/s of one epoch of the default CNN: through the pipeline, and bare from memory."""

    from ich.model.losses import WeightedBCE
    from ich.model.networks import build
    from ich.model.training import TrainSpec
    from ich.pipeline import params

    images = np.load(path, mmap_mode="r")[:TRAIN_IMAGES]
    split = split_of(TRAIN_IMAGES)
    spec = params.section(params.load(), "train", TrainSpec)
    model = build(spec, images.shape[1:], np.full(3, 127.5), np.full(3, 5400.0))
    model.compile(optimizer="adam", loss=WeightedBCE())
    data = SliceBatches(images, split, BATCH, seed=0, loader=spec.loader)
    x, y = np.array(images), split[list(LABELS)].to_numpy(np.float32)
    # each route traces its own step function once: warm both up first
    model.fit(x[: 2 * BATCH], y[: 2 * BATCH], batch_size=BATCH, epochs=1, verbose=0)
    warm = SliceBatches(images[: 2 * BATCH], split[: 2 * BATCH], BATCH, seed=0)
    model.fit(warm, epochs=1, verbose=0, shuffle=False)
    t = time.perf_counter()
    model.fit(data, epochs=1, verbose=0, shuffle=False, callbacks=[ServeEpochs(data)])
    pipeline = TRAIN_IMAGES / (time.perf_counter() - t)
    t = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=True)
    bare = TRAIN_IMAGES / (time.perf_counter() - t)
    return pipeline, bare


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cold-gb", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--random-batches", type=int, default=300)
    ap.add_argument("--dir", type=Path, default=None, help="where the files go (a real disk)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(dir=args.dir, prefix="loader_bench_"))
    cold = work / "cold_64.npy"
    make_images(cold, int(args.cold_gb * 1e9 // (64 * 64 * 3)), 64)
    cached = {size: work / f"cached_{size}.npy" for size in CACHED_ROWS}
    for size, path in cached.items():
        make_images(path, CACHED_ROWS[size], size)
    runs: dict[str, list[float]] = {}
    for r in range(args.rounds):
        row = {"disk_MB_s": disk_rate(cold, False) / 1e6}
        row["disk_read_ahead_MB_s"] = disk_rate(cold, True) / 1e6
        evict([cold])
        row["cold_chunks"] = images_per_s(cold, loader("chunks", 0))
        evict([cold])
        row["cold_chunks_2_threads"] = images_per_s(cold, loader("chunks", 2))
        evict([cold])
        row["cold_rows"] = images_per_s(cold, loader("rows", 0), batches=args.random_batches)
        for size, path in cached.items():
            np.load(path, mmap_mode="r").sum()  # into the page cache
            for order in ("chunks", "rows"):
                row[f"cached_{size}_{order}"] = images_per_s(path, loader(order, 0))
                row[f"cached_{size}_{order}_2_threads"] = images_per_s(path, loader(order, 2))
                row[f"cached_{size}_{order}_2_processes"] = images_per_s(
                    path, loader(order, 2), processes=True
                )
        row["fit_pipeline"], row["fit_bare"] = fit_rates(cached[64])
        print(json.dumps({"round": r, **{k: round(v, 1) for k, v in row.items()}}), flush=True)
        for k, v in row.items():
            runs.setdefault(k, []).append(v)
        # ratios within the round: the disk and the machine drift between rounds
        image_mb = 64 * 64 * 3 / 1e6
        runs.setdefault("chunks_vs_disk", []).append(
            max(row["cold_chunks"], row["cold_chunks_2_threads"])
            * image_mb
            / max(row["disk_MB_s"], row["disk_read_ahead_MB_s"])
        )
        runs.setdefault("chunks_vs_rows_cold", []).append(row["cold_chunks"] / row["cold_rows"])
        runs.setdefault("fit_pipeline_vs_bare", []).append(row["fit_pipeline"] / row["fit_bare"])
    medians = {k: round(statistics.median(v), 3) for k, v in runs.items()}
    print(json.dumps({"medians": medians, "rounds": args.rounds}, indent=1))
    for path in [cold, *cached.values()]:
        path.unlink()
    work.rmdir()


if __name__ == "__main__":
    main()
