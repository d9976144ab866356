"""Holdout evaluation: the model against three baselines, with patient-bootstrap intervals.

Nothing here is fit on the holdout: baselines use the training split, thresholds the
validation split.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ich import LABELS, RSNA_WEIGHTS, SUBTYPES
from ich import metrics as M
from ich.batches import SliceBatches

WEIGHTS = np.array([RSNA_WEIGHTS[s] for s in LABELS])
POSITION_BINS = 10


def predict(model, images: np.ndarray, split: pd.DataFrame, context, batch_size: int = 256):
    data = SliceBatches(images, split, batch_size, None, context)
    return np.asarray(model.predict(data, verbose=0), dtype=np.float64)


def prior_baseline(train: pd.DataFrame, n: int) -> np.ndarray:
    """Every image gets the training prevalence of each label."""
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


def summary(y: np.ndarray, p: np.ndarray) -> dict:
    """Overall figures of one predictor."""
    _, _, _, ece = M.calibration(y, p)
    hits = (p >= 0.5) == y.astype(bool)
    return {
        "weighted_log_loss": round(M.weighted_log_loss(y, p, WEIGHTS), 5),
        "loss": round(M.log_loss(y, p), 5),
        "accuracy": round(float(hits.mean()), 5),
        "exact_match": round(float(hits.all(axis=1).mean()), 5),
        "brier": round(M.brier(y, p), 5),
        "ece": round(ece, 5),
        "auc": {s: _round(M.roc_auc(y[:, i], p[:, i])) for i, s in enumerate(LABELS)},
    }


def _round(x: float, digits: int = 4):
    return None if np.isnan(x) else round(float(x), digits)


def per_label(y, p, patients, y_val, p_val, target_sensitivity, n_boot, seed) -> dict:
    """AUC with a patient-bootstrap CI, AP, and sensitivity/specificity at a val threshold."""
    out = {}
    for i, s in enumerate(LABELS):
        lo, hi = M.bootstrap_auc_ci(y[:, i], p[:, i], patients, n_boot, seed + i)
        thr = M.threshold_for_sensitivity(y_val[:, i], p_val[:, i], target_sensitivity)
        sens, spec = M.sensitivity_specificity(y[:, i], p[:, i], thr)
        out[s] = {
            "auc": _round(M.roc_auc(y[:, i], p[:, i])),
            # two numbers, not a list: `dvc metrics` and `dvc exp show` drop list values
            "auc_ci95_low": _round(lo),
            "auc_ci95_high": _round(hi),
            "average_precision": _round(M.average_precision(y[:, i], p[:, i])),
            "threshold": _round(thr, 5),
            "sensitivity": _round(sens),
            "specificity": _round(spec),
            "prevalence": _round(float(y[:, i].mean())),
            "positives": int(y[:, i].sum()),
        }
    return out


def evaluate(
    holdout: pd.DataFrame,
    p: np.ndarray,
    train: pd.DataFrame,
    val: pd.DataFrame,
    p_val: np.ndarray,
    target_sensitivity: float,
    n_boot: int,
    seed: int,
) -> dict:
    y = holdout[list(LABELS)].to_numpy(np.float64)
    y_val = val[list(LABELS)].to_numpy(np.float64)
    patients = holdout["PatientID"].to_numpy()
    baselines = {
        "prior": prior_baseline(train, len(holdout)),
        "always_negative": np.zeros_like(y),
        "position": position_baseline(train, holdout),
    }
    return {
        "images": int(len(holdout)),
        "patients": int(holdout["PatientID"].nunique()),
        "model": summary(y, p),
        "labels": per_label(y, p, patients, y_val, p_val, target_sensitivity, n_boot, seed),
        "baselines": {name: summary(y, b) for name, b in baselines.items()},
    }


def saliency_examples(
    model, images, holdout: pd.DataFrame, p: np.ndarray, context, per_label: int = 2
):
    """For each subtype, the true positives the model ranks highest, with occlusion maps."""
    from ich.batches import gather
    from ich.saliency import occlusion_map

    xs, maps, titles = [], [], []
    for i, s in enumerate(SUBTYPES):
        hits = np.flatnonzero(holdout[s].to_numpy() == 1)
        for k in hits[np.argsort(-p[hits, i])][:per_label]:
            x = gather(images, holdout["row"].to_numpy()[[k]], context)[0]
            xs.append(x)
            maps.append(occlusion_map(model, x, i))
            titles.append(f"{s} p={p[k, i]:.2f} {holdout['ID'].iloc[k]}")
    return xs, maps, titles
