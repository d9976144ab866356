"""Writing small JSON/CSV outputs atomically, so an interrupted stage never leaves half a file."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm


def write_json(path: Path | str, data: Any) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, path)


def write_csv(path: Path | str, frame: pd.DataFrame) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    frame.to_csv(tmp, index=False, lineterminator="\n")
    os.replace(tmp, path)


def progress(**kwargs: Any) -> tqdm:
    """A tqdm bar that refreshes rarely when stderr is a log file (DVC, CI), not a terminal."""
    quiet = not sys.stderr.isatty()
    return tqdm(mininterval=10 if quiet else 0.1, **kwargs)


def stable_zip(path: Path | str) -> None:
    """Rewrite a `.keras` zip with fixed member timestamps and without Keras's `date_saved`, so
    identical weights give identical bytes and DVC sees no change when nothing changed."""
    import zipfile

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            data = src.read(info.filename)
            if info.filename == "metadata.json":
                meta = json.loads(data)
                meta.pop("date_saved", None)
                data = json.dumps(meta).encode()
            dst.writestr(fixed, data)
    os.replace(tmp, path)
