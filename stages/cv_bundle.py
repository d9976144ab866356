"""Stage `cv_bundle` (real-ct/dvc.yaml): the cross-validated recipe fit on every patient, as
the bundle `python -m ich predict --model real-ct/models/real-ct` reads, its card citing the
cross-validation."""

from __future__ import annotations

import json

import numpy as np

from ich.cv.folds import CVSpec, labelled_table
from ich.pipeline import backend, params, paths
from ich.pipeline.stage import run


def main() -> None:
    p = params.load()
    spec = params.section(p, "cv", CVSpec)
    index, table = labelled_table()
    about = {"cross_validation": json.loads(paths.CV_METRICS.read_text())}
    if spec.model == "density":
        from ich.cv.features import density_bundle

        features = np.load(paths.HU_FEATURES)
        info = json.loads(paths.HU_FEATURES_INFO.read_text())
        out = paths.REAL_CT_BUNDLE
        model = density_bundle(p, out, features, info, table, len(spec.folds), about)
        print(f"cv_bundle: the density model on {model['patients']} patients -> {out}")
        return
    backend.use(params.get(p, "train.backend"))
    from ich.cv.final import network_bundle

    recipe = {"params": {k: p[k] for k in ("extract", "sample", "train")}}
    images = np.load(paths.IMAGES, mmap_mode="r")
    count = network_bundle(
        p,
        paths.REAL_CT_BUNDLE,
        spec.seeds,
        spec.val_fraction,
        {"recipe": recipe, **about},
        images,
        index,
        table,
    )
    print(f"cv_bundle: {count} slice model(s) on every patient -> {paths.REAL_CT_BUNDLE}")


if __name__ == "__main__":
    run(main)
