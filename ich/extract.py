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
    Unusable,
    hu_codes,
    identifiers,
    read_dataset,
    stored_pixels,
    to_hu,
)
from ich.image import codes_to_windows, pad_square, resize_area, window
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


def load_images(paths: list[Path] | list[str], s: Settings) -> tuple[np.ndarray, list, list]:
    """Preprocessed images of the usable files (ID = file stem), their index rows, and
    (id, path, reason, detail) for the rest. The one decoding path of extract and predict."""
    images = np.empty((len(paths), s.resolution, s.resolution, len(s.windows)), np.uint8)
    rows, rejected = [], []
    for path in paths:
        image_id = os.path.splitext(os.path.basename(path))[0]
        try:
            ds = read_dataset(path)
            ids, z = identifiers(ds)
            if ids[0] not in ("", image_id):
                raise Unusable("id_mismatch", f"SOPInstanceUID {ids[0]}")
            images[len(rows)] = preprocessed(ds, s)
        except Unusable as e:
            rejected.append((image_id, str(path), e.reason, e.detail))
            continue
        rows.append([image_id, *ids[1:], z])
    return images[: len(rows)], rows, rejected


def preprocessed(ds, s: Settings) -> np.ndarray:
    """(resolution, resolution, C) uint8 windowed, area-averaged image of one slice.

    Square images with whole blocks (every 512x512 RSNA slice) take the integer route: HU codes,
    exact block sums, a lookup table of windowed bytes. The rest take the float route. Both give
    the same bytes for the same HU (tests check it)."""
    pixels = stored_pixels(ds)
    n_rows, n_cols = pixels.shape
    if n_rows == n_cols and n_rows % s.resolution == 0 and n_rows // s.resolution <= 64:
        codes = hu_codes(pixels, ds)
        if codes is not None:
            return codes_to_windows(codes, s.resolution, s.windows)
    return window(resize_area(pad_square(to_hu(pixels, ds)), s.resolution), list(s.windows))


def extract_shard(ids: list[str], dicom_dir: Path, s: Settings) -> tuple[np.ndarray, list, list]:
    folder = str(dicom_dir)  # plain strings: pathlib cost ~10 us a slice here (measured)
    return load_images([os.path.join(folder, f"{i}.dcm") for i in ids], s)


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
    blocks = [_shard_paths(work, k)[0] for k in range(len(shards))]
    index = assemble(blocks, [r for m in metas for r in m["rows"]], out, settings)
    shutil.rmtree(work)
    return index, rejected


def assemble(blocks: list[Path], rows: list, out: Path, s: Settings) -> pd.DataFrame:
    """Concatenate the shards' images, in order, into one images.npy (memory bounded by a
    shard). Plain reads and writes: a memmap cost twice the time in page faults and msync."""
    shapes = [np.load(b, mmap_mode="r").shape for b in blocks]
    shape = (sum(sh[0] for sh in shapes), s.resolution, s.resolution, len(s.windows))
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "images.tmp.npy"
    with open(tmp, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "|u1", "fortran_order": False, "shape": shape}
        )
        for block in blocks:
            f.write(np.load(block).data)
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
