"""`python -m ich kfold`: one recipe's cross-validation on a workspace's decoded data, every
seed, written as out-of-fold predictions and pooled figures."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ich.cv.folds import labelled_table
from ich.cv.oof import score, seed_mean
from ich.data.extract import ExtractSpec, extract
from ich.data.splits import SampleSpec, patient_folds
from ich.files import write_csv, write_json
from ich.jobs import worker_count
from ich.pipeline import params as params_io
from ich.pipeline import paths

RECIPE = ("extract", "sample", "train", "sequence")  # the params sections that define a recipe


@dataclass(frozen=True)
class Options:
    """How a recipe is cross-validated and where its results go (`python -m ich kfold`'s
    options; the recipe itself is the params)."""

    name: str  # the file names in `out`
    out: Path
    overrides: tuple[str, ...] = ()  # the -S changes the params carry, cited in the summary
    folds: int = 5
    fold_seed: int = 0
    fold_ensemble: bool = False
    val_fraction: float = 0.15
    workers: int | None = None
    features_model: str | None = None  # density | hybrid: no network (ich.cv.features)
    stack_on: Path | None = None  # hybrid: a CNN recipe's out-of-fold predictions


def images_path(workspace: Path, spec: ExtractSpec, base: int) -> Path:
    """Where the workspace keeps the model images under `spec` (keyed by the settings)."""
    card = spec.settings(base).card()
    key = hashlib.sha256(json.dumps(card, sort_keys=True).encode()).hexdigest()[:12]
    return workspace / "data" / "kfold" / f"images-{key}.npy"


def images_for(workspace: Path, p: dict, workers: int) -> np.ndarray:
    """The model images under the params' extract section, derived once from the workspace's
    decoded codes (on the base grid of its decode.resolution) and kept beside them."""
    spec = params_io.section(p, "extract", ExtractSpec)
    base = params_io.get(p, "decode.resolution")
    target = images_path(workspace, spec, base)
    if not target.exists():
        extract(
            workspace / paths.CODES,
            np.load(workspace / paths.AREAS),
            target,
            spec.settings(base),
            workers,
        )
    return np.load(target)


def features_for(workspace: Path, workers: int) -> tuple[np.ndarray, dict]:
    """The workspace's HU features and their columns (`ich.data.hu_features`), written once
    from its decoded codes as the `hu_features` stage writes them, and kept beside them."""
    from ich.data import hu_features

    target, about = workspace / paths.HU_FEATURES, workspace / paths.HU_FEATURES_INFO
    info = hu_features.info(hu_features.grid(workspace / paths.CODES))
    if not (target.is_file() and about.is_file() and json.loads(about.read_text()) == info):
        areas = np.load(workspace / paths.AREAS)
        index = pd.read_csv(workspace / paths.INDEX)
        hu_features.write(workspace / paths.CODES, areas, index, target, about, workers)
    return np.load(target), info


def run_features_recipe(workspace: Path, p: dict, options: Options, seeds: list[int]) -> dict:
    """A recipe on the HU features (`ich.cv.features`): the density baseline, or the
    hybrid stacked on a CNN recipe's out-of-fold logits (`stack_on`); seconds, no network."""
    from ich.cv.features import features_recipe

    features, info = features_for(workspace, worker_count(options.workers))
    _, table = labelled_table(workspace)
    fold_of = patient_folds(table, options.folds, options.fold_seed)
    stack = pd.read_csv(options.stack_on) if options.stack_on else None
    c = params_io.get(p, "evaluate.density_c")
    oof = features_recipe(options.features_model, features, info, table, fold_of, c, seeds, stack)
    return write_results(options, p, oof, table, info["version"])


def run_recipe(workspace: Path, p: dict, options: Options, seeds: list[int]) -> dict:
    """The network recipe the params define, seed by seed (seeds already in `options.out` for
    the same recipe and folds are kept); the caller's params are left as they are."""
    # Keras is imported here, not above: the feature recipes run without it
    from ich.cv.fit import cross_validate
    from ich.model.sequence import SequenceSpec
    from ich.model.training import TrainSpec

    p = copy.deepcopy(p)
    sample = params_io.section(p, "sample", SampleSpec)
    images = images_for(workspace, p, worker_count(options.workers))
    index, table = labelled_table(workspace)
    fold_of = patient_folds(table, options.folds, options.fold_seed)
    frames = earlier_seeds(options, p)
    done = {int(s) for f in frames for s in f["seed"].unique()}
    name = options.name
    if done:
        print(f"kfold {name}: seeds {sorted(done)} kept from {options.out}", flush=True)
    work = Path(tempfile.mkdtemp(prefix=f"ich-kfold-{name}-"))  # per-fold histories
    summary: dict = {}
    for seed in (s for s in seeds if s not in done):
        p["train"]["seed"], p["sequence"]["seed"] = seed, seed
        train_spec = params_io.section(p, "train", TrainSpec)
        sequence_spec = params_io.section(p, "sequence", SequenceSpec)
        oof = cross_validate(
            train_spec,
            sequence_spec,
            images,
            index,
            table,
            fold_of,
            options.val_fraction,
            sample.positive_ratio,
            work,
            options.fold_ensemble,
        )
        frames.append(oof)
        # written after every seed, so a run cut short keeps the seeds it finished
        summary = write_results(options, p, pd.concat(frames, ignore_index=True), table)
        print(f"kfold {name}: seed {seed} done", flush=True)
    shutil.rmtree(work)
    return summary or write_results(options, p, pd.concat(frames, ignore_index=True), table)


def _recipe(p: dict) -> dict:
    """The params that define a recipe: what kfold reads (of `sample`, the positive ratio; its
    own options set the folds and val), training seeds left out."""
    out = json.loads(json.dumps({k: p[k] for k in RECIPE}))
    out["train"].pop("seed"), out["sequence"].pop("seed")
    out["sample"] = {"positive_ratio": out["sample"]["positive_ratio"]}
    return out


def earlier_seeds(options: Options, p: dict) -> list[pd.DataFrame]:
    """The out-of-fold predictions an earlier run of this recipe left in OUT (its seeds are
    kept, so seeds can be added run by run, or on other machines); none when OUT/NAME holds
    another recipe or other folds."""
    summary_path = options.out / f"{options.name}.json"
    oof_path = options.out / f"{options.name}.csv.gz"
    if not (summary_path.is_file() and oof_path.is_file()):
        return []
    before = json.loads(summary_path.read_text())
    folds_then = (before["folds"], before["fold_seed"], before.get("fold_ensemble", False))
    same_folds = folds_then == (options.folds, options.fold_seed, options.fold_ensemble)
    if not same_folds or _recipe(before["params"]) != _recipe(p):
        print(f"kfold {options.name}: {summary_path} holds another recipe or folds: replaced")
        return []
    return [pd.read_csv(oof_path)]


def write_results(
    options: Options, p: dict, oof: pd.DataFrame, table, features_version: str | None = None
) -> dict:
    """OUT/NAME.csv.gz (out-of-fold predictions, every seed so far) and OUT/NAME.json (pooled
    figures, and those of the seeds' averaged predictions)."""
    seeds = sorted(int(s) for s in oof["seed"].unique())
    write_csv(options.out / f"{options.name}.csv.gz", oof)
    summary = {
        "name": options.name,
        "overrides": list(options.overrides),
        "seeds": seeds,
        "folds": options.folds,
        "fold_seed": options.fold_seed,
        "fold_ensemble": options.fold_ensemble,
        "features_model": options.features_model,  # None: the network recipe
        "features_version": features_version,  # of the HU features a feature recipe read
        "stack_on": str(options.stack_on) if options.stack_on else None,
        "patients": int(table["PatientID"].nunique()),
        "slices": int(len(table)),
        "series_model": score(oof, "p_"),
        "slice_model": score(oof, "p_slice_"),
        "prior": score(oof, "p_prior_"),
        # the seeds' models averaged: what an ensemble of models trained alike is worth
        "seed_ensemble": score(seed_mean(oof), "p_") if len(seeds) > 1 else None,
        "seed_ensemble_slice": score(seed_mean(oof), "p_slice_") if len(seeds) > 1 else None,
        "params": {k: p[k] for k in RECIPE},
    }
    write_json(options.out / f"{options.name}.json", summary)
    return summary
