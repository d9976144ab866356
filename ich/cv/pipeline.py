"""The real-CT cross-validation as DVC stages (`real-ct/dvc.yaml`): the folds dealt once, one
stage per fold fitting the recipe's slice models (every seed), and one pooling them into
out-of-fold predictions, the series model stacked on them, and the pooled figures beside the
density baseline's, paired on the same patients.

The recipe is the params: `cv.model` (network: the slice CNN and its series model, as
`train`, `extract`, `sample.positive_ratio` and `sequence` say; density: the logistic regression
on the HU features alone), and the folds, seeds and validation share in the `cv` section.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd

from ich.cv.compare import on_common_seeds, paired_rows
from ich.cv.features import density_fold, features_recipe
from ich.cv.folds import CVSpec, fold_map
from ich.cv.oof import oof_frame, score
from ich.rsna import LABELS


def fit_network_fold(
    fold: int,
    spec: CVSpec,
    p: dict,
    images: np.ndarray,
    index: pd.DataFrame,
    table: pd.DataFrame,
    folds: pd.DataFrame,
    work: Path,
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The fold's slice models, one per seed: the fold's slices with each seed's natural-scale
    probabilities (ID, seed, p_slice_<label>), and each seed's early-stopping patients."""
    from ich.cv.fit import slice_fold
    from ich.data.splits import SampleSpec
    from ich.model.training import TrainSpec
    from ich.pipeline import params

    table = table.sort_values("row").reset_index(drop=True)
    fold_of = fold_map(folds)
    test = table[table["PatientID"].map(fold_of) == fold]
    ratio = params.section(p, "sample", SampleSpec).positive_ratio
    frames, val = [], {}
    for seed in spec.seeds:
        seeded = copy.deepcopy(p)
        seeded["train"]["seed"] = seed
        train_spec = params.section(seeded, "train", TrainSpec)
        history = work / f"slice_{fold}_seed{seed}.csv"
        probs, stopped = slice_fold(
            train_spec, images, index, table, fold_of, fold, spec.val_fraction, ratio, history
        )
        frames.append(_rows(test, seed, probs))
        val[str(seed)] = sorted(stopped)
    return pd.concat(frames, ignore_index=True), val


def fit_density_fold(
    fold: int, c: float, features: np.ndarray, info: dict, table: pd.DataFrame, folds: pd.DataFrame
) -> pd.DataFrame:
    """The density model of the fold (fit on the other folds' slices): the fold's slices with
    its probabilities, as seed 0 (it has no seed)."""
    table = table.sort_values("row").reset_index(drop=True)
    in_fold = (table["PatientID"].map(fold_map(folds)) == fold).to_numpy()
    x, y = features[table["row"].to_numpy()], table[list(LABELS)].to_numpy()
    return _rows(table[in_fold], 0, density_fold(x, y, in_fold, info, c))


def _rows(test: pd.DataFrame, seed: int, probs: np.ndarray) -> pd.DataFrame:
    out = pd.DataFrame({"ID": test["ID"].to_numpy(), "seed": seed})
    for i, s in enumerate(LABELS):
        out[f"p_slice_{s}"] = np.round(probs[:, i], 6)
    return out


def pool(
    spec: CVSpec,
    fold_rows: list[pd.DataFrame],
    val: list[dict[str, list[str]]],
    table: pd.DataFrame,
    folds: pd.DataFrame,
    series,
) -> pd.DataFrame:
    """Every slice's out-of-fold rows (`ich.cv.oof.oof_frame`), one block per seed: the fold
    stages' slice probabilities, and `series(p_slice, val_patients)` stacked on them (the
    network's series model; None: the slice probabilities stand for it)."""
    table = table.sort_values("row").reset_index(drop=True)
    fold_of = fold_map(folds)
    column = table["PatientID"].map(fold_of).to_numpy()
    rows = pd.concat(fold_rows, ignore_index=True)
    frames = []
    for seed in sorted(rows["seed"].unique()):
        got = rows[rows["seed"] == seed].set_index("ID")
        missing = table.loc[~table["ID"].isin(got.index), "ID"]
        if len(missing):
            raise ValueError(f"seed {seed}: no out-of-fold prediction for {missing.iloc[0]}")
        p_slice = got.loc[table["ID"], [f"p_slice_{s}" for s in LABELS]].to_numpy(np.float64)
        if series is None:
            p_series = p_slice
        else:
            stopped = {f: set(v[str(seed)]) for f, v in enumerate(val)}
            p_series = series(p_slice, stopped, int(seed))
        frames.append(oof_frame(table, column, p_slice, p_series, int(seed)))
    return pd.concat(frames, ignore_index=True)


def density_oof(
    c: float, features: np.ndarray, info: dict, table: pd.DataFrame, folds: pd.DataFrame
) -> pd.DataFrame:
    """The density baseline out of fold on the same folds (seed 0)."""
    return features_recipe("density", features, info, table, fold_map(folds), c, [0])


def figures(oof: pd.DataFrame, density: pd.DataFrame, n_boot: int) -> tuple[dict, dict]:
    """(the headline metrics, the full report) of a recipe's pooled out-of-fold rows beside
    the density baseline's: model minus density paired by patient, every seed's rows pooled."""
    report = {
        "seeds": sorted(int(s) for s in oof["seed"].unique()),
        "slices": int(oof["ID"].nunique()),
        "patients": int(oof["PatientID"].nunique()),
        "series_model": score(oof, "p_", n_boot),
        "slice_model": score(oof, "p_slice_", n_boot),
        "density": score(density, "p_", n_boot),
        "prior": score(oof, "p_prior_", n_boot),
    }
    # the density model has no seed: it stands beside each of the recipe's
    versus = paired_rows(*on_common_seeds(oof, density), "p_", n_boot)
    report["model_minus_density"] = versus
    model, base = report["series_model"], report["density"]
    headline = {
        "auc_any": model["any"]["auc"],
        "weighted_log_loss": model["weighted_log_loss"]["value"],
        "density_auc_any": base["any"]["auc"],
        "density_weighted_log_loss": base["weighted_log_loss"]["value"],
        "model_minus_density_auc_any": _interval(versus["auc_any"]),
        "model_minus_density_wll": _interval(versus["weighted_log_loss"]),
        "prior_weighted_log_loss": report["prior"]["weighted_log_loss"]["value"],
    }
    return headline, report


def _interval(d: dict) -> dict:
    return {k: d[k] for k in ("diff", "low", "high")}
