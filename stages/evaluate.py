"""Stage `evaluate`: model + holdout -> metrics/holdout.json and plots/holdout/."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from ich import LABELS, params
from ich.batches import neighbour_rows
from ich.cli import run
from ich.evaluation import evaluate, predict, saliency_examples
from ich.plots import holdout_plots, saliency_grid
from ich.reports import write_csv, write_json

PLOTS = Path("plots/holdout")


def main() -> None:
    p = params.load()
    target = params.number(p, "evaluate.target_sensitivity", 0, 1, lo_open=True)
    n_boot = params.integer(p, "evaluate.bootstrap", 10)
    seed = params.integer(p, "evaluate.seed", 0)
    model = keras.saving.load_model("models/model.keras", compile=False)
    prep = json.loads(Path("models/preprocessing.json").read_text())
    images = np.load("data/extracted/images.npy", mmap_mode="r")
    index = pd.read_csv("data/extracted/index.csv")
    context = neighbour_rows(index) if prep["context"] else None
    splits = {s: pd.read_csv(f"data/splits/{s}.csv") for s in ("train", "val", "holdout")}
    p_hold = predict(model, images, splits["holdout"], context)
    p_val = predict(model, images, splits["val"], context)
    report = evaluate(
        splits["holdout"], p_hold, splits["train"], splits["val"], p_val, target, n_boot, seed
    )
    write_json("metrics/holdout.json", report)
    holdout = splits["holdout"]
    preds = holdout[["ID", "PatientID"]].join(
        pd.DataFrame(p_hold.round(6), columns=[f"p_{s}" for s in LABELS])
    )
    write_csv("data/predictions/holdout.csv", preds)
    y = holdout[list(LABELS)].to_numpy(np.float64)
    holdout_plots(y, p_hold, PLOTS, report["labels"]["any"]["threshold"])
    xs, maps, titles = saliency_examples(model, images, holdout, p_hold, context)
    channels = len(prep["windows"])  # with context the centre slice's channels come second
    saliency_grid(xs, maps, titles, PLOTS / "saliency.png", channel=channels if context else 0)
    m, b = report["model"], report["baselines"]
    print(
        f"holdout: AUC(any) {m['auc']['any']}, weighted log loss {m['weighted_log_loss']} "
        f"(prior {b['prior']['weighted_log_loss']}, position {b['position']['weighted_log_loss']})"
    )


if __name__ == "__main__":
    run(main)
