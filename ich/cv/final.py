"""Final slice models on every patient of a workspace, written as a bundle (ich.model.bundle):
what a recipe chosen by cross-validation ships, with no holdout (the cross-validation stands in).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ich.cv.split import training_split
from ich.files import publish, unpublished, write_json
from ich.model.bundle import SLICE_CARD, slice_folder, write_manifest
from ich.model.card import model_card
from ich.model.saving import save
from ich.model.training import TrainSpec, train


def train_final(
    spec: TrainSpec,
    images: np.ndarray,
    index: pd.DataFrame,
    table: pd.DataFrame,
    val_fraction: float,
    positive_ratio: float | None,
    preprocessing: dict,
    trained_on: dict,
    folder: Path,
) -> dict:
    """One slice model on every patient of `table` (`val_fraction` of them stop it early),
    saved with its card in `folder`; returns its training summary."""
    split = training_split(table, val_fraction, positive_ratio, spec.seed)
    folder.mkdir(parents=True, exist_ok=True)
    model, summary = train(spec, images, index, split.train, split.val, folder / "history.csv")
    save(model, folder / "model.keras")
    splits = {"train": split.train, "val": split.val, "train_pool": split.train_pool}
    card = model_card(model, spec, preprocessing, images, index, splits, trained_on)
    write_json(folder / SLICE_CARD, card)
    return {**summary, "patients": int(table["PatientID"].nunique()), "seed": spec.seed}


def write_bundle(specs: list[TrainSpec], out: Path, about: dict, **data) -> None:
    """A final model per spec (seeds) into `out`, written beside it and moved into place, so an
    interrupted run leaves no half bundle where a complete one is expected."""
    tmp = unpublished(out)
    models = [
        train_final(spec, folder=slice_folder(tmp, k), **data) for k, spec in enumerate(specs)
    ]
    write_manifest(tmp, len(specs), False, {**about, "training": models})
    publish(tmp, out)
