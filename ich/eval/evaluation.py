"""Holdout evaluation: the model against three baselines, with patient-bootstrap intervals.

Nothing here is fit on the holdout: baselines use every image of the training patients at
natural prevalence, and the thresholds come with the model (chosen on val by `train`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from ich.eval import metrics
from ich.eval.baselines import position_baseline, prior_baseline
from ich.eval.paired import paired
from ich.rsna import LABELS
from ich.spec import Count, Spec


class EvaluateSpec(Spec):
    """The `evaluate` section of params.yaml."""

    seed: Count
    bootstrap: int = Field(ge=10)  # patient-level resamples for the intervals
    density_c: float = Field(gt=0)  # the density baseline's inverse L2 strength


def summary(y: np.ndarray, p: np.ndarray) -> dict:
    """Overall figures of one predictor."""
    _, _, _, ece = metrics.calibration(y, p)
    hits = (p >= 0.5) == y.astype(bool)
    return {
        "weighted_log_loss": round(metrics.weighted_log_loss(y, p, metrics.LABEL_WEIGHTS), 5),
        "loss": round(metrics.log_loss(y, p), 5),
        "accuracy": round(float(hits.mean()), 5),
        "exact_match": round(float(hits.all(axis=1).mean()), 5),
        "brier": round(metrics.brier(y, p), 5),
        "ece": round(ece, 5),
        "auc": {s: _round(metrics.roc_auc(y[:, i], p[:, i])) for i, s in enumerate(LABELS)},
    }


def _round(x: float, digits: int = 4):
    return None if np.isnan(x) else round(float(x), digits)


def per_label(y, p, patients, thresholds: dict[str, float], spec: EvaluateSpec) -> dict:
    """AUC with a patient-bootstrap CI, AP, and sensitivity/specificity at the model's
    operating points (chosen on val in `train`)."""
    out = {}
    for i, s in enumerate(LABELS):
        lo, hi, dropped = metrics.bootstrap_auc_ci(
            y[:, i], p[:, i], patients, spec.bootstrap, spec.seed + i
        )
        thr = thresholds[s]
        sens, spc = metrics.sensitivity_specificity(y[:, i], p[:, i], thr)
        out[s] = {
            "auc": _round(metrics.roc_auc(y[:, i], p[:, i])),
            "auc_ci95_low": _round(lo),
            "auc_ci95_high": _round(hi),
            "auc_ci95_dropped": dropped,  # resamples without both classes
            "average_precision": _round(metrics.average_precision(y[:, i], p[:, i])),
            "threshold": _round(thr, 5),
            "sensitivity": _round(sens),
            "specificity": _round(spc),
            "prevalence": _round(float(y[:, i].mean())),
            "positives": int(y[:, i].sum()),
            "confusion": metrics.confusion(y[:, i], p[:, i], thr),
        }
    return out


def wll_interval(y: np.ndarray, p: np.ndarray, patients: np.ndarray, spec: EvaluateSpec) -> dict:
    """Patient-bootstrap 95% interval of the RSNA weighted log loss."""
    lo, hi, dropped = metrics.bootstrap_ci(
        lambda rows: metrics.weighted_log_loss(y[rows], p[rows], metrics.LABEL_WEIGHTS),
        patients,
        spec.bootstrap,
        spec.seed,
    )
    return {"low": _round(lo, 5), "high": _round(hi, 5), "dropped": dropped}


def evaluate(
    holdout: pd.DataFrame,
    p: np.ndarray,
    p_slice: np.ndarray,
    p_slice_raw: np.ndarray,
    train_pool: pd.DataFrame,
    thresholds: dict[str, float],
    spec: EvaluateSpec,
    p_density: np.ndarray,
) -> dict:
    """The full report. `p` is the pipeline's final prediction (the series model's), `p_slice`
    the slice model's on the natural scale (prior-shift corrected) and `p_slice_raw` as that
    network gives it; baselines are fit on `train_pool`, every image of the training patients
    at natural prevalence, so nothing about them moves with `sample.positive_ratio`; so is the
    density baseline `p_density` (`ich.eval.baselines.density_baseline`)."""
    y = holdout[list(LABELS)].to_numpy(np.float64)
    patients = holdout["PatientID"].to_numpy()
    baselines = {
        "prior": prior_baseline(train_pool, len(holdout)),
        "always_negative": np.zeros_like(y),
        "position": position_baseline(train_pool, holdout),
        "density": p_density,
    }
    versus = paired(y, p, baselines["position"], patients, spec.bootstrap, spec.seed)
    density = paired(y, p, p_density, patients, spec.bootstrap, spec.seed)
    return {
        "images": int(len(holdout)),
        "patients": int(holdout["PatientID"].nunique()),
        "model": {**summary(y, p), "weighted_log_loss_ci95": wll_interval(y, p, patients, spec)},
        "labels": per_label(y, p, patients, thresholds, spec),
        "slice_model": summary(y, p_slice),
        "slice_model_raw": summary(y, p_slice_raw),
        # what the series model adds to the slice model it reads, paired
        "sequence_vs_slice": paired(y, p, p_slice, patients, spec.bootstrap, spec.seed),
        "baselines": {name: summary(y, b) for name, b in baselines.items()},
        # model minus the position baseline, paired: this moves with the model, so it is not
        # filed under the baselines
        "model_vs_position": versus,
        "not_better_than_position": [s for s in LABELS if not versus[f"auc_{s}"]["low"] > 0],
        # and minus the density baseline: what the network learnt beyond the HU numbers
        "model_vs_density": density,
        "not_better_than_density": [s for s in LABELS if not density[f"auc_{s}"]["low"] > 0],
    }


def headline(report: dict) -> dict:
    """The few numbers `dvc exp show` and `dvc metrics diff` show: AUC per label, the AUC(any)
    interval, and the RSNA weighted log loss (natural scale) of the model, its interval, of the
    slice model and of each baseline, and the paired interval of series minus slice model."""
    labels, model = report["labels"], report["model"]
    sequence = report["sequence_vs_slice"]["weighted_log_loss"]
    density = report["model_vs_density"]["auc_any"]
    return {
        "auc": {s: labels[s]["auc"] for s in LABELS},
        # two numbers, not a list: `dvc metrics` and `dvc exp show` drop list values
        "auc_any_ci95": {
            "low": labels["any"]["auc_ci95_low"],
            "high": labels["any"]["auc_ci95_high"],
        },
        "weighted_log_loss": {
            "model": model["weighted_log_loss"],
            "slice_model": report["slice_model"]["weighted_log_loss"],
            # every baseline but always-negative, whose loss says nothing a run can change
            **{
                name: b["weighted_log_loss"]
                for name, b in report["baselines"].items()
                if name != "always_negative"
            },
        },
        "weighted_log_loss_ci95": {
            "low": model["weighted_log_loss_ci95"]["low"],
            "high": model["weighted_log_loss_ci95"]["high"],
        },
        # the series model minus the slice model, paired: below 0 when the series model helps
        "sequence_minus_slice_ci95": {
            "low": sequence["low"],
            "high": sequence["high"],
        },
        # the model's AUC(any) minus the density baseline's, paired: above 0 when it beats it
        "model_minus_density_auc_any_ci95": {
            "low": density["low"],
            "high": density["high"],
        },
    }
