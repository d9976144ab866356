"""Baselines a model must beat, fit on every image of the training patients at natural
prevalence (never on the holdout, never on the resampled training split)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ich.model.density import fit_density, predict_density
from ich.rsna import LABELS

POSITION_BINS = 10


def prior_baseline(train: pd.DataFrame, n: int) -> np.ndarray:
    """Every image gets the natural training prevalence of each label."""
    return np.tile(train[list(LABELS)].mean().to_numpy(), (n, 1))


def position_baseline(train: pd.DataFrame, target: pd.DataFrame) -> np.ndarray:
    """Training prevalence by the slice's relative position in its series (a known leak)."""

    def bins(frame):
        return np.minimum(
            (frame["relative_position"].to_numpy() * POSITION_BINS).astype(int), POSITION_BINS - 1
        )

    table = train.assign(_bin=bins(train)).groupby("_bin")[list(LABELS)].mean()
    table = table.reindex(range(POSITION_BINS)).fillna(train[list(LABELS)].mean())
    return table.to_numpy()[bins(target)]


def density_baseline(
    features: np.ndarray, info: dict, train: pd.DataFrame, target: pd.DataFrame, c: float
) -> tuple[np.ndarray, dict]:
    """The density baseline (`ich.model.density`) fit on the training patients' rows of the HU
    features (by array row; `info` names their columns and version), scored on `target`'s.
    Returns its probabilities and the fitted model."""
    x_train = features[train["row"].to_numpy()]
    y_train = train[list(LABELS)].to_numpy()
    model = fit_density(x_train, y_train, info, c)
    return predict_density(model, features[target["row"].to_numpy()]), model
