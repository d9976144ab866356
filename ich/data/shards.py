"""Filling one memory-mappable .npy file shard by shard, over all cores, resumably.

Rows are cut into shards of consecutive rows. Each worker fills a shard in memory and writes
it straight into its rows of one file in a work folder beside the output (`<out>.partial`),
then marks it done with a small JSON file of whatever the shard reports (index rows,
rejections). A killed run resumes where it stopped, but only for the same key (inputs,
settings and code); the complete file is renamed into place at the end. The bytes depend
neither on the number of workers nor on the order shards finish.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ich.jobs import pool_map, progress
from ich.scratch import scratch

# What a shard runs: fills the block (its rows, in order) and returns what the marker keeps.
Fill = Callable[[np.ndarray], dict]


@dataclass(frozen=True)
class Rows:
    """The array being filled: its row shape and type."""

    shape: tuple[int, ...]
    dtype: str

    def create(self, path: Path, n: int) -> None:
        """An .npy file of n blank rows (a sparse file: no disk until written)."""
        with open(path, "wb") as f:
            header = {"descr": np.dtype(self.dtype).str, "fortran_order": False}
            np.lib.format.write_array_header_1_0(f, {**header, "shape": (n, *self.shape)})
            f.truncate(f.tell() + n * self.nbytes)

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * np.dtype(self.dtype).itemsize


def run_key(settings: list, items: list[str]) -> str:
    """Identity of a run: a partial result is reused only for the same inputs and settings."""
    h = hashlib.sha256(json.dumps(settings).encode())
    h.update("\n".join(items).encode())
    return h.hexdigest()[:16]


def code_version(modules: tuple[str, ...]) -> str:
    """A hash of the source of the given modules (those imported): a partial run of other
    code is discarded, never mixed with this code's shards."""
    h = hashlib.sha256()
    for name in modules:
        if name in sys.modules:
            h.update(name.encode() + Path(sys.modules[name].__file__).read_bytes())
    return h.hexdigest()[:16]


def marker(work: Path, k: int) -> Path:
    """Shard k's report, written once its rows are in place: the shard is done."""
    return work / f"shard_{k:06d}.json"


def keyed_folder(work: Path, key: str) -> Path:
    """Make the work folder `work`, emptied first unless an earlier run with the same `key`
    left it; returns its key file (written by the caller once the folder is set up)."""
    stamp = work / "key.txt"
    if work.exists() and (not stamp.exists() or stamp.read_text() != key):
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    return stamp


def prepare(work: Path, key: str, n: int, rows: Rows) -> int:
    """Keep a previous partial run only if it had the same key; returns the offset of the
    first row in work/array.npy."""
    stamp, array = keyed_folder(work, key), work / "array.npy"
    if not (stamp.exists() and array.exists()):
        for done in work.glob("shard_*.json"):  # their rows went with the old file
            done.unlink()
        rows.create(array, n)
        stamp.write_text(key)
    with open(array, "rb") as f:
        np.lib.format.read_magic(f)
        np.lib.format.read_array_header_1_0(f)
        return f.tell()


def shard_job(job: tuple[int, int, int, Fill, Rows, Path, int]) -> int:
    """Fill one shard and write it into its rows of the shared file."""
    k, first, count, fill, rows, work, offset = job
    block = scratch((count, *rows.shape), np.dtype(rows.dtype))  # reused: no fresh pages
    report = fill(block)
    fd = os.open(work / "array.npy", os.O_WRONLY)
    try:
        data, at = memoryview(block).cast("B"), offset + first * rows.nbytes
        while data:  # distinct byte ranges per shard: workers never overlap
            written = os.pwrite(fd, data, at)
            data, at = data[written:], at + written
    finally:
        os.close(fd)
    done = marker(work, k)
    tmp = done.with_name(done.name + ".tmp")
    tmp.write_text(json.dumps(report))
    os.replace(tmp, done)
    return count


def fill_sharded(
    out: Path,
    n: int,
    rows: Rows,
    part: Callable[[int, int], Fill],
    key: str,
    workers: int,
    shard_size: int,
    desc: str,
) -> tuple[Path, list[dict]]:
    """Fill rows 0..n-1 of a new .npy file, `part(first, count)` giving the work of each
    shard. Returns the finished file in the work folder (`finish` moves it into place) and
    the shards' reports in row order."""
    work = out.with_name(out.name + ".partial")
    offset = prepare(work, key, n, rows)
    starts = range(0, n, shard_size)
    todo = [
        (k, i, min(shard_size, n - i), part(i, min(shard_size, n - i)), rows, work, offset)
        for k, i in enumerate(starts)
        if not marker(work, k).exists()
    ]
    done = n - sum(j[2] for j in todo)
    with progress(total=n, initial=done, unit="slice", desc=desc) as bar:
        for count in pool_map(shard_job, todo, workers, ordered=False):
            bar.update(count)
    return work, [json.loads(marker(work, k).read_text()) for k in range(len(starts))]


def finish(work: Path, out: Path) -> None:
    """Move the finished array into place and drop the work folder."""
    os.replace(work / "array.npy", out)
    shutil.rmtree(work)
