"""Stage `train`: splits + images -> models/slice/, metrics/train.json, plots/train/."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ich.files import write_json
from ich.model.card import model_card
from ich.model.curves import training_curves
from ich.model.saving import save
from ich.model.training import TrainSpec, train
from ich.pipeline import params, paths
from ich.pipeline.stage import run


def main() -> None:
    spec = params.section(params.load(), "train", TrainSpec)
    images = np.load(paths.IMAGES, mmap_mode="r")
    index = pd.read_csv(paths.INDEX)
    splits = {s: pd.read_csv(paths.SPLITS / f"{s}.csv") for s in ("train", "val", "train_pool")}
    history = paths.TRAIN_PLOTS / "history.csv"
    model, summary = train(spec, images, index, splits["train"], splits["val"], history)
    save(model, paths.SLICE_MODEL)
    preprocessing = json.loads(paths.PREPROCESSING.read_text())
    card = model_card(model, spec, preprocessing, images, index, splits)
    write_json(paths.SLICE_CARD, card)
    write_json(paths.TRAIN_REPORT, summary)
    write_json(paths.TRAIN_METRICS, {"epochs_run": summary["epochs_run"]})
    training_curves(history, paths.TRAIN_PLOTS / "curves.png")


if __name__ == "__main__":
    run(main)
