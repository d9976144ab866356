"""Writing outputs atomically, so an interrupted stage never leaves half a file where a
complete one belongs: write beside, then rename into place."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _beside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(path.name + ".tmp")


def finite(data: Any) -> Any:
    """`data` with every NaN or infinite float as None: JSON has no NaN (an AUC without
    positives has no value), and a reader of the file must get null, not an invalid token."""
    if isinstance(data, float):
        return data if np.isfinite(data) else None
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite(v) for v in data]
    return data


def write_json(path: Path | str, data: Any) -> None:
    path = Path(path)
    tmp = _beside(path)
    tmp.write_text(json.dumps(finite(data), indent=2, sort_keys=False, allow_nan=False) + "\n")
    os.replace(tmp, path)


def write_csv(path: Path | str, frame: pd.DataFrame) -> None:
    path = Path(path)
    tmp = _beside(path)
    # .csv.gz: gzip without a timestamp, so the same table gives the same bytes
    packed = {"method": "gzip", "mtime": 0} if path.suffix == ".gz" else None
    frame.to_csv(tmp, index=False, lineterminator="\n", compression=packed)
    os.replace(tmp, path)


def unpublished(final: Path, suffix: str = ".partial") -> Path:
    """The folder beside `final` to build it in before `publish`, emptied of what an
    interrupted run left there."""
    tmp = final.with_name(final.name + suffix)
    if tmp.exists():
        shutil.rmtree(tmp)
    return tmp


def publish(tmp: Path, final: Path) -> None:
    """Move a finished folder into place, replacing the previous one."""
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)


def write_npy(path: Path | str, array) -> None:
    path = Path(path)
    tmp = _beside(path)
    with open(tmp, "wb") as f:  # a file object: np.save would append .npy to the name
        np.save(f, array)
    os.replace(tmp, path)
