"""Stage `manifest` (runs every time): name, size and stamp of each labelled DICOM ->
data/manifest.csv."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ich.data.manifest import ManifestSpec, build, hashes_path, stamp_kind
from ich.files import write_csv
from ich.pipeline import params, paths
from ich.pipeline.stage import run


def main() -> None:
    p = params.load()
    spec = params.section(p, "manifest", ManifestSpec)
    dicom_dir = params.existing_path(p, "data.dicom_dir", Path.is_dir)
    ids = pd.read_csv(paths.LABELS, usecols=["ID"])["ID"].tolist()
    kind = stamp_kind(spec.stamps, dicom_dir)
    frame = build(dicom_dir, ids, kind, hashes_path(paths.MANIFEST))
    write_csv(paths.MANIFEST, frame)
    missing = int((frame["size"] < 0).sum())
    print(f"manifest: {len(frame)} labelled files ({kind} stamps), {missing} missing")


if __name__ == "__main__":
    run(main)
