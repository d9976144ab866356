"""Stage `evaluate`: both models' holdout probabilities -> metrics/holdout.json,
reports/holdout.json, plots/holdout/, and the density baseline fit on the training patients'
HU features (data/predictions/density.json).

The series model's predictions (from `sequence`) are the pipeline's; the slice model's (from
`embed`) are scored beside them, so what the series model adds is one paired difference. It
reads probabilities and HU features only: no network is loaded, so it takes seconds.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ich.eval.baselines import density_baseline
from ich.eval.evaluation import EvaluateSpec, evaluate, headline
from ich.eval.plots import holdout_plots
from ich.files import write_csv, write_json
from ich.model.inference import natural_scale
from ich.pipeline import params, paths
from ich.pipeline.stage import run
from ich.rsna import LABELS


def main() -> None:
    spec = params.section(params.load(), "evaluate", EvaluateSpec)
    holdout = pd.read_csv(paths.SPLITS / "holdout.csv")
    train_pool = pd.read_csv(paths.SPLITS / "train_pool.csv")
    rows = holdout["row"].to_numpy()
    slice_card = json.loads(paths.SLICE_CARD.read_text())
    p_raw = np.load(paths.SLICE_PROBS)[rows].astype(np.float64)
    p_slice = natural_scale(p_raw, slice_card)
    p = np.load(paths.SERIES_PROBS)[rows].astype(np.float64)
    thresholds = json.loads(paths.SEQUENCE_CARD.read_text())["thresholds"]
    features = np.load(paths.HU_FEATURES)
    info = json.loads(paths.HU_FEATURES_INFO.read_text())
    p_density, density = density_baseline(features, info, train_pool, holdout, spec.density_c)
    report = evaluate(holdout, p, p_slice, p_raw, train_pool, thresholds, spec, p_density)
    write_json(paths.HOLDOUT_REPORT, report)
    # the data it was fit on travels with it: `predict` warns when it is the phantom
    density["trained_on"] = slice_card.get("trained_on", {})
    write_json(paths.PREDICTIONS / "density.json", density)
    write_json(paths.HOLDOUT_METRICS, headline(report))
    columns = {"p_": p, "p_slice_": p_slice, "p_raw_": p_raw, "p_density_": p_density}
    preds = pd.concat(
        [holdout[["ID", "PatientID", *LABELS]]]
        + [pd.DataFrame(v.round(6), columns=[k + s for s in LABELS]) for k, v in columns.items()],
        axis=1,
    )
    write_csv(paths.PREDICTIONS / "holdout.csv", preds)
    y = holdout[list(LABELS)].to_numpy(np.float64)
    holdout_plots(y, p, paths.HOLDOUT_PLOTS, report["labels"]["any"]["threshold"])
    m, s, b = report["model"], report["slice_model"], report["baselines"]
    print(
        f"holdout: AUC(any) {m['auc']['any']}, weighted log loss {m['weighted_log_loss']} "
        f"(slice model {s['weighted_log_loss']}, prior {b['prior']['weighted_log_loss']}, "
        f"position {b['position']['weighted_log_loss']}, density "
        f"{b['density']['weighted_log_loss']}, whose AUC(any) is {b['density']['auc']['any']})"
    )


if __name__ == "__main__":
    run(main)
