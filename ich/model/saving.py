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


def _renumber_shared(node, ids: dict[int, int]) -> None:
    """Keras names objects shared between layers by their memory address, which differs from
    one process to the next; number them by first appearance instead (same object, same
    number, so loading rebuilds the same sharing)."""
    if isinstance(node, dict):
        if "shared_object_id" in node:
            node["shared_object_id"] = ids.setdefault(node["shared_object_id"], len(ids) + 1)
        for value in node.values():
            _renumber_shared(value, ids)
    elif isinstance(node, list):
        for value in node:
            _renumber_shared(value, ids)


def stable_zip(path: Path | str) -> None:
    """Rewrite a `.keras` zip with fixed member timestamps, without Keras's `date_saved` and
    with process-independent shared-object numbers, so identical weights give identical bytes
    in any process."""
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
            elif info.filename == "config.json":
                config = json.loads(data)
                _renumber_shared(config, {})
                data = json.dumps(config).encode()
            dst.writestr(fixed, data)
    os.replace(tmp, path)
