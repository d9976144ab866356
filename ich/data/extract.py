"""DICOM slices -> one memory-mappable uint8 array of windowed, area-resized images, plus an index.

Row i of images.npy is the i-th requested ID in sorted order; a rejected ID keeps a blank row
(the index lists the rows in use). Work is cut into shards of consecutive IDs, written straight
into their rows of one file in a work folder beside the output, each marked done by a small
file written after its images. A killed run resumes where it stopped; the complete file is
renamed into place at the end. The bytes depend neither on the number of workers nor on the
order shards finish.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import Field, ValidationInfo, field_validator

from ich.data.image import code_windows, into, preprocess, shrink_bytes
from ich.dicom.read import (
    Unusable,
    hu_codes,
    identifiers,
    read_dataset,
    stored_pixels,
    to_hu,
)
from ich.errors import InputError
from ich.files import write_csv, write_json
from ich.jobs import pool_map, progress
from ich.scratch import scratch
from ich.spec import Fraction, Spec

Window = tuple[float, Annotated[float, Field(gt=0)]]  # [center, width] in HU

INDEX_COLUMNS = ["row", "ID", "PatientID", "StudyInstanceUID", "SeriesInstanceUID", "z"]


@dataclass(frozen=True)
class Settings:
    resolution: int
    windows: tuple[tuple[float, float], ...]
    window_at: int | None = None  # window at this resolution, then average (None: at resolution)
    shard_size: int = 2048

    def card(self) -> dict:
        """What a model trained on these images must be fed (travels with it to `predict`)."""
        return {
            "resolution": self.resolution,
            "windows": [list(w) for w in self.windows],
            "window_at": self.window_at,
        }

    @classmethod
    def from_card(cls, card: dict) -> Settings:
        """The settings a model's card names (cards from before `window_at`: None)."""
        windows = tuple(tuple(w) for w in card["windows"])
        return cls(card["resolution"], windows, card.get("window_at"))

    def key(self, ids: list[str], dicom_dir: Path) -> str:
        """Identity of a run: a partial result is reused only for the same inputs, settings and
        decoding code (shards of an old reader are never mixed with a fixed one's)."""
        settings = [self.resolution, self.windows, self.window_at, str(dicom_dir), code_version()]
        h = hashlib.sha256(json.dumps(settings).encode())
        h.update("\n".join(ids).encode())
        return h.hexdigest()[:16]


# Every module that decides an extracted image's bytes (all imported by this one).
CODE = ("ich.data.extract", "ich.data.image", "ich.dicom.read", "ich.dicom.fast", "ich.dicom.hu")


def code_version() -> str:
    """A hash of the source of the CODE modules."""
    h = hashlib.sha256()
    for name in CODE:
        h.update(Path(sys.modules[name].__file__).read_bytes())
    return h.hexdigest()[:16]


class ExtractSpec(Spec):
    """The `extract` section of params.yaml."""

    resolution: int = Field(ge=8, le=1024)  # output images are resolution x resolution
    windows: tuple[Window, ...] = Field(min_length=1)  # [center, width] in HU, one channel each
    window_at: int | None = Field(le=1024)  # window at this resolution, then area-average
    max_rejected_fraction: Fraction

    @field_validator("window_at")
    @classmethod
    def _not_below_resolution(cls, at: int | None, info: ValidationInfo) -> int | None:
        resolution = info.data.get("resolution")
        if at is not None and resolution is not None and at < resolution:
            raise ValueError(f"must be at least extract.resolution ({resolution}) or null")
        return at

    def settings(self, shard_size: int = Settings.shard_size) -> Settings:
        return Settings(self.resolution, self.windows, self.window_at, shard_size)


class TooManyRejected(InputError):
    """More files were unusable than extract.max_rejected_fraction allows."""


def decode_into(
    paths: list[Path] | list[str], s: Settings, out: np.ndarray
) -> tuple[list[int], list, list]:
    """Preprocess file i into out[i] (left blank when the file is unusable). Returns the
    positions filled, their index rows (ID = file stem), and (id, path, reason, detail) for
    the rest. The one decoding path of extract and predict."""
    kept, rows, rejected = [], [], []
    for i, path in enumerate(paths):
        image_id = os.path.splitext(os.path.basename(path))[0]
        try:
            ds = read_dataset(path)
            ids, z = identifiers(ds)
            if ids[0] not in ("", image_id):
                raise Unusable("id_mismatch", f"SOPInstanceUID {ids[0]}")
            if z != z:  # NaN: without a height the slice has no place among its neighbours
                raise Unusable("no_position", "ImagePositionPatient missing or unreadable")
            preprocessed(ds, s, out=out[i])
        except Exception as e:  # noqa: BLE001 - a corrupt file must reject itself, not stop the run
            # pydicom converts values when they are first used, so a broken header can raise
            # almost anything here (NotImplementedError for an unknown VR, OverflowError for
            # 'inf', ...); whatever it is, it names this file only
            if not isinstance(e, Unusable):
                e = Unusable("bad_header", f"{type(e).__name__}: {e}")
            out[i] = 0
            rejected.append((image_id, str(path), e.reason, e.detail))
            continue
        kept.append(i)
        rows.append([image_id, *ids[1:], z])
    return kept, rows, rejected


def image_shape(n: int, s: Settings) -> tuple[int, int, int, int]:
    return n, s.resolution, s.resolution, len(s.windows)


def preprocessed(ds, s: Settings, out: np.ndarray | None = None) -> np.ndarray:
    """(resolution, resolution, C) uint8 windowed, area-averaged image of one slice (into
    `out` if given).

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


def _marker(work: Path, k: int) -> Path:
    """A shard's rows and rejections, written once its images are in place: the shard is done."""
    return work / f"shard_{k:06d}.json"


def _create_images(path: Path, n: int, s: Settings) -> None:
    """An images.npy of n blank rows (a sparse file)."""
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "|u1", "fortran_order": False, "shape": image_shape(n, s)}
        )
        f.truncate(f.tell() + n * s.resolution**2 * len(s.windows))


def _shard_job(job: tuple[int, int, list[str], Settings, Path, int]) -> int:
    """Extract one shard and write its images into their rows of the shared images file (row
    = position of the file among all requested files; rejected files keep a blank row)."""
    k, first_row, files, s, work, offset = job
    block = scratch(image_shape(len(files), s), np.uint8)  # reused: no fresh pages per shard
    kept, rows, rejected = decode_into(files, s, block)
    fd = os.open(work / "images.npy", os.O_WRONLY)
    try:
        data, at = memoryview(block).cast("B"), offset + first_row * block[0].nbytes
        while data:  # distinct byte ranges per shard: workers never overlap
            written = os.pwrite(fd, data, at)
            data, at = data[written:], at + written
    finally:
        os.close(fd)
    marker = _marker(work, k)
    tmp = marker.with_name(marker.name + ".tmp")
    numbered = [[first_row + i, *r] for i, r in zip(kept, rows, strict=True)]
    tmp.write_text(json.dumps({"rows": numbered, "rejected": rejected}))
    os.replace(tmp, marker)
    return len(files)


def prepare_work(work: Path, key: str, n: int, s: Settings) -> int:
    """Keep a previous partial run only if it was for the same inputs and settings; returns
    the offset of the first image row in work/images.npy."""
    stamp, images = work / "key.txt", work / "images.npy"
    if work.exists() and (not stamp.exists() or stamp.read_text() != key):
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    if not (stamp.exists() and images.exists()):
        for marker in work.glob("shard_*.json"):  # their images went with the old file
            marker.unlink()
        _create_images(images, n, s)
        stamp.write_text(key)
    with open(images, "rb") as f:
        np.lib.format.read_magic(f)
        np.lib.format.read_array_header_1_0(f)
        return f.tell()


def extract(
    ids: list[str],
    dicom_dir: Path,
    images: Path,
    settings: Settings,
    workers: int,
    max_rejected_fraction: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write `images` (an .npy file) and return (index, rejected). Resumes from the work
    folder `<images>.partial` beside it.

    Each worker writes its shards' images straight into their rows of one file, renamed into
    place when all are done: no second copy, no serial assembly. Raises TooManyRejected, with
    the full list in the work folder, without writing `images` when too many files are
    unusable.
    """
    ids = sorted(ids)
    folder = str(dicom_dir)  # plain strings: pathlib cost ~10 us a slice here (measured)
    files = [os.path.join(folder, f"{i}.dcm") for i in ids]
    key = settings.key(ids, dicom_dir)
    return extract_files(files, images, settings, workers, max_rejected_fraction, key)


def extract_files(
    files: list[str],
    images: Path,
    settings: Settings,
    workers: int,
    max_rejected_fraction: float = 1.0,
    key: str | None = None,
    desc: str = "extract",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`extract` for any list of files (row i: files[i]), as `predict` decodes new scans:
    sharded over the workers, into a file, so memory stays bounded at any count."""
    key = key or settings.key(files, Path("."))
    work = images.with_name(images.name + ".partial")
    offset = prepare_work(work, key, len(files), settings)
    n = settings.shard_size
    todo = [
        (k, i, files[i : i + n], settings, work, offset)
        for k, i in enumerate(range(0, len(files), n))
        if not _marker(work, k).exists()
    ]
    done = len(files) - sum(len(j[2]) for j in todo)
    with progress(total=len(files), initial=done, unit="slice", desc=desc) as bar:
        for count in pool_map(_shard_job, todo, workers, ordered=False):
            bar.update(count)
    metas = [json.loads(_marker(work, k).read_text()) for k in range(-(-len(files) // n))]
    rejected = pd.DataFrame(
        [r for m in metas for r in m["rejected"]], columns=["ID", "path", "reason", "detail"]
    )
    check_rejected(rejected, len(files), max_rejected_fraction, work / "rejected.csv")
    os.replace(work / "images.npy", images)
    shutil.rmtree(work)
    return index_frame([r for m in metas for r in m["rows"]]), rejected


def index_frame(rows: list) -> pd.DataFrame:
    """The index of the shards' rows (array row, identifiers, z), with each slice's position
    in its series."""
    index = pd.DataFrame(rows, columns=INDEX_COLUMNS)
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


def check_rejected(
    rejected: pd.DataFrame, requested: int, max_fraction: float, full_list: Path
) -> None:
    """Fail, naming the first files and reasons and writing them all to `full_list`, when
    too many slices could not be used."""
    if len(rejected) > max_fraction * requested:
        write_csv(full_list, rejected)
        first = "; ".join(
            f"{r.path} ({r.reason}: {r.detail})" for r in rejected.head(5).itertuples()
        )
        raise TooManyRejected(
            f"{len(rejected)} of {requested} files rejected (> extract.max_rejected_fraction = "
            f"{max_fraction}); first: {first}. Full list: {full_list}"
        )


def write_outputs(
    index: pd.DataFrame,
    rejected: pd.DataFrame,
    s: Settings,
    index_csv: Path,
    rejected_csv: Path,
    preprocessing_json: Path,
) -> None:
    write_csv(index_csv, index)
    write_csv(rejected_csv, rejected)
    write_json(preprocessing_json, s.card())
