"""Patient-grouped k-fold cross-validation of a whole recipe on one labelled dataset, with
pooled out-of-fold predictions: how the recipe is chosen on real CT.

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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ich.data.splits import draw
from ich.rsna import LABELS, SUBTYPES

EPS = 1e-6


def patient_folds(table: pd.DataFrame, k: int, seed: int) -> dict[str, int]:
    """PatientID -> fold 0..k-1. Patients are dealt rarest label first (the label with the
    fewest positive patients), each to the fold with the fewest patients of that label, then
    the fewest patients; ties broken by a seeded shuffle."""
    per_patient = table.groupby("PatientID")[list(LABELS)].max()
    rarity = per_patient.sum().loc[list(SUBTYPES)].sort_values(kind="stable")
    order = [*rarity.index, "any"]
    rng = np.random.default_rng([seed, 17])
    patients = per_patient.index.to_numpy()[rng.permutation(len(per_patient))]

    def rarest(p) -> int:
        has = [i for i, s in enumerate(order) if per_patient.at[p, s]]
        return has[0] if has else len(order)

    patients = sorted(patients, key=rarest)  # stable: the shuffle breaks ties
    count = np.zeros((k, len(order) + 1), int)
    fold_of = {}
    for p in patients:
        r = rarest(p)
        f = min(range(k), key=lambda f: (count[f, r], count[f].sum(), f))
        count[f, r] += 1
        fold_of[p] = f
    return fold_of


FINAL = 1000  # the seed salt of a final model's split (a fold's is the fold's number)


@dataclass(frozen=True)
class FoldSplit:
    train: pd.DataFrame  # the images the slice model fits
    val: pd.DataFrame  # early stopping: every image of a few training patients
    train_pool: pd.DataFrame  # every image of the training patients (natural prior)
    test: pd.DataFrame  # every image of the fold's patients


def fold_split(
    table: pd.DataFrame,
    fold_of: dict[str, int],
    fold: int,
    val_fraction: float,
    positive_ratio: float | None,
    seed: int,
) -> FoldSplit:
    """Fold `fold`'s patients are the test set; of the rest, `val_fraction` (stratified the
    same way) stop training early, and the others are drawn at `positive_ratio` (None: all)."""
    in_fold = table["PatientID"].map(fold_of) == fold
    return training_split(table[~in_fold], val_fraction, positive_ratio, seed, fold, table[in_fold])


def training_split(
    rest: pd.DataFrame,
    val_fraction: float,
    positive_ratio: float | None,
    seed: int,
    salt: int = FINAL,
    test: pd.DataFrame | None = None,
) -> FoldSplit:
    """How a model trains on the patients of `rest`: `val_fraction` of them (stratified as the
    folds are) stop training early, and the others are drawn at `positive_ratio` (None: all).
    A fold's model (salt: the fold) and a final model on every patient (salt FINAL) alike."""
    inner = patient_folds(rest, max(2, round(1 / val_fraction)), seed + salt)
    is_val = rest["PatientID"].map(inner) == 0
    pool = rest[~is_val]
    train = draw(pool, positive_ratio, None, np.random.default_rng([seed, salt, 1]))
    test = rest.iloc[:0] if test is None else test
    return FoldSplit(train=train, val=rest[is_val], train_pool=pool, test=test)


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


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
