"""The density baseline: a per-label L2-regularised logistic regression on a slice's HU
features (`ich.data.hu_features`), what a network must beat to have learnt more than the HU
numbers a radiologist would jot down.

Fit with scikit-learn, kept as plain numbers (the standardisation and each label's weights) in
a JSON-able dict, so it travels in a bundle's card and predicts with numpy alone. A label with
fewer than MIN_POSITIVES positive slices among the training rows gets its training prevalence.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from ich.rsna import LABELS

MIN_POSITIVES = 2


def fit_density(x: np.ndarray, y: np.ndarray, info: dict, c: float) -> dict:
    """Fit on training rows only: x (n, features) HU features, y (n, 6) labels, `info` the
    features' features.json (names, version, base grid). `c` is the inverse L2 strength
    (scikit-learn's C) on standardised features."""
    from sklearn.linear_model import LogisticRegression

    x = np.nan_to_num(np.asarray(x, np.float64))
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    labels = {}
    for i, s in enumerate(LABELS):
        target = y[:, i].astype(int)
        if target.sum() < MIN_POSITIVES or target.sum() > len(target) - MIN_POSITIVES:
            prior = min(max(float(target.mean()), 1e-6), 1 - 1e-6)
            weights = [0.0] * x.shape[1]
            labels[s] = {"weights": weights, "bias": float(logit(prior)), "constant": True}
            continue
        fit = LogisticRegression(C=c, max_iter=5000).fit(z, target)
        labels[s] = {
            "weights": [float(w) for w in fit.coef_[0]],
            "bias": float(fit.intercept_[0]),
            "constant": False,
        }
    return {
        "features": list(info["features"]),
        "features_version": info["version"],
        "base": info["base"],  # the decode grid new scans go onto before their features
        "c": c,
        "mean": [float(v) for v in mean],
        "scale": [float(v) for v in scale],
        "labels": labels,
        "train_rows": int(len(x)),
    }


def predict_density(model: dict, x: np.ndarray) -> np.ndarray:
    """(n, 6) probabilities of the six labels for rows of HU features."""
    z = (np.nan_to_num(np.asarray(x, np.float64)) - model["mean"]) / model["scale"]
    w = np.array([model["labels"][s]["weights"] for s in LABELS]).T
    b = np.array([model["labels"][s]["bias"] for s in LABELS])
    return expit(z @ w + b)
