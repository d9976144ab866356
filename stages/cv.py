"""Stage `cv` (real-ct/dvc.yaml): the folds' out-of-fold predictions pooled (the series model
stacked on them for a network), scored with patient-bootstrap intervals, and paired with the
density baseline on the same folds: metrics/cv.json, reports/cv.json, reports/cv_oof.csv.gz."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ich.cv.folds import CVSpec, fold_map, labelled_table
from ich.cv.pipeline import density_oof, figures, pool
from ich.files import write_csv, write_json
from ich.pipeline import backend, params, paths
from ich.pipeline.stage import run


def main() -> None:
    p = params.load()
    spec = params.section(p, "cv", CVSpec)
    index, table = labelled_table()
    table = table.sort_values("row")
    folds = pd.read_csv(paths.FOLDS)
    fits = [pd.read_csv(paths.CV_FITS / f"fold_{k}.csv") for k in spec.folds]
    val = [json.loads((paths.CV_FITS / f"fold_{k}.json").read_text()) for k in spec.folds]
    with tempfile.TemporaryDirectory(prefix="ich-cv-") as work:
        series = None if spec.model == "density" else series_model(p, index, table, folds, work)
        oof = pool(spec, fits, val, table, folds, series)
    features = np.load(paths.HU_FEATURES)
    info = json.loads(paths.HU_FEATURES_INFO.read_text())
    density = density_oof(params.get(p, "evaluate.density_c"), features, info, table, folds)
    headline, report = figures(oof, density, params.get(p, "evaluate.bootstrap"))
    write_csv(paths.CV_OOF, oof)
    write_json(paths.CV_REPORT, {"model": spec.model, **report})
    write_json(paths.CV_METRICS, headline)
    d = headline["model_minus_density_auc_any"]
    print(
        f"cv: {spec.model}, AUC(any) {headline['auc_any']}, weighted log loss "
        f"{headline['weighted_log_loss']}; density {headline['density_auc_any']}; model minus "
        f"density AUC(any) {d['diff']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]"
    )


def series_model(p: dict, index: pd.DataFrame, table: pd.DataFrame, folds, work: str):
    """The network's series model, stacked on a seed's out-of-fold slice probabilities."""
    backend.use(params.get(p, "train.backend"))
    from ich.cv.fit import stack_series
    from ich.model.sequence import SequenceSpec

    def fit(p_slice: np.ndarray, stopped: dict[int, set], seed: int) -> np.ndarray:
        seeded = {**p, "sequence": {**p["sequence"], "seed": seed}}
        spec = params.section(seeded, "sequence", SequenceSpec)
        return stack_series(index, table, p_slice, fold_map(folds), stopped, spec, Path(work))

    return fit


if __name__ == "__main__":
    run(main)
