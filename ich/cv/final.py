"""Final slice models on every patient of a workspace, written as a bundle (ich.model.bundle):
what a recipe chosen by cross-validation ships, with no holdout (the cross-validation stands in).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd

from ich.cv.split import training_split
from ich.data.source import trained_on_data
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


def network_bundle(
    p: dict,
    out: Path,
    seeds: list[int],
    val_fraction: float,
    about: dict,
    images: np.ndarray,
    index: pd.DataFrame,
    table: pd.DataFrame,
) -> int:
    """The params' slice model trained once per seed on every patient of `table`, as a bundle
    in `out` (several seeds: an ensemble); `about` goes into bundle.json. The model count."""
    from ich.data.extract import ExtractSpec
    from ich.data.source import DataSpec
    from ich.data.splits import SampleSpec
    from ich.pipeline import params

    specs = []
    for seed in seeds:
        seeded = copy.deepcopy(p)
        seeded["train"]["seed"] = seed
        specs.append(params.section(seeded, "train", TrainSpec))
    extract = params.section(p, "extract", ExtractSpec)
    write_bundle(
        specs,
        out,
        about,
        images=images,
        index=index,
        table=table,
        val_fraction=val_fraction,
        positive_ratio=params.section(p, "sample", SampleSpec).positive_ratio,
        preprocessing=extract.settings(params.get(p, "decode.resolution")).card(),
        trained_on=trained_on_data(params.section(p, "data", DataSpec)),
    )
    return len(specs)
