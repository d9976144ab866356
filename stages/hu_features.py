"""Stage `hu_features`: decoded codes -> data/hu_features/ (per slice, the HU numbers a
radiologist reads: brain, blood densities near the skull and deep, blobs, neighbours), without
reading a DICOM."""

from __future__ import annotations

import os

# Parallelism comes from worker processes; BLAS threads on top would oversubscribe the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ich.cli import sharded_options  # noqa: E402
from ich.data.hu_features import FEATURES, write  # noqa: E402
from ich.files import write_json  # noqa: E402
from ich.pipeline import paths  # noqa: E402
from ich.pipeline.stage import run  # noqa: E402


def main() -> None:
    workers, _ = sharded_options(__doc__)
    areas = np.load(paths.AREAS)
    index = pd.read_csv(paths.INDEX)
    start = time.perf_counter()
    write(paths.CODES, areas, index, paths.HU_FEATURES, paths.HU_FEATURES_INFO, workers)
    seconds = time.perf_counter() - start
    slices = int((areas > 0).sum())
    write_json(paths.HU_FEATURES_REPORT, {"slices": slices, "features": len(FEATURES)})
    print(f"hu_features: {slices} slices, {len(FEATURES)} features, {slices / seconds:.0f}/s")


if __name__ == "__main__":
    run(main)
