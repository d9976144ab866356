"""Stage `fold_fit@k` (real-ct/dvc.yaml): the recipe fit on every fold but k, predicting fold
k's slices: a slice network per seed (`cv.model: network`), or the density regression."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ich.cli import fold_option
from ich.cv.folds import CVSpec, labelled_table
from ich.cv.pipeline import fit_density_fold, fit_network_fold
from ich.files import write_csv, write_json
from ich.pipeline import backend, params, paths
from ich.pipeline.stage import run


def main() -> None:
    fold = fold_option(__doc__)
    p = params.load()
    spec = params.section(p, "cv", CVSpec)
    index, table = labelled_table()
    folds = pd.read_csv(paths.FOLDS)
    if spec.model == "density":
        features = np.load(paths.HU_FEATURES)
        info = json.loads(paths.HU_FEATURES_INFO.read_text())
        c = params.get(p, "evaluate.density_c")
        rows, val = fit_density_fold(fold, c, features, info, table, folds), {}
    else:
        backend.use(params.get(p, "train.backend"))  # before Keras is imported
        images = np.load(paths.IMAGES, mmap_mode="r")
        with tempfile.TemporaryDirectory(prefix="ich-fold-") as work:
            rows, val = fit_network_fold(fold, spec, p, images, index, table, folds, Path(work))
    write_csv(paths.CV_FITS / f"fold_{fold}.csv", rows)
    write_json(paths.CV_FITS / f"fold_{fold}.json", val)
    print(f"fold_fit: fold {fold}, {rows['ID'].nunique()} slices, {spec.model}")


if __name__ == "__main__":
    run(main)
