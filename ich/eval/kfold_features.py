"""Recipes on the HU features (`ich.data.hu_features`), cross-validated on the same folds as the
network recipes (`ich.eval.kfold`), so every figure pairs with theirs patient by patient:

- **density**: the density baseline itself (`ich.model.density`), fit per fold on every slice
  of the other folds' patients. It trains no network, so it has no seeds: its out-of-fold
  rows are repeated for each seed of the recipe it is paired with.
- **hybrid**: the same logistic regression with the network's out-of-fold logits of a CNN
  recipe (`--stack-on`) as extra inputs, per seed: what the network adds to the HU numbers.
  As in the series model's stacking, the logits it trains on come from slice models that saw
  the held-out fold; the regression itself never sees a held-out label.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import logit

from ich.model.density import fit_density, predict_density
from ich.rsna import LABELS

EPS = 1e-6
KINDS = ("density", "hybrid")


def _fit_predict(x, y, folds, names, c, version) -> np.ndarray:
    out = np.zeros(y.shape)
    for f in np.unique(folds):
        model = fit_density(x[folds != f], y[folds != f], names, c, version)
        out[folds == f] = predict_density(model, x[folds == f])
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
    """Out-of-fold rows (`ich.eval.kfold.oof_frame`'s columns, p_ = p_slice_) of a feature
    recipe for every slice of `table` (index rows with labels) and each seed. `features` is by
    array row; `stack` a CNN recipe's out-of-fold frame (hybrid only), its seeds used."""
    from ich.eval.kfold import oof_frame, prior_oof

    if kind not in KINDS:
        raise ValueError(f"feature recipe {kind!r}: expected one of {', '.join(KINDS)}")
    table = table.sort_values("row").reset_index(drop=True)
    folds = table["PatientID"].map(fold_of).to_numpy()
    x = features[table["row"].to_numpy()].astype(np.float64)
    y = table[list(LABELS)].to_numpy()
    names, version = list(info["features"]), info["version"]
    prior = prior_oof(table, folds)
    frames = []
    if kind == "hybrid":
        seeds = sorted(int(s) for s in stack["seed"].unique())
    for seed in seeds:
        if kind == "density":
            if not frames:
                p = _fit_predict(x, y, folds, names, c, version)
        else:
            cnn = stack[stack["seed"] == seed].set_index("ID")
            p_cnn = cnn.loc[table["ID"], [f"p_slice_{s}" for s in LABELS]].to_numpy(np.float64)
            x_seed = np.concatenate([x, logit(np.clip(p_cnn, EPS, 1 - EPS))], axis=1)
            cnn_names = [f"cnn_logit_{s}" for s in LABELS]
            p = _fit_predict(x_seed, y, folds, names + cnn_names, c, version)
        frame = oof_frame(table, folds, p, p, seed)
        for i, s in enumerate(LABELS):
            frame[f"p_prior_{s}"] = np.round(prior[:, i], 6)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
