"""Labelled DICOMs -> HU codes summed on a base grid (`ich.data.codes`), once: the only
reading of the DICOMs the pipeline does.

Row i of codes.npy is the i-th requested ID in sorted order; a rejected ID keeps a blank row
and area 0 (areas.npy: codes per stored value, by row). Sharded over all cores and resumable
(`ich.data.shards`). Every exception a corrupt file can raise becomes a rejection with a reason
and the file's path; too many rejections stop the stage with the full list.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field

from ich.data.codes import exact, from_codes, from_hu
from ich.data.shards import Rows, code_version, fill_sharded, finish, run_key
from ich.dicom.read import Unusable, hu_codes, identifiers, read_dataset, stored_pixels, to_hu
from ich.errors import InputError
from ich.files import write_csv
from ich.spec import Fraction, Spec

INDEX_COLUMNS = ["row", "ID", "PatientID", "StudyInstanceUID", "SeriesInstanceUID", "z"]
REJECTED_COLUMNS = ["ID", "path", "reason", "detail"]

# Every module that decides a decoded row's bytes (the resume key includes their source).
CODE = (
    *("ich.data.decode", "ich.data.codes", "ich.data.image"),
    *("ich.dicom.read", "ich.dicom.fast", "ich.dicom.hu"),
)


class DecodeSpec(Spec):
    """The `decode` section of params.yaml."""

    resolution: int = Field(ge=16, le=1024)  # the base grid: extract derives up to it
    max_rejected_fraction: Fraction


class TooManyRejected(InputError):
    """More files were unusable than decode.max_rejected_fraction allows."""


AHEAD = 32  # files prefetched ahead of the one being read (16 MB of RSNA slices)

# Writes one slice's values into its row (from the header and pixels) and returns a number
# to keep (the codes per stored value for the decode).
Convert = Callable[[object, np.ndarray], int | None]


def read_into(paths: list[str], convert: Convert, out: np.ndarray) -> dict:
    """Read file i and convert it into out[i] (left blank when the file is unusable). Returns
    {"kept": positions, "rows": their index rows (ID = file stem), "values": what `convert`
    returned, "rejected": (id, path, reason, detail) of the rest}. The one reading path of
    decode and predict."""
    kept, rows, values, rejected = [], [], [], []
    for path in paths[:AHEAD]:
        prefetch(path)
    for i, path in enumerate(paths):
        if i + AHEAD < len(paths):
            prefetch(paths[i + AHEAD])
        image_id = os.path.splitext(os.path.basename(path))[0]
        try:
            ds = read_dataset(path)
            ids, z = identifiers(ds)
            if ids[0] not in ("", image_id):
                raise Unusable("id_mismatch", f"SOPInstanceUID {ids[0]}")
            if z != z:  # NaN: without a height the slice has no place among its neighbours
                raise Unusable("no_position", "ImagePositionPatient missing or unreadable")
            value = convert(ds, out[i])
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
        values.append(value)
    return {"kept": kept, "rows": rows, "values": values, "rejected": rejected}


def to_base(ds, base: int, out: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """One slice's header and pixels -> (its sums on the base grid, into `out` if given;
    codes per sum): exact where it can be, in sixteenths of a code otherwise. The pixel buffer
    of a fast-read header is reused as work space."""
    pixels = stored_pixels(ds)
    if exact(*pixels.shape, base):
        codes = hu_codes(pixels, ds, in_place=pixels.flags.writeable)
        if codes is not None:
            return from_codes(codes, base, out)
    return from_hu(to_hu(pixels, ds), base, out)


def prefetch(path: str) -> None:
    """Ask the kernel to start reading a file we will read soon: from a cold disk, reading one
    file at a time per worker leaves the disk idle between requests (measured)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # reading it reports the problem
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
    finally:
        os.close(fd)


def store_base(base: int, ds, out: np.ndarray) -> int:
    """`Convert` of the decode: the slice's sums on the base grid into `out`, their area."""
    return to_base(ds, base, out)[1]


def read_rows(files: list[str], first: int, convert: Convert, block: np.ndarray) -> dict:
    """A shard's `read_into`, its positions numbered as rows of the whole array."""
    done = read_into(files, convert, block)
    done["rows"] = [[first + i, *r] for i, r in zip(done.pop("kept"), done["rows"], strict=True)]
    return done


def read_sharded(
    files: list[str],
    out: Path,
    rows: Rows,
    convert: Convert,
    key: str,
    workers: int,
    max_rejected_fraction: float,
    shard_size: int,
    desc: str,
) -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """Read every file into its row of `out` (.npy), sharded and resumable: (index, rejected,
    the values `convert` returned, in index order)."""

    def part(first: int, count: int) -> partial:
        return partial(read_rows, files[first : first + count], first, convert)

    work, reports = fill_sharded(out, len(files), rows, part, key, workers, shard_size, desc)
    rejected = pd.DataFrame([r for m in reports for r in m["rejected"]], columns=REJECTED_COLUMNS)
    check_rejected(rejected, len(files), max_rejected_fraction, work / "rejected.csv")
    finish(work, out)
    index = index_frame([r for m in reports for r in m["rows"]])
    return index, rejected, [v for m in reports for v in m["values"]]


def decode(
    ids: list[str],
    dicom_dir: Path,
    codes: Path,
    base: int,
    workers: int,
    max_rejected_fraction: float = 1.0,
    shard_size: int = 1024,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Write `codes` (an .npy of (N, base, base) uint16 sums, row i = the i-th ID in sorted
    order) and return (index, rejected, areas by row). Resumes from `<codes>.partial`."""
    folder = str(dicom_dir)  # plain strings: pathlib cost ~10 us a slice here (measured)
    files = [os.path.join(folder, f"{i}.dcm") for i in sorted(ids)]
    return decode_files(files, codes, base, workers, max_rejected_fraction, shard_size)


def decode_files(
    files: list[str],
    codes: Path,
    base: int,
    workers: int,
    max_rejected_fraction: float = 1.0,
    shard_size: int = 1024,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """`decode` of any files (row i = files[i]; `predict` on new scans reads them so too)."""
    key = run_key([base, code_version(CODE)], files)
    convert = partial(store_base, base)
    index, rejected, values = read_sharded(
        files, codes, Rows((base, base), "uint16"), convert, key, workers,
        max_rejected_fraction, shard_size, "decode",
    )  # fmt: skip
    areas = np.zeros(len(files), np.uint8)
    areas[index["row"].to_numpy()] = values
    return index, rejected, areas


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
        "decoded": int(len(index)),
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
            f"{len(rejected)} of {requested} files rejected (> decode.max_rejected_fraction = "
            f"{max_fraction}); first: {first}. Full list: {full_list}"
        )
