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


def write_json(path: Path | str, data: Any) -> None:
    path = Path(path)
    tmp = _beside(path)
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, path)


def write_csv(path: Path | str, frame: pd.DataFrame) -> None:
    path = Path(path)
    tmp = _beside(path)
    frame.to_csv(tmp, index=False, lineterminator="\n")
    os.replace(tmp, path)


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
