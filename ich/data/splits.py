"""Patient-disjoint train / val / holdout splits with an exact positive ratio.

Patients are assigned to splits first (by seed and fractions only), then images are drawn
within each split. So the holdout patients do not move when the ratio or the sizes change,
and neither does `train_pool`, every image of the training patients at its natural
prevalence: what baselines and the natural prior are fit on. `series_pool` is every image of
the patients kept from the slice model for the series model, so that the series model learns
from features of slices the slice model never trained on (out-of-sample, as at prediction).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field, ValidationInfo, field_validator

from ich.rsna import LABELS, SUBTYPES
from ich.spec import Count, Fraction, OpenFraction, Positive, Spec

SPLITS = ("train", "val", "holdout")


class SampleSpec(Spec):
    """The `sample` section of params.yaml."""

    seed: Count
    holdout_fraction: OpenFraction  # of patients
    val_fraction: OpenFraction  # of the non-holdout patients
    series_fraction: OpenFraction  # of the non-holdout patients: for the series model only
    positive_ratio: Fraction | None  # None: every image (natural prevalence), none discarded
    n_train: Positive | None  # None: as many as the ratio allows
    n_val: Positive | None
    n_holdout: Positive | None  # None: all holdout images
    holdout_resample: bool  # draw the holdout at positive_ratio (the seed's iteration 3)
    cv_folds: int = Field(ge=2)  # grouped cross-validation: folds of the non-holdout patients
    cv_fold: Count | None  # None: val is val_fraction of them; k: val is fold k of cv_folds

    @field_validator("series_fraction")
    @classmethod
    def _room_for_training(cls, fraction: float, info: ValidationInfo) -> float:
        val = info.data.get("val_fraction")
        if val is not None and val + fraction >= 1:
            raise ValueError(f"val_fraction {val} + series_fraction leave no training patients")
        return fraction

    @field_validator("cv_fold")
    @classmethod
    def _fold_exists(cls, fold: int | None, info: ValidationInfo) -> int | None:
        folds = info.data.get("cv_folds")
        if fold is not None and folds is not None and fold >= folds:
            raise ValueError(f"folds are numbered 0..{folds - 1} (cv_folds {folds})")
        return fold


def assign_patients(table: pd.DataFrame, spec: SampleSpec) -> dict[str, str]:
    """PatientID -> split, from a seeded permutation of the sorted patient list of `table`
    (images with PatientID and the labels). The holdout comes first and depends on the seed and
    its fraction alone; with `cv_fold` set, val is that fold of the rest, dealt by
    `patient_folds` as every cross-validation here is. The series patients are the next
    `series_fraction` of the rest after val."""
    patients = table["PatientID"].unique()
    rng = np.random.default_rng([spec.seed, 0])
    order = np.sort(patients)[rng.permutation(len(patients))]
    n_hold = round(len(order) * spec.holdout_fraction)
    rest = order[n_hold:]
    if spec.cv_fold is None:
        n_val = round(len(rest) * spec.val_fraction)
        val = rest[:n_val]
    else:
        fold_of = patient_folds(table[table["PatientID"].isin(rest)], spec.cv_folds, spec.seed)
        val = np.array([p for p in rest if fold_of[p] == spec.cv_fold])
    others = rest[~np.isin(rest, val)]
    series = others[: round(len(rest) * spec.series_fraction)]
    split = {p: "holdout" for p in order[:n_hold]}
    split.update({p: "train" for p in rest})
    split.update({p: "series" for p in series})
    split.update({p: "val" for p in val})
    return split


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


def draw(
    pool: pd.DataFrame, ratio: float | None, n: int | None, rng: np.random.Generator
) -> pd.DataFrame:
    """Exactly round(ratio * size) `any`-positives without replacement; size capped by the pool.
    Without a ratio: n images at random, or the whole pool."""
    if ratio is None:
        if n is None or n >= len(pool):
            return pool
        return pool.iloc[np.sort(rng.choice(len(pool), n, replace=False))]
    pos, neg = pool[pool["any"] == 1], pool[pool["any"] == 0]
    limit = min(
        len(pos) / ratio if ratio > 0 else np.inf,
        len(neg) / (1 - ratio) if ratio < 1 else np.inf,
    )
    size = int(min(n if n is not None else np.inf, limit))
    k_pos = min(len(pos), round(ratio * size))
    k_neg = min(len(neg), size - k_pos)
    take_pos = pos.iloc[np.sort(rng.choice(len(pos), k_pos, replace=False))]
    take_neg = neg.iloc[np.sort(rng.choice(len(neg), k_neg, replace=False))]
    return pd.concat([take_pos, take_neg]).sort_values("row")


def make_splits(table: pd.DataFrame, spec: SampleSpec) -> dict[str, pd.DataFrame]:
    """table: one row per extracted image with `row`, `PatientID` and the six labels.
    Returns train, val, holdout, train_pool (all images of the training patients) and
    series_pool (all images of the series patients)."""
    table = table.sort_values("row").reset_index(drop=True)
    split_of = assign_patients(table, spec)
    table["split"] = table["PatientID"].map(split_of)
    out = {}
    for i, name in enumerate(SPLITS):
        rng = np.random.default_rng([spec.seed, i + 1])
        pool = table[table["split"] == name].drop(columns="split")
        if name == "holdout" and not spec.holdout_resample:
            out[name] = draw(pool, None, spec.n_holdout, rng)
        else:
            n = {"train": spec.n_train, "val": spec.n_val, "holdout": spec.n_holdout}[name]
            out[name] = draw(pool, spec.positive_ratio, n, rng)
    out["train_pool"] = table[table["split"] == "train"].drop(columns="split")
    out["series_pool"] = table[table["split"] == "series"].drop(columns="split")
    return out


def prevalence(frame: pd.DataFrame) -> list[float]:
    """Share of positive images per label, in LABELS order."""
    return [round(float(frame[s].mean()), 6) for s in LABELS]


def describe(splits: dict[str, pd.DataFrame], requested_ratio: float) -> dict:
    return {
        "requested_positive_ratio": requested_ratio,
        **{
            name: {
                "images": int(len(df)),
                "patients": int(df["PatientID"].nunique()),
                "positive_ratio": round(float(df["any"].mean()), 4) if len(df) else None,
                "prevalence": {s: round(float(df[s].mean()), 4) for s in LABELS} if len(df) else {},
                "positives": {s: int(df[s].sum()) for s in LABELS},
            }
            for name, df in splits.items()
        },
    }
