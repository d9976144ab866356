"""Stage `train`: splits + images -> models/model.keras, metrics/train.json, plots/train/."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ich import LABELS, params
from ich.cli import run
from ich.models import ModelSpec
from ich.plots import training_curves
from ich.reports import stable_zip, write_json
from ich.training import TrainSpec, train

MODELS = Path("models")
HISTORY = Path("plots/train/history.csv")


def read_spec(p: dict) -> TrainSpec:
    dropout = params.number_list(p, "train.dropout", 2, lo=0, hi=1, hi_open=True)
    widths = params.get(p, "train.mlp.widths")
    l2 = params.number_list(
        p, "train.mlp.l2", len(widths) if isinstance(widths, list) else None, lo=0
    )
    filters = params.get(p, "train.cnn.filters")
    for key, value in (("train.mlp.widths", widths), ("train.cnn.filters", filters)):
        if not (
            isinstance(value, list)
            and value
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
        ):
            raise params.ParamError(f"params.yaml: {key} = {value!r}: expected positive integers")
    model = ModelSpec(
        name=params.choice(p, "train.model", ["mlp", "cnn"]),
        dropout=tuple(dropout),
        mlp_widths=tuple(widths),
        mlp_l2=tuple(l2),
        mlp_output_l1=params.number(p, "train.mlp.output_l1", 0),
        cnn_filters=tuple(filters),
        augment={
            "flip": params.boolean(p, "train.augment.flip"),
            "rotation": params.number(p, "train.augment.rotation", 0, 0.5),
            "shift": params.number(p, "train.augment.shift", 0, 0.5),
        },
        seed=params.integer(p, "train.seed", 0),
    )
    return TrainSpec(
        model=model,
        seed=model.seed,
        epochs=params.integer(p, "train.epochs", 1),
        batch_size=params.integer(p, "train.batch_size", 1),
        optimizer=params.choice(p, "train.optimizer", ["sgd", "adam"]),
        learning_rate=params.number(p, "train.learning_rate", 0, lo_open=True),
        lr_schedule=params.choice(p, "train.lr_schedule", ["constant", "cosine"]),
        rsna_weights=params.choice(p, "train.loss_weights", ["uniform", "rsna"]) == "rsna",
        focal_gamma=params.number(p, "train.focal_gamma", 0, 5),
        context=params.boolean(p, "train.context"),
        patience=params.integer(p, "train.patience", 0),
    )


def main() -> None:
    spec = read_spec(params.load())
    images = np.load("data/extracted/images.npy", mmap_mode="r")
    index = pd.read_csv("data/extracted/index.csv")
    splits = {s: pd.read_csv(f"data/splits/{s}.csv") for s in ("train", "val")}
    model, summary = train(spec, images, index, splits["train"], splits["val"], HISTORY)
    MODELS.mkdir(exist_ok=True)
    tmp = MODELS / ".partial.keras"  # an interrupted save never leaves half a model.keras
    model.save(tmp)
    stable_zip(tmp)
    os.replace(tmp, MODELS / "model.keras")
    prep = json.loads(Path("data/extracted/preprocessing.json").read_text())
    prior = splits["train"][list(LABELS)].mean().round(6).to_dict()  # predict's fallback
    write_json(MODELS / "preprocessing.json", {**prep, "context": spec.context, "prior": prior})
    write_json("metrics/train.json", summary)
    training_curves(HISTORY, HISTORY.with_name("curves.png"))


if __name__ == "__main__":
    run(main)
