"""Stage `evaluate`: model + holdout -> metrics/holdout.json, reports/holdout.json, plots/."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd

from ich.data.inputs import neighbour_rows
from ich.eval.evaluation import EvaluateSpec, evaluate, headline, saliency_examples
from ich.eval.plots import holdout_plots, saliency_grid
from ich.files import write_csv, write_json
from ich.model.inference import natural_scale, predict_split
from ich.pipeline import params, paths
from ich.pipeline.stage import run
from ich.rsna import LABELS


def main() -> None:
    spec = params.section(params.load(), "evaluate", EvaluateSpec)
    model = keras.saving.load_model(paths.MODELS / "model.keras", compile=False)
    card = json.loads((paths.MODELS / "preprocessing.json").read_text())
    images = np.load(paths.IMAGES, mmap_mode="r")
    index = pd.read_csv(paths.INDEX)
    context = neighbour_rows(index) if card["context"] else None
    holdout = pd.read_csv(paths.SPLITS / "holdout.csv")
    train_pool = pd.read_csv(paths.SPLITS / "train_pool.csv")
    p_raw = predict_split(model, images, holdout, context)
    p_hold = natural_scale(p_raw, card)
    report = evaluate(holdout, p_hold, p_raw, train_pool, card["thresholds"], spec)
    write_json(paths.HOLDOUT_REPORT, report)
    write_json(paths.HOLDOUT_METRICS, headline(report))
    preds = pd.concat(
        [
            holdout[["ID", "PatientID", *LABELS]],
            pd.DataFrame(p_hold.round(6), columns=[f"p_{s}" for s in LABELS]),
            pd.DataFrame(p_raw.round(6), columns=[f"p_raw_{s}" for s in LABELS]),
        ],
        axis=1,
    )
    write_csv(paths.PREDICTIONS / "holdout.csv", preds)
    y = holdout[list(LABELS)].to_numpy(np.float64)
    plots = paths.HOLDOUT_PLOTS
    holdout_plots(y, p_hold, plots, report["labels"]["any"]["threshold"])
    xs, maps, titles = saliency_examples(model, images, holdout, p_hold, context)
    channels = len(card["windows"])  # with context the centre slice's channels come second
    saliency_grid(xs, maps, titles, plots / "saliency.png", channel=channels if context else 0)
    m, b = report["model"], report["baselines"]
    print(
        f"holdout: AUC(any) {m['auc']['any']}, weighted log loss {m['weighted_log_loss']} "
        f"(prior {b['prior']['weighted_log_loss']}, position {b['position']['weighted_log_loss']})"
    )


if __name__ == "__main__":
    run(main)
