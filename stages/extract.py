"""Stage `extract`: labelled DICOMs -> data/extracted/ (images.npy, index.csv, rejected.csv)."""

from __future__ import annotations

import os

# Parallelism comes from worker processes; BLAS threads on top would oversubscribe the cores
# (measured: 2 workers x 2 OpenBLAS threads ran 10x slower than 2 x 1).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from ich.data.extract import ExtractSpec, extract, summarise, write_outputs  # noqa: E402
from ich.data.manifest import manifest_path, verify  # noqa: E402
from ich.files import write_json  # noqa: E402
from ich.jobs import worker_count  # noqa: E402
from ich.pipeline import params, paths  # noqa: E402
from ich.pipeline.stage import run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workers", type=int, help="processes (default: ICH_WORKERS or all cores)")
    ap.add_argument("--shard-size", type=int, default=1024, help="slices per resumable unit")
    args = ap.parse_args()
    p = params.load()
    spec = params.section(p, "extract", ExtractSpec)
    settings = spec.settings(shard_size=max(1, args.shard_size))
    manifest = manifest_path(params.get(p, "data.dicom_dir"))
    dicom_dir = params.existing_path(p, "data.dicom_dir", Path.is_dir)
    verify(dicom_dir, manifest)
    ids = pd.read_csv(paths.LABELS, usecols=["ID"])["ID"].tolist()
    start = time.perf_counter()
    index, rejected = extract(
        ids,
        dicom_dir,
        paths.IMAGES,
        settings,
        worker_count(args.workers),
        spec.max_rejected_fraction,
    )
    seconds = time.perf_counter() - start
    write_outputs(index, rejected, settings, paths.INDEX, paths.REJECTED, paths.PREPROCESSING)
    write_json(paths.EXTRACT_REPORT, summarise(index, rejected, len(ids)))
    print(
        f"extract: {len(index)} images, {len(rejected)} rejected, {len(ids) / seconds:.0f} slices/s"
    )


if __name__ == "__main__":
    run(main)
