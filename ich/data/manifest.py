"""The manifest: one row per labelled DICOM (name, size, stamp), the small file `decode`
depends on instead of 750,000 DICOMs.

DVC hashes every file of a directory dependency and stats them all on each `dvc status`
(measured: 3.2 s per status for 100,000 files, 1 min 42 s for the first hash). The `manifest`
stage runs on every `dvc repro` and `dvc exp run` (always changed), rescans the folder and
writes the manifest inside the repository; when nothing changed its bytes stay the same, so
the decode does not rerun. Nothing is ever written into or beside the DICOM folder, which may
be a read-only mount.

Stamps: the mtime, or the content MD5 (a copied dataset is then recognised, and generated data
such as the synthetic default fingerprints the same on every machine). MD5s are reused from the
previous scan for files whose size and mtime did not change (`<manifest>.hashes.csv`, a cache
beside the manifest), so only new or touched files are read.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal

import pandas as pd

from ich.errors import InputError
from ich.files import write_csv
from ich.jobs import progress
from ich.spec import Spec

COLUMNS = ["name", "size", "stamp"]
MISSING = "missing"  # a labelled ID without a file (decode rejects it by name)


class ManifestSpec(Spec):
    """The `manifest` section of params.yaml."""

    # auto: md5 for a folder inside the repository (generated data), mtime for one outside
    stamps: Literal["auto", "mtime", "md5"]


class StaleManifest(InputError):
    """A DICOM folder that no longer matches its manifest."""


def stamp_kind(stamps: str, dicom_dir: Path) -> str:
    """`mtime` or `md5` for `stamps` = auto | mtime | md5."""
    if stamps != "auto":
        return stamps
    inside = Path(dicom_dir).resolve().is_relative_to(Path.cwd().resolve())
    return "md5" if inside else "mtime"


def stat(dicom_dir: Path, names: list[str]) -> pd.DataFrame:
    """name, size, mtime_ns of each named file (size -1 when it does not exist)."""
    folder, rows = str(dicom_dir), []
    for name in names:
        try:
            st = os.stat(os.path.join(folder, name))
            rows.append((name, st.st_size, st.st_mtime_ns))
        except FileNotFoundError:
            rows.append((name, -1, 0))
    return pd.DataFrame(rows, columns=["name", "size", "mtime_ns"])


def md5(path: str) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def build(dicom_dir: Path, ids: list[str], kind: str, hashes: Path) -> pd.DataFrame:
    """The manifest of the labelled `ids` in `dicom_dir`, sorted by name."""
    files = stat(dicom_dir, sorted(f"{i}.dcm" for i in ids))
    present = files["size"] >= 0
    if kind == "mtime":
        stamp = "mtime:" + files["mtime_ns"].astype(str)
    else:
        known = _known_hashes(hashes)
        keys = list(zip(files["name"], files["size"], files["mtime_ns"], strict=True))
        digests, read = [], 0
        for key, here in progress(list(zip(keys, present, strict=True)), desc="manifest md5"):
            digest = known.get(key, "")
            if here and not digest:
                digest, read = md5(os.path.join(dicom_dir, key[0])), read + 1
            digests.append(digest)
        files["md5"] = digests
        if read or len(known) != present.sum():
            write_csv(hashes, files[present])
        stamp = "md5:" + files["md5"]
    frame = files[["name", "size"]].assign(stamp=stamp.where(present, MISSING))
    return frame.reset_index(drop=True)


def _known_hashes(path: Path) -> dict[tuple, str]:
    if not path.exists():
        return {}
    old = pd.read_csv(path, dtype={"name": str, "md5": str})
    keys = zip(old["name"], old["size"], old["mtime_ns"], strict=True)
    return dict(zip(keys, old["md5"], strict=True))


def hashes_path(manifest: Path) -> Path:
    """The MD5 cache beside the manifest (not an output: nothing depends on it)."""
    return manifest.with_name(manifest.stem + ".hashes.csv")


def verify(dicom_dir: Path, manifest: Path) -> None:
    """Refuse to decode from a folder changed since its manifest was written (sizes, and
    mtimes where those are the stamps)."""
    if not manifest.exists():
        raise StaleManifest(f"{manifest}: no manifest for {dicom_dir}; run `dvc repro`")
    recorded = pd.read_csv(manifest, dtype={"name": str, "size": "int64", "stamp": str})
    current = stat(dicom_dir, recorded["name"].tolist())
    mtimes = recorded["stamp"].str.startswith("mtime:")
    changed = (recorded["size"] != current["size"]) | (
        mtimes & (recorded["stamp"] != "mtime:" + current["mtime_ns"].astype(str))
    )
    if changed.any():
        first = recorded.loc[changed, "name"].iloc[0]
        raise StaleManifest(
            f"{manifest} does not match {dicom_dir} ({int(changed.sum())} files changed since "
            f"it was written, first {first}); run `dvc repro`, whose manifest stage rescans"
        )
