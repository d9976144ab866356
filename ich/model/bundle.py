"""A model bundle: a folder `predict --model` reads whole, e.g. models/real-ct/ or the
pipeline's models/bundle/ (stage `bundle`, artifact `ich-model` for `dvc artifacts get`).

    bundle.json                 what is in it, the recipe, and its cross-validated figures
    slice-<k>/model.keras       one or more slice models, each with its card beside it
    slice-<k>/preprocessing.json
    sequence/model.keras        optional: a series model on the (single) slice model's features
    sequence/card.json
    density.json                or, instead of any network: the density model on HU features
                                (`ich.model.density`), its features named with their version

Several slice models are an ensemble: `predict` averages their probabilities on the natural
scale (each card puts its own model there). A series model reads one slice model's features,
and features of different models do not share a space, so a bundle with a series model has
exactly one slice model.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from ich.errors import InputError
from ich.files import publish, unpublished

MANIFEST = "bundle.json"
DENSITY = "density.json"
SLICE_CARD = "preprocessing.json"
SEQUENCE_CARD = "card.json"
# what must agree across an ensemble's cards: the images are decoded once for all its models
SHARED_INPUT = ("base", "resolution", "windows", "window_at", "context")


@dataclass(frozen=True)
class Bundle:
    slice_models: list[Path]
    sequence: Path | None
    manifest: dict
    density: Path | None = None  # a density bundle has no network

    @property
    def cards(self) -> list[dict]:
        return [json.loads((m.parent / SLICE_CARD).read_text()) for m in self.slice_models]


def slice_folder(out: Path, k: int) -> Path:
    return out / f"slice-{k}"


def write_manifest(out: Path, slice_models: int, sequence: bool, about: dict) -> None:
    """bundle.json for the models already written under `out`."""
    from ich.files import write_json

    names = [str(slice_folder(Path(), k) / "model.keras") for k in range(slice_models)]
    manifest = {
        "slice_models": names,
        "sequence": "sequence/model.keras" if sequence else None,
        **about,
    }
    read_bundle(out, manifest)  # refuse to write what predict could not read
    write_json(out / MANIFEST, manifest)


def read_bundle(folder: Path, manifest: dict | None = None) -> Bundle:
    """The bundle in `folder`, checked: every model and card present, one slice model under a
    series model, the ensemble's inputs alike."""
    path = folder / MANIFEST
    if manifest is None:
        if not path.is_file():
            raise InputError(f"{folder}: no {MANIFEST}: not a model bundle")
        manifest = json.loads(path.read_text())
    slices = [folder / name for name in manifest.get("slice_models", [])]
    sequence = folder / manifest["sequence"] if manifest.get("sequence") else None
    if manifest.get("density"):
        density = folder / manifest["density"]
        if slices or sequence:
            raise InputError(f"{path}: a density bundle holds no network")
        if not density.is_file():
            raise InputError(f"{path}: {density} is missing")
        return Bundle([], None, manifest, density)
    if not slices:
        raise InputError(f"{path}: lists no slice model")
    if sequence is not None and len(slices) > 1:
        raise InputError(
            f"{path}: a series model reads one slice model's features, not {len(slices)}"
        )
    for model, card in [(m, m.parent / SLICE_CARD) for m in slices] + (
        [(sequence, sequence.parent / SEQUENCE_CARD)] if sequence else []
    ):
        for needed in (model, card):
            if not needed.is_file():
                raise InputError(f"{path}: {needed} is missing")
    bundle = Bundle(slices, sequence, manifest)
    cards = bundle.cards
    for model, card in zip(slices[1:], cards[1:], strict=True):
        differs = [k for k in SHARED_INPUT if card.get(k) != cards[0].get(k)]
        if differs:
            raise InputError(f"{model}: its {', '.join(differs)} differ from {slices[0]}'s")
    return bundle


def pack(slice_model: tuple[Path, Path], sequence: tuple[Path, Path], about: dict, out: Path):
    """A slice model and the series model on its features, each (model, card), copied into the
    bundle `out`, written whole or not at all."""
    tmp = unpublished(out)
    for (model, card), folder, card_name in [
        (slice_model, slice_folder(tmp, 0), SLICE_CARD),
        (sequence, tmp / "sequence", SEQUENCE_CARD),
    ]:
        folder.mkdir(parents=True)
        shutil.copyfile(model, folder / "model.keras")
        shutil.copyfile(card, folder / card_name)
    write_manifest(tmp, 1, True, about)
    publish(tmp, out)


def write_density_bundle(out: Path, model: dict, about: dict) -> None:
    """A bundle of the density model alone (`ich.model.density`), written whole or not at all."""
    from ich.files import write_json

    tmp = unpublished(out)
    tmp.mkdir(parents=True)
    write_json(tmp / DENSITY, model)
    manifest = {"slice_models": [], "sequence": None, "density": DENSITY, **about}
    read_bundle(tmp, manifest)
    write_json(tmp / MANIFEST, manifest)
    publish(tmp, out)
