"""Stage `train`: splits + images -> models/, metrics/train.json, plots/train/."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ich.data.inputs import neighbour_rows
from ich.data.splits import prevalence
from ich.files import write_json
from ich.model.curves import training_curves
from ich.model.inference import predict_split, prior_shift
from ich.model.saving import save
from ich.model.thresholds import operating_points
from ich.model.training import TrainSpec, train
from ich.pipeline import params, paths
from ich.pipeline.stage import run
from ich.rsna import LABELS


def main() -> None:
    spec = params.section(params.load(), "train", TrainSpec)
    images = np.load(paths.IMAGES, mmap_mode="r")
    index = pd.read_csv(paths.INDEX)
    splits = {s: pd.read_csv(paths.SPLITS / f"{s}.csv") for s in ("train", "val", "train_pool")}
    history = paths.TRAIN_PLOTS / "history.csv"
    model, summary = train(spec, images, index, splits["train"], splits["val"], history)
    save(model, paths.MODELS / "model.keras")
    # What evaluate and predict need beside the weights: the inputs, the priors that put the
    # outputs back on the natural scale, and the operating points chosen on val at that scale.
    natural, trained = prevalence(splits["train_pool"]), prevalence(splits["train"])
    context = neighbour_rows(index) if spec.context else None
    p_val = prior_shift(predict_split(model, images, splits["val"], context), trained, natural)
    y_val = splits["val"][list(LABELS)].to_numpy()
    prep = json.loads(paths.PREPROCESSING.read_text())
    model_card = {
        **prep,
        "context": spec.context,
        "prior": dict(zip(LABELS, natural, strict=True)),  # natural: predict's fallback too
        "train_prior": dict(zip(LABELS, trained, strict=True)),
        "target_sensitivity": spec.target_sensitivity,
        "thresholds": operating_points(y_val, p_val, spec.target_sensitivity),
    }
    write_json(paths.MODELS / "preprocessing.json", model_card)
    write_json(paths.TRAIN_REPORT, summary)
    write_json(paths.TRAIN_METRICS, {"epochs_run": summary["epochs_run"]})
    training_curves(history, paths.TRAIN_PLOTS / "curves.png")


if __name__ == "__main__":
    run(main)
