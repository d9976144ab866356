"""Recipes on the HU features (`ich.data.hu_features`), cross-validated on the same folds as the
network recipes (`ich.cv`), so every figure pairs with theirs patient by patient:

- **density**: the density baseline itself (`ich.model.density`), fit per fold on every slice
  of the other folds' patients. It trains no network, so it has no seeds: its out-of-fold
  rows are repeated for each seed of the recipe it is paired with.
- **hybrid**: the same logistic regression with the network's out-of-fold logits of a CNN
  recipe (`--stack-on`) as extra inputs, per seed: what the network adds to the HU numbers.
  As in the series model's stacking, the logits it trains on come from slice models that saw
  the held-out fold; the regression itself never sees a held-out label.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ich.cv.oof import oof_frame
from ich.data.splits import patient_folds
from ich.model.density import fit_density, predict_density
from ich.model.inference import logit
from ich.model.thresholds import operating_points
from ich.rsna import LABELS

KINDS = ("density", "hybrid")


def density_fold(x: np.ndarray, y: np.ndarray, test: np.ndarray, info: dict, c: float):
    """The density model fit on the rows outside `test` (a mask), predicting those in it."""
    return predict_density(fit_density(x[~test], y[~test], info, c), x[test])


def _fit_predict(x, y, folds, info, c) -> np.ndarray:
    out = np.zeros(y.shape)
    for f in np.unique(folds):
        out[folds == f] = density_fold(x, y, folds == f, info, c)
    return out


def features_recipe(
    kind: str,
    features: np.ndarray,
    info: dict,
    table: pd.DataFrame,
    fold_of: dict[str, int],
    c: float,
    seeds: list[int],
    stack: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Out-of-fold rows (`ich.cv.oof.oof_frame`'s columns, p_ = p_slice_) of a feature
    recipe for every slice of `table` (index rows with labels) and each seed. `features` is by
    array row; `stack` a CNN recipe's out-of-fold frame (hybrid only), its seeds used."""
    if kind not in KINDS:
        raise ValueError(f"feature recipe {kind!r}: expected one of {', '.join(KINDS)}")
    table = table.sort_values("row").reset_index(drop=True)
    folds = table["PatientID"].map(fold_of).to_numpy()
    x = features[table["row"].to_numpy()].astype(np.float64)
    y = table[list(LABELS)].to_numpy()
    if kind == "density":  # no network, so no seeds: the same rows for each
        p = _fit_predict(x, y, folds, info, c)
        predictions = {seed: p for seed in seeds}
    else:
        stacked = info | {"features": [*info["features"], *(f"cnn_logit_{s}" for s in LABELS)]}
        predictions = {}
        for seed in sorted(int(s) for s in stack["seed"].unique()):
            cnn = stack[stack["seed"] == seed].set_index("ID")
            p_cnn = cnn.loc[table["ID"], [f"p_slice_{s}" for s in LABELS]].to_numpy(np.float64)
            x_seed = np.concatenate([x, logit(p_cnn)], axis=1)
            predictions[seed] = _fit_predict(x_seed, y, folds, stacked, c)
    frames = [oof_frame(table, folds, p, p, seed) for seed, p in predictions.items()]
    return pd.concat(frames, ignore_index=True)


def final_density(
    features: np.ndarray, info: dict, table: pd.DataFrame, c: float, target: float, folds: int
) -> dict:
    """The density model fit on every slice of `table`, what a bundle ships: with its natural
    prior and its operating points for `target` sensitivity, chosen on its own out-of-fold
    predictions (`folds` folds of patients, dealt as the cross-validation deals them)."""
    table = table.sort_values("row")
    y = table[list(LABELS)].to_numpy()
    model = fit_density(features[table["row"].to_numpy()], y, info, c)
    oof = features_recipe("density", features, info, table, patient_folds(table, folds, 0), c, [0])
    p_oof = oof[[f"p_{s}" for s in LABELS]].to_numpy()
    return model | {
        "prior": dict(zip(LABELS, y.mean(axis=0).tolist(), strict=True)),
        "target_sensitivity": target,
        "thresholds": operating_points(oof[list(LABELS)].to_numpy(), p_oof, target),
        "patients": int(table["PatientID"].nunique()),
    }


def density_bundle(
    p: dict, out: Path, features: np.ndarray, info: dict, table: pd.DataFrame, folds: int, about
) -> dict:
    """The density model fit on every patient of `table`, as a bundle in `out` (its operating
    points from its own `folds`-fold out-of-fold predictions); returns the model."""
    from ich.data.source import DataSpec, trained_on_data
    from ich.model.bundle import write_density_bundle
    from ich.pipeline import params

    c = params.get(p, "evaluate.density_c")
    target = params.get(p, "train.target_sensitivity")
    model = final_density(features, info, table, c, target, folds) | {
        "trained_on": trained_on_data(params.section(p, "data", DataSpec)),
    }
    recipe = {"features_model": "density", "params": {"evaluate.density_c": c}}
    write_density_bundle(out, model, {"recipe": recipe, **about})
    return model
