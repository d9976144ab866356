"""Paired differences between two predictors scored on the same holdout slices.

Both are resampled together, patient by patient, so what the two share (the same hard
patients, the same easy ones) cancels: far tighter than comparing two marginal intervals. A
difference is real when its 95% interval excludes 0. Positive AUC differences and negative
log-loss differences favour `a`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ich.errors import InputError
from ich.eval import metrics
from ich.rsna import LABELS


class NotPaired(InputError):
    """Two experiments whose holdouts hold different images cannot be paired."""


def _interval(statistic, patients: np.ndarray, n_boot: int, seed: int) -> dict:
    lo, hi, dropped = metrics.bootstrap_ci(statistic, patients, n_boot, seed)
    value = statistic(np.arange(len(patients)))
    return {
        "diff": round(float(value), 5),
        "low": round(lo, 5),
        "high": round(hi, 5),
        "dropped": dropped,
    }


def paired(
    y: np.ndarray,
    p_a: np.ndarray,
    p_b: np.ndarray,
    patients: np.ndarray,
    n_boot: int,
    seed: int,
) -> dict:
    """`a - b`: the weighted log loss and each label's AUC, with paired 95% intervals."""
    out = {
        "weighted_log_loss": _interval(
            lambda r: (
                metrics.weighted_log_loss(y[r], p_a[r], metrics.LABEL_WEIGHTS)
                - metrics.weighted_log_loss(y[r], p_b[r], metrics.LABEL_WEIGHTS)
            ),
            patients,
            n_boot,
            seed,
        )
    }
    for i, s in enumerate(LABELS):
        out[f"auc_{s}"] = _interval(
            lambda r, i=i: (
                metrics.roc_auc(y[r, i], p_a[r, i]) - metrics.roc_auc(y[r, i], p_b[r, i])
            ),
            patients,
            n_boot,
            seed + 1 + i,
        )
    return out


def align(a: pd.DataFrame, b: pd.DataFrame, name_a: str, name_b: str) -> pd.DataFrame:
    """Two experiments' holdout predictions side by side (suffixes _a, _b); NotPaired, naming
    both, unless they scored exactly the same images with the same labels."""
    if set(a["ID"]) != set(b["ID"]):
        raise NotPaired(
            f"{name_a} and {name_b} scored different holdout images ({len(a)} vs {len(b)}; "
            "sample.holdout_resample or another split): not paired"
        )
    both = a.merge(b, on="ID", suffixes=("_a", "_b"), validate="one_to_one")
    if not all((both[f"{s}_a"] == both[f"{s}_b"]).all() for s in LABELS):
        raise NotPaired(f"{name_a} and {name_b} label the same images differently: not paired")
    return both


def compare_predictions(
    a: pd.DataFrame, b: pd.DataFrame, name_a: str, name_b: str, n_boot: int = 1000, seed: int = 0
) -> dict:
    """Paired differences `a - b` from two holdout prediction files (ID, PatientID, the six
    labels, p_<label> on the natural scale and p_raw_<label> as the network gave them)."""
    both = align(a, b, name_a, name_b)
    y = both[[f"{s}_a" for s in LABELS]].to_numpy(np.float64)
    patients = both["PatientID_a"].to_numpy()
    out = {}
    for kind, prefix in (("corrected", "p_"), ("raw", "p_raw_")):
        if all(f"{prefix}{s}_a" in both and f"{prefix}{s}_b" in both for s in LABELS):
            p_a = both[[f"{prefix}{s}_a" for s in LABELS]].to_numpy(np.float64)
            p_b = both[[f"{prefix}{s}_b" for s in LABELS]].to_numpy(np.float64)
            out[kind] = paired(y, p_a, p_b, patients, n_boot, seed)
    return out
