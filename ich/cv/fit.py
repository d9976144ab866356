"""Running a recipe's patient-grouped cross-validation (`ich.cv`): a slice model per
fold, its out-of-fold probabilities, then the series model stacked on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ich.cv.oof import oof_frame
from ich.cv.split import fold_split
from ich.data.neighbours import neighbour_rows
from ich.data.series import row_labels, series_inputs, series_rows
from ich.data.splits import prevalence
from ich.model.card import predict_split
from ich.model.inference import logit, prior_shift
from ich.model.sequence import SequenceSpec, predict_series, train_sequence
from ich.model.training import TrainSpec, train
from ich.rsna import LABELS


def slice_inputs(index: pd.DataFrame, table: pd.DataFrame, p_slice: np.ndarray) -> np.ndarray:
    """The series model's inputs by array row: the slice models' logits (comparable across fold
    models, unlike their features) and the slice's relative position (`series_inputs`)."""
    logits = np.zeros((int(index["row"].max()) + 1, len(LABELS)), np.float32)
    logits[table["row"].to_numpy()] = logit(p_slice)
    return series_inputs(logits, table)


def cross_validate(
    train_spec: TrainSpec,
    sequence_spec: SequenceSpec,
    images: np.ndarray,
    index: pd.DataFrame,
    table: pd.DataFrame,
    fold_of: dict[str, int],
    val_fraction: float,
    positive_ratio: float | None,
    work: Path,
    fold_ensemble: bool = False,
) -> pd.DataFrame:
    """Out-of-fold predictions of both models for every slice of `table` (index rows merged
    with the labels), one fold at a time; training seed `train_spec.seed`.

    `fold_ensemble`: each fold is scored by the average of the models trained on every other
    fold but one (nested: what an ensemble of a cross-validation's fold models is worth
    against one model trained on all their patients)."""
    table = table.sort_values("row").reset_index(drop=True)
    folds = table["PatientID"].map(fold_of).to_numpy()
    p_slice = np.zeros((len(table), len(LABELS)))
    val_patients = {}
    fold_ids = sorted(set(folds))
    for f in fold_ids:
        left_out = [g for g in fold_ids if g != f] if fold_ensemble else [None]
        for g in left_out:
            kept = table if g is None else table[folds != g]
            history = work / (f"slice_{f}.csv" if g is None else f"slice_{f}_without_{g}.csv")
            natural, val = slice_fold(
                train_spec, images, index, kept, fold_of, f, val_fraction, positive_ratio, history
            )
            val_patients.setdefault(f, val)  # the series model's
            p_slice[folds == f] += natural / len(left_out)
    p_series = stack_series(index, table, p_slice, fold_of, val_patients, sequence_spec, work)
    return oof_frame(table, folds, p_slice, p_series, train_spec.seed)


def slice_fold(
    train_spec: TrainSpec,
    images: np.ndarray,
    index: pd.DataFrame,
    table: pd.DataFrame,
    fold_of: dict[str, int],
    fold: int,
    val_fraction: float,
    positive_ratio: float | None,
    history: Path,
) -> tuple[np.ndarray, set]:
    """The slice model of fold `fold`, trained on the other folds' patients of `table` (sorted
    by row): its natural-scale probabilities of the fold's slices, in table order, and the
    patients that stopped its training (the series model of the fold stops on them too)."""
    split = fold_split(table, fold_of, fold, val_fraction, positive_ratio, train_spec.seed)
    context = neighbour_rows(index) if train_spec.context else None
    model, _ = train(train_spec, images, index, split.train, split.val, history)
    raw = predict_split(model, images, split.test, context)
    natural = prior_shift(raw, prevalence(split.train), prevalence(split.train_pool))
    return natural, set(split.val["PatientID"])


def stack_series(
    index: pd.DataFrame,
    table: pd.DataFrame,
    p_slice: np.ndarray,
    fold_of: dict[str, int],
    val_patients: dict[int, set],
    sequence_spec: SequenceSpec,
    work: Path,
) -> np.ndarray:
    """Out-of-fold series-model probabilities (table order): for each fold, the series model
    trained on the other folds' out-of-fold slice logits, early-stopped on `val_patients[f]`."""
    folds = table["PatientID"].map(fold_of).to_numpy()
    inputs = slice_inputs(index, table, p_slice)
    labels = row_labels(len(inputs), table)
    series = series_rows(table)
    first = table.set_index("row").loc[[s[0] for s in series]]
    p_series = np.zeros_like(p_slice)
    position = pd.Series(np.arange(len(table)), index=table["row"].to_numpy())
    for f in sorted(set(folds)):
        in_fold = first["PatientID"].map(fold_of).to_numpy() == f
        is_val = first["PatientID"].isin(val_patients[f]).to_numpy()
        pick = lambda mask: [s for s, m in zip(series, mask, strict=True) if m]  # noqa: E731
        history = work / f"sequence_{f}.csv"
        model, _ = train_sequence(
            sequence_spec, inputs, labels, pick(~in_fold & ~is_val), pick(is_val), history, 0
        )
        test = pick(in_fold)
        probs = predict_series(model, inputs, test)
        rows = np.concatenate(test)
        p_series[position.loc[rows].to_numpy()] = probs[rows]
    return p_series
