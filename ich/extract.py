"""DICOM slices -> one memory-mappable uint8 array of windowed, area-resized images, plus an index.

Work is cut into shards of consecutive IDs. Each shard is written atomically to a work folder
beside the output, so a killed run resumes where it stopped, and the final files are assembled
in shard order: the bytes do not depend on the number of workers or the order shards finish.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

from ich.dicom_read import (
    ID_TAGS,
    Unusable,
    describe,
    is_wrapped,
    read_dataset,
    rescale,
    stored_pixels,
    to_hu,
    within_hu_range,
)
from ich.image import pad_square, resize_area, window
from ich.reports import progress, write_csv, write_json

INDEX_COLUMNS = ["row", "ID", "PatientID", "StudyInstanceUID", "SeriesInstanceUID", "z"]


@dataclass(frozen=True)
class Settings:
    resolution: int
    windows: tuple[tuple[float, float], ...]
    shard_size: int = 2048

    def key(self, ids: list[str], dicom_dir: Path) -> str:
        """Identity of a run: a partial result is reused only for the same inputs and settings."""
        h = hashlib.sha256(json.dumps([self.resolution, self.windows, str(dicom_dir)]).encode())
        h.update("\n".join(ids).encode())
        return h.hexdigest()[:16]


class TooManyRejected(RuntimeError):
    pass


def dicom_path(dicom_dir: Path, image_id: str) -> Path:
    return dicom_dir / f"{image_id}.dcm"


def load_images(paths: list[Path], s: Settings) -> tuple[np.ndarray, list, list]:
    """Preprocessed images of the usable files (ID = file stem), their index rows, and
    (id, path, reason, detail) for the rest. The one decoding path of extract and predict."""
    images, rows, rejected = [], [], []
    for path in paths:
        image_id = path.stem
        try:
            ds = read_dataset(path)
            info = describe(ds)
            if info["ids"]["SOPInstanceUID"] not in ("", image_id):
                raise Unusable("id_mismatch", f"SOPInstanceUID {info['ids']['SOPInstanceUID']}")
            small = downsampled_hu(ds, s.resolution)
        except Unusable as e:
            rejected.append((image_id, str(path), e.reason, e.detail))
            continue
        images.append(window(small, list(s.windows)))
        rows.append([image_id, *(info["ids"][t] for t in ID_TAGS[1:]), info["z"]])
    shape = (len(images), s.resolution, s.resolution, len(s.windows))
    stack = np.stack(images) if images else np.zeros(shape, np.uint8)
    return stack, rows, rejected


def downsampled_hu(ds, size: int) -> np.ndarray:
    """(size, size) float32 HU of one slice, area-averaged.

    When HU is a plain shift of the stored values (slope 1, no quirk, nothing to clip) and the
    image is square with whole blocks, the stored values are averaged first and shifted after:
    the block sums of integers are exact in float32, so this equals averaging the HU image, and
    it saves two full-resolution passes."""
    pixels = stored_pixels(ds)
    slope, intercept = rescale(ds)
    n_rows, n_cols = pixels.shape
    plain = slope == 1 and not is_wrapped(ds) and within_hu_range(pixels, ds)
    if plain and n_rows == n_cols and n_rows % size == 0:
        return resize_area(pixels, size) + np.float32(intercept)
    return resize_area(pad_square(to_hu(pixels, ds)), size)


def extract_shard(ids: list[str], dicom_dir: Path, s: Settings) -> tuple[np.ndarray, list, list]:
    return load_images([dicom_path(dicom_dir, i) for i in ids], s)


def _shard_paths(work: Path, k: int) -> tuple[Path, Path]:
    """A shard's images (.npy) and its rows and rejections (.json, written last: the marker)."""
    return work / f"shard_{k:06d}.npy", work / f"shard_{k:06d}.json"


def _shard_job(job: tuple[int, list[str], Path, Settings, Path]) -> int:
    k, ids, dicom_dir, settings, work = job
    images, rows, rejected = extract_shard(ids, dicom_dir, settings)
    npy, meta = _shard_paths(work, k)
    npy_tmp, meta_tmp = npy.with_name(npy.name + ".tmp"), meta.with_name(meta.name + ".tmp")
    with open(npy_tmp, "wb") as f:
        np.save(f, images)
    os.replace(npy_tmp, npy)
    meta_tmp.write_text(json.dumps({"rows": rows, "rejected": rejected}))
    os.replace(meta_tmp, meta)
    return len(ids)


def _run(jobs: list, workers: int) -> Iterator[int]:
    if workers <= 1 or len(jobs) <= 1:
        yield from map(_shard_job, jobs)
        return
    with get_context("fork").Pool(workers) as pool:
        yield from pool.imap_unordered(_shard_job, jobs)


def prepare_work(work: Path, key: str) -> None:
    """Keep a previous partial run only if it was for the same inputs and settings."""
    stamp = work / "key.txt"
    if work.exists() and (not stamp.exists() or stamp.read_text() != key):
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    stamp.write_text(key)


def extract(
    ids: list[str],
    dicom_dir: Path,
    out: Path,
    settings: Settings,
    workers: int,
    max_rejected_fraction: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write out/images.npy and return (index, rejected). Resumes from out/../<name>.partial.

    Raises TooManyRejected before writing anything when too many files are unusable.
    """
    ids = sorted(ids)
    work = out.with_name(out.name + ".partial")
    prepare_work(work, settings.key(ids, dicom_dir))
    n = settings.shard_size
    shards = [ids[i : i + n] for i in range(0, len(ids), n)]
    todo = [
        (k, sh, dicom_dir, settings, work)
        for k, sh in enumerate(shards)
        if not _shard_paths(work, k)[1].exists()
    ]
    done = len(ids) - sum(len(j[1]) for j in todo)
    with progress(total=len(ids), initial=done, unit="slice", desc="extract") as bar:
        for count in _run(todo, workers):
            bar.update(count)
    metas = [json.loads(_shard_paths(work, k)[1].read_text()) for k in range(len(shards))]
    rejected = pd.DataFrame(
        [r for m in metas for r in m["rejected"]], columns=["ID", "path", "reason", "detail"]
    )
    check_rejected(rejected, len(ids), max_rejected_fraction)
    blocks = [np.load(_shard_paths(work, k)[0], mmap_mode="r") for k in range(len(shards))]
    index = assemble(blocks, [r for m in metas for r in m["rows"]], out, settings)
    shutil.rmtree(work)
    return index, rejected


def assemble(blocks: list[np.ndarray], rows: list, out: Path, s: Settings) -> pd.DataFrame:
    """Stream the shards, in order, into one memmapped images.npy (memory bounded by a shard)."""
    total = sum(len(b) for b in blocks)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "images.tmp.npy"
    shape = (total, s.resolution, s.resolution, len(s.windows))
    images = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=shape)
    start = 0
    for block in blocks:
        images[start : start + len(block)] = block
        start += len(block)
    images.flush()
    del images
    os.replace(tmp, out / "images.npy")
    return index_frame(rows)


def index_frame(rows: list) -> pd.DataFrame:
    """The index of `load_images` rows: array row, identifiers, z and position in the series."""
    index = pd.DataFrame(rows, columns=INDEX_COLUMNS[1:])
    index.insert(0, "row", np.arange(len(index)))
    index["z"] = index["z"].astype(float)
    return add_positions(index)


def add_positions(index: pd.DataFrame) -> pd.DataFrame:
    """Each slice's rank by z within its series, the series length and the relative position."""
    order = index.sort_values(["SeriesInstanceUID", "z", "ID"])
    position = order.groupby("SeriesInstanceUID").cumcount()
    length = order.groupby("SeriesInstanceUID")["ID"].transform("size")
    index["position"] = position.reindex(index.index)
    index["series_length"] = length.reindex(index.index)
    index["relative_position"] = (
        index["position"] / (index["series_length"] - 1).clip(lower=1)
    ).round(6)
    return index


def summarise(index: pd.DataFrame, rejected: pd.DataFrame, requested: int) -> dict:
    reasons = Counter(rejected["reason"])
    return {
        "requested": requested,
        "extracted": int(len(index)),
        "rejected": int(len(rejected)),
        "rejected_fraction": round(len(rejected) / max(1, requested), 6),
        "rejected_by_reason": dict(sorted(reasons.items())),
        "series": int(index["SeriesInstanceUID"].nunique()),
        "patients": int(index["PatientID"].nunique()),
    }


def check_rejected(rejected: pd.DataFrame, requested: int, max_fraction: float) -> None:
    """Fail, naming the first files and reasons, when too many slices could not be used."""
    if len(rejected) > max_fraction * requested:
        first = "; ".join(
            f"{r.path} ({r.reason}: {r.detail})" for r in rejected.head(5).itertuples()
        )
        raise TooManyRejected(
            f"{len(rejected)} of {requested} files rejected (> extract.max_rejected_fraction = "
            f"{max_fraction}); first: {first}. Full list: data/extracted/rejected.csv"
        )


def write_outputs(out: Path, index: pd.DataFrame, rejected: pd.DataFrame, s: Settings) -> None:
    write_csv(out / "index.csv", index)
    write_csv(out / "rejected.csv", rejected)
    # What a model trained on these images must be fed: travels with it to `predict`.
    write_json(
        out / "preprocessing.json",
        {"resolution": s.resolution, "windows": [list(w) for w in s.windows]},
    )
