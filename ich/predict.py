"""Predicting new scans with the trained models: DICOM files -> per-slice probabilities.

Decoding, windowing and resizing are the pipeline's own (`ich.data.scans`); the base grid,
resolution and windows come from the `preprocessing.json` saved beside the slice model. The slice
model's features then go through the series model, as in the pipeline (`embed`, `sequence`).
Keras is imported only where a network runs: a density bundle predicts without it.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ich.data.extract import Settings
from ich.data.labels import long_format
from ich.data.scans import decode_images, find_dicoms
from ich.errors import InputError
from ich.model.bundle import read_bundle
from ich.model.inference import natural_scale
from ich.pipeline import paths
from ich.rsna import LABELS


def load_card(model_path: Path, name: str) -> dict:
    """The card saved beside a model (`preprocessing.json` for the slice model, `card.json`
    for the series model)."""
    path = model_path.with_name(name)
    if not path.exists():
        raise FileNotFoundError(f"{path}: the card of {model_path} is missing")
    return json.loads(path.read_text())


def phantom_warning(card: dict) -> str | None:
    """A warning when the slice model's card says it was trained on the synthetic phantom
    (such a model is at chance on real head CT)."""
    if not card.get("trained_on", {}).get("phantom"):
        return None
    return (
        "WARNING: this model was trained on the synthetic phantom (the embedded default), not "
        "on real CT: its predictions on real scans are at chance level. Train on real data "
        "first (docs/real-ct.md)."
    )


class MappedRows:
    """An .npy file's rows, each request read through a map of just the rows it spans, closed
    after: resident memory stays at about one batch at any file size (a map held open keeps
    every page it has touched resident, ~50 KB a slice at 128 px)."""

    def __init__(self, path: Path):
        whole = np.load(path, mmap_mode="r")
        self.path, self.shape, self.dtype = path, whole.shape, whole.dtype
        self.offset = whole.offset
        self.row_bytes = int(np.prod(self.shape[1:])) * self.dtype.itemsize
        del whole

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows) -> np.ndarray:
        rows = np.asarray(rows)
        lo, hi = int(rows.min()), int(rows.max()) + 1
        offset = self.offset + lo * self.row_bytes
        span = np.memmap(self.path, self.dtype, "r", offset, (hi - lo, *self.shape[1:]))
        try:
            return np.array(span[rows - lo])
        finally:
            del span


def decode(files: list[Path], prep: dict, images: Path, workers: int = 1):
    """(index of the usable slices, rejected files, their images read from the file `images`
    batch by batch, `MappedRows`): decoded as the pipeline does, sharded over `workers`, so
    memory stays bounded at any number of files. Run it before loading Keras: the workers are
    forked."""
    s = Settings.from_card(prep)
    index, rejected = decode_images([str(f) for f in files], images, s, workers)
    return index, rejected, MappedRows(images)


def predict_images(model, prep: dict, images, index, sequence=None, card: dict | None = None):
    """Probabilities (len(index), 6) on the natural scale, as evaluate scores them: the slice
    model's features batch by batch, then the series model's (with `sequence` and its `card`),
    or the slice model's own."""
    from ich.data.series import series_inputs, series_rows
    from ich.model.embedding import embed_index
    from ich.model.sequence import predict_series

    flip = sequence is not None and (card or {}).get("embed", {}).get("flip", False)
    features, raw = embed_index(model, prep, images, index, flip)
    at = index["row"].to_numpy()
    if sequence is None:
        return natural_scale(raw[at].astype(np.float64), prep)
    return predict_series(sequence, series_inputs(features, index), series_rows(index))[at]


def predict_ensemble(models: list, preps: list[dict], images, index, sequence=None, card=None):
    """`predict_images` of one slice model (and its series model), or the mean of several slice
    models' probabilities on the natural scale (a bundle's ensemble; no series model then)."""
    if len(models) == 1:
        return predict_images(models[0], preps[0], images, index, sequence, card)
    if sequence is not None:
        raise InputError("a series model reads one slice model's features, not an ensemble's")
    each = [predict_images(m, p, images, index) for m, p in zip(models, preps, strict=True)]
    return np.mean(each, axis=0)


def predict_density_files(model: dict, files: list[Path], workers: int = 1):
    """A density bundle's model (`ich.model.density`) on new scans: decoded onto its base grid,
    HU features computed by the `hu_features` stage's code, (index, probabilities, rejected).
    Refuses a model whose features this code does not compute."""
    from ich.data import hu_features
    from ich.data.decode import decode_files
    from ich.model.density import predict_density

    if (model.get("features_version"), model.get("features")) != (
        hu_features.VERSION,
        hu_features.FEATURES,
    ):
        raise InputError(
            f"the bundle's model reads HU features {model.get('features_version')!r}, this code "
            f"computes {hu_features.VERSION!r}: rebuild the bundle (make real-ct) or use the "
            "code it was built with"
        )
    with tempfile.TemporaryDirectory(prefix="ich-predict-") as tmp:
        codes = Path(tmp) / "codes.npy"
        names = [str(f) for f in files]
        index, rejected, areas = decode_files(names, codes, model["base"], workers)
        features = hu_features.compute(codes, areas, index, workers)
    probs = predict_density(model, features[index["row"].to_numpy()])
    return index, probs, rejected


def models_to_use(model: Path, sequence: Path | None) -> tuple[list[Path], Path | None]:
    """The slice model(s) and the series model (or None) that `--model` and `--sequence` name:
    a bundle folder brings its own; a single slice model pairs with the pipeline's series model."""
    if model.is_dir():
        bundle = read_bundle(model)
        slices, default = bundle.slice_models, bundle.sequence
    else:
        slices, default = [model], paths.SEQUENCE_MODEL
    chosen = default if sequence is None else (None if str(sequence) == "none" else sequence)
    for path in [*slices, *([chosen] if chosen else [])]:
        if not path.exists():
            raise FileNotFoundError(f"{path}: model not found (run `make repro` first)")
    return slices, chosen


def ensemble_card(preps: list[dict]) -> dict:
    """The slice models' card for --studies: an ensemble's `any` threshold is the mean of its
    models' (each chosen on its own val patients at the same target sensitivity)."""
    if len(preps) == 1:
        return preps[0]
    mean = sum(p["thresholds"]["any"] for p in preps) / len(preps)
    return {**preps[0], "thresholds": {**preps[0]["thresholds"], "any": mean}}


@dataclass
class Predicted:
    """What `predict_scans` returns: the slices read (index), their probabilities on the natural
    scale, the files it could not read, the card that gives thresholds and the prior, and a
    warning to show (a phantom-trained model) or None."""

    index: pd.DataFrame
    probs: np.ndarray
    rejected: pd.DataFrame
    card: dict
    prior: dict
    files: int
    warning: str | None


def predict_scans(
    inputs: list[Path], model: Path, sequence: Path | None = None, workers: int = 1
) -> Predicted:
    """New scans through any model this project writes, one entry point: a density model's
    JSON (evaluate's baseline) or a density bundle (no network); a bundle of slice models (an
    ensemble when several); a single slice model with the pipeline's series model (`sequence`:
    another one, or `none` for the slice model alone). Keras loads only for a network, after the
    files are decoded in forked workers."""
    density = model if model.suffix == ".json" else None
    if model.is_dir():
        density = read_bundle(model).density
    files = find_dicoms(inputs)
    if density is not None:
        return _density(density, files, workers)
    slice_models, sequence_path = models_to_use(model, sequence)
    preps = [load_card(m, "preprocessing.json") for m in slice_models]
    card = load_card(sequence_path, "card.json") if sequence_path else ensemble_card(preps)
    with tempfile.TemporaryDirectory(prefix="ich-predict-") as tmp:
        index, rejected, images = decode(files, preps[0], Path(tmp) / "images.npy", workers)
        import keras

        models = [keras.saving.load_model(m, compile=False) for m in slice_models]
        series = keras.saving.load_model(sequence_path, compile=False) if sequence_path else None
        probs = predict_ensemble(models, preps, images, index, series, card)
        del images  # the map, before its folder goes
    prior = preps[0].get("prior", {})
    return Predicted(index, probs, rejected, card, prior, len(files), phantom_warning(preps[0]))


def _density(path: Path, files: list[Path], workers: int) -> Predicted:
    if not path.is_file():
        raise InputError(f"{path}: density model not found (run `make repro` first)")
    model = json.loads(path.read_text())
    if "labels" not in model or "base" not in model:
        raise InputError(f"{path}: not a density model (no labels or base grid; rerun its stage)")
    index, probs, rejected = predict_density_files(model, files, workers)
    prior = model.get("prior", {})
    return Predicted(index, probs, rejected, model, prior, len(files), phantom_warning(model))


def submission(
    index: pd.DataFrame,
    probs: np.ndarray,
    fallback: dict[str, float],
    order: pd.Series | None = None,
) -> pd.DataFrame:
    """Kaggle's `ID,Label` rows, six per image. With `order` (the sample submission's IDs) the
    rows follow it, and images that could not be read get the `fallback` (training prior)."""
    wide = pd.DataFrame(probs, columns=list(LABELS)).assign(ID=index["ID"].to_numpy())
    long = long_format(wide)
    if order is None:
        return long
    by_id = long.set_index("ID")["Label"]
    subtype = order.str.rsplit("_", n=1).str[1]
    labels = order.map(by_id).fillna(subtype.map(fallback))
    return pd.DataFrame({"ID": order.to_numpy(), "Label": labels.to_numpy()})


class TooManyMissing(InputError):
    """A sample submission whose images were mostly not found or not readable."""


def check_coverage(predicted_ids: pd.Series, order: pd.Series, min_share: float = 0.99) -> None:
    """Refuse a submission that would be mostly the fallback prior (the wrong folder, say)."""
    wanted = order.str.rsplit("_", n=1).str[0].unique()
    predicted = predicted_ids.isin(wanted).sum()
    if predicted < min_share * len(wanted):
        raise TooManyMissing(
            f"predicted {predicted} of the sample submission's {len(wanted)} images "
            f"(< {min_share:.0%}); the rest would get the prior. Wrong folder? "
            "--allow-missing writes it anyway"
        )


def study_summary(index: pd.DataFrame, probs: np.ndarray, threshold: float) -> pd.DataFrame:
    """Per study: slices, the highest `any` probability, slices above the threshold."""
    p_any = probs[:, LABELS.index("any")]
    frame = index[["StudyInstanceUID"]].assign(p_any=p_any, above=p_any >= threshold)
    out = frame.groupby("StudyInstanceUID").agg(
        slices=("p_any", "size"), max_any=("p_any", "max"), slices_above=("above", "sum")
    )
    return out.reset_index().round({"max_any": 6})
