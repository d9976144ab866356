"""How a model of a cross-validation trains: a fold's patients are its test set; of the rest,
a few (stratified as the folds are) stop training early and the others are drawn at the
recipe's positive ratio. A final model on every patient trains alike."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ich.data.splits import draw, patient_folds

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
