"""Stage `extract`: decoded codes -> data/extracted/ (the model's images and their settings),
without reading a DICOM."""

from __future__ import annotations

import os

# Parallelism comes from worker processes; BLAS threads on top would oversubscribe the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

from ich.cli import sharded_options  # noqa: E402
from ich.data.extract import ExtractSpec, extract  # noqa: E402
from ich.files import write_json  # noqa: E402
from ich.pipeline import params, paths  # noqa: E402
from ich.pipeline.stage import run  # noqa: E402


def main() -> None:
    workers, shard_size = sharded_options(__doc__)
    spec = params.section(params.load(), "extract", ExtractSpec)
    base = np.load(paths.CODES, mmap_mode="r").shape[1]
    settings = spec.settings(base, shard_size=shard_size)
    areas = np.load(paths.AREAS)
    start = time.perf_counter()
    extract(paths.CODES, areas, paths.IMAGES, settings, workers)
    seconds = time.perf_counter() - start
    write_json(paths.PREPROCESSING, settings.card())
    images = int((areas > 0).sum())
    write_json(paths.EXTRACT_REPORT, {"images": images, "rows": len(areas), **settings.card()})
    print(f"extract: {images} images from the {base} px base, {len(areas) / seconds:.0f}/s")


if __name__ == "__main__":
    run(main)
