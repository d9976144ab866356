"""Holdout evaluation: the model against three baselines, with patient-bootstrap intervals.

Nothing here is fit on the holdout: baselines use the training split, thresholds the
validation split.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from ich.data.inputs import SliceBatches, gather
from ich.eval import metrics
from ich.eval.baselines import position_baseline, prior_baseline
from ich.model.saliency import occlusion_map
from ich.rsna import LABELS, RSNA_WEIGHTS, SUBTYPES
from ich.spec import Count, Spec

WEIGHTS = np.array([RSNA_WEIGHTS[s] for s in LABELS])


class EvaluateSpec(Spec):
    """The `evaluate` section of params.yaml."""

    seed: Count
    bootstrap: int = Field(ge=10)  # patient-level resamples for the AUC intervals
    target_sensitivity: float = Field(gt=0, le=1)  # per-label thresholds are chosen on val


def predict_split(model, images: np.ndarray, split: pd.DataFrame, context, batch_size: int = 256):
    data = SliceBatches(images, split, batch_size, None, context)
    return np.asarray(model.predict(data, verbose=0), dtype=np.float64)


def summary(y: np.ndarray, p: np.ndarray) -> dict:
    """Overall figures of one predictor."""
    _, _, _, ece = metrics.calibration(y, p)
    hits = (p >= 0.5) == y.astype(bool)
    return {
        "weighted_log_loss": round(metrics.weighted_log_loss(y, p, WEIGHTS), 5),
        "loss": round(metrics.log_loss(y, p), 5),
        "accuracy": round(float(hits.mean()), 5),
        "exact_match": round(float(hits.all(axis=1).mean()), 5),
        "brier": round(metrics.brier(y, p), 5),
        "ece": round(ece, 5),
        "auc": {s: _round(metrics.roc_auc(y[:, i], p[:, i])) for i, s in enumerate(LABELS)},
    }


def _round(x: float, digits: int = 4):
    return None if np.isnan(x) else round(float(x), digits)


def per_label(y, p, patients, y_val, p_val, target_sensitivity, n_boot, seed) -> dict:
    """AUC with a patient-bootstrap CI, AP, and sensitivity/specificity at a val threshold."""
    out = {}
    for i, s in enumerate(LABELS):
        lo, hi = metrics.bootstrap_auc_ci(y[:, i], p[:, i], patients, n_boot, seed + i)
        thr = metrics.threshold_for_sensitivity(y_val[:, i], p_val[:, i], target_sensitivity)
        sens, spec = metrics.sensitivity_specificity(y[:, i], p[:, i], thr)
        out[s] = {
            "auc": _round(metrics.roc_auc(y[:, i], p[:, i])),
            "auc_ci95_low": _round(lo),
            "auc_ci95_high": _round(hi),
            "average_precision": _round(metrics.average_precision(y[:, i], p[:, i])),
            "threshold": _round(thr, 5),
            "sensitivity": _round(sens),
            "specificity": _round(spec),
            "prevalence": _round(float(y[:, i].mean())),
            "positives": int(y[:, i].sum()),
            "confusion": metrics.confusion(y[:, i], p[:, i], thr),
        }
    return out


def evaluate(
    holdout: pd.DataFrame,
    p: np.ndarray,
    train: pd.DataFrame,
    val: pd.DataFrame,
    p_val: np.ndarray,
    spec: EvaluateSpec,
) -> dict:
    """The full report: model and baselines overall, and per label."""
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
        "labels": per_label(
            y, p, patients, y_val, p_val, spec.target_sensitivity, spec.bootstrap, spec.seed
        ),
        "baselines": {name: summary(y, b) for name, b in baselines.items()},
    }


def headline(report: dict) -> dict:
    """The few numbers `dvc exp show` and `dvc metrics diff` show: AUC per label, the AUC(any)
    interval, and the RSNA weighted log loss of the model and of each baseline."""
    labels = report["labels"]
    return {
        "auc": {s: labels[s]["auc"] for s in LABELS},
        # two numbers, not a list: `dvc metrics` and `dvc exp show` drop list values
        "auc_any_ci95": {
            "low": labels["any"]["auc_ci95_low"],
            "high": labels["any"]["auc_ci95_high"],
        },
        "weighted_log_loss": {
            "model": report["model"]["weighted_log_loss"],
            **{name: b["weighted_log_loss"] for name, b in report["baselines"].items()},
        },
    }


def saliency_examples(
    model, images, holdout: pd.DataFrame, p: np.ndarray, context, per_label: int = 2
):
    """For each subtype, the true positives the model ranks highest, with occlusion maps."""
    xs, maps, titles = [], [], []
    for i, s in enumerate(SUBTYPES):
        hits = np.flatnonzero(holdout[s].to_numpy() == 1)
        for k in hits[np.argsort(-p[hits, i])][:per_label]:
            x = gather(images, holdout["row"].to_numpy()[[k]], context)[0]
            xs.append(x)
            maps.append(occlusion_map(model, x, i))
            titles.append(f"{s} p={p[k, i]:.2f} {holdout['ID'].iloc[k]}")
    return xs, maps, titles
