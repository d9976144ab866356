"""Saving a model atomically and with stable bytes, so DVC sees no change when nothing changed."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import keras


def save(model: keras.Model, path: Path) -> None:
    """model.save, then stable bytes, then rename: an interrupted save leaves no half model."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".partial" + path.suffix)
    model.save(tmp)
    stable_zip(tmp)
    os.replace(tmp, path)


def stable_zip(path: Path | str) -> None:
    """Rewrite a `.keras` zip with fixed member timestamps and without Keras's `date_saved`, so
    identical weights give identical bytes."""
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
