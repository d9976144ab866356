"""Stage `train`: splits + images -> models/, metrics/train.json, plots/train/."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ich.files import write_json
from ich.model.curves import training_curves
from ich.model.networks import ModelSpec
from ich.model.saving import save
from ich.model.training import TrainSpec, train
from ich.pipeline import params, paths
from ich.pipeline.stage import run
from ich.rsna import LABELS


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
    images = np.load(paths.IMAGES, mmap_mode="r")
    index = pd.read_csv(paths.INDEX)
    splits = {s: pd.read_csv(paths.SPLITS / f"{s}.csv") for s in ("train", "val")}
    history = paths.TRAIN_PLOTS / "history.csv"
    model, summary = train(spec, images, index, splits["train"], splits["val"], history)
    save(model, paths.MODELS / "model.keras")
    prep = json.loads(paths.PREPROCESSING.read_text())
    prior = splits["train"][list(LABELS)].mean().round(6).to_dict()  # predict's fallback
    write_json(
        paths.MODELS / "preprocessing.json", {**prep, "context": spec.context, "prior": prior}
    )
    write_json(paths.TRAIN_REPORT, summary)
    write_json(paths.TRAIN_METRICS, {"epochs_run": summary["epochs_run"]})
    training_curves(history, paths.TRAIN_PLOTS / "curves.png")


if __name__ == "__main__":
    run(main)
