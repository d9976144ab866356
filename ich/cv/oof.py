"""Pooled out-of-fold predictions of a patient-grouped k-fold cross-validation of a whole
recipe on one labelled dataset, and their scores: how the recipe is chosen on real CT.

Every patient is scored exactly once per training seed, by models that never saw any of its
slices: the slice model of its fold (trained on the other folds' patients, early-stopped on a
few of them), then the series model stacked on the slice models' out-of-fold probabilities
(logits and the slice's relative position), trained on the other folds' series too. The folds
are fixed by `fold_seed` and stratified by what each patient has (the rarest label first), so
two recipes are scored on the same patients with the same folds: their difference is paired.

Stacking note: the slice probabilities a series model trains on come from slice models that
saw the held-out fold's patients (the standard two-level stacking). The series model itself
never sees a held-out label.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ich.rsna import LABELS


def oof_frame(table: pd.DataFrame, folds: np.ndarray, p_slice, p_series, seed: int):
    """One row per slice: who, the labels, both models' out-of-fold probabilities and the
    prior baseline's (`prior_oof`)."""
    frame = table[["ID", "PatientID", *LABELS]].reset_index(drop=True).copy()
    frame.insert(2, "fold", folds)
    frame.insert(2, "seed", seed)
    columns = (("p_slice_", p_slice), ("p_", p_series), ("p_prior_", prior_oof(table, folds)))
    for prefix, p in columns:
        for i, s in enumerate(LABELS):
            frame[prefix + s] = np.round(p[:, i], 6)
    return frame


def prior_oof(table: pd.DataFrame, folds: np.ndarray) -> np.ndarray:
    """The prior baseline out of fold: each fold gets the other folds' label prevalence."""
    y = table[list(LABELS)].to_numpy(np.float64)
    out = np.empty_like(y)
    for f in np.unique(folds):
        out[folds == f] = y[folds != f].mean(axis=0)
    return out


def seed_mean(oof: pd.DataFrame) -> pd.DataFrame:
    """The ensemble of every seed's models: probabilities averaged per slice."""
    p_cols = [c for c in oof.columns if c.startswith("p_")]
    keys = ["ID", "PatientID", *LABELS]
    return oof.groupby(keys, sort=False)[p_cols].mean().reset_index().assign(seed=-1)


def score(oof: pd.DataFrame, prefix: str = "p_", n_boot: int = 200, seed: int = 0) -> dict:
    """Pooled out-of-fold figures (every seed's rows pooled): weighted log loss and each
    label's AUC with patient-bootstrap 95% intervals, and the positives behind each AUC."""
    from ich.eval import metrics

    y = oof[list(LABELS)].to_numpy(np.float64)
    p = oof[[prefix + s for s in LABELS]].to_numpy(np.float64)
    patients = oof["PatientID"].to_numpy()
    wll = metrics.weighted_log_loss(y, p, metrics.LABEL_WEIGHTS)
    lo, hi, _ = metrics.bootstrap_ci(
        lambda r: metrics.weighted_log_loss(y[r], p[r], metrics.LABEL_WEIGHTS),
        patients,
        n_boot,
        seed,
    )
    out = {"weighted_log_loss": {"value": round(wll, 5), "low": round(lo, 5), "high": round(hi, 5)}}
    for i, s in enumerate(LABELS):
        positives = y[:, i] == 1
        auc = metrics.roc_auc(y[:, i], p[:, i])
        lo, hi, _ = metrics.bootstrap_auc_ci(y[:, i], p[:, i], patients, n_boot, seed + 1 + i)
        out[s] = {
            "auc": None if np.isnan(auc) else round(auc, 4),
            "low": None if np.isnan(lo) else round(lo, 4),
            "high": None if np.isnan(hi) else round(hi, 4),
            "positive_slices": int(positives.sum() / max(1, oof["seed"].nunique())),
            "positive_patients": int(pd.unique(patients[positives]).size),
        }
    return out
