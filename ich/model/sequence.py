"""The series-level model: a bidirectional GRU over a series' slice features, in z order.

It predicts the six labels of every slice at once, so a slice is judged with its neighbours:
a bleed running over several slices, or one slice's faint evidence beside another's clear
one. It is trained on every slice of the training patients' series, at their natural
prevalence, so its probabilities need no prior-shift correction.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from keras import layers, ops
from pydantic import Field

from ich.data.series import SeriesBatches, pad
from ich.model.losses import WeightedBCE
from ich.model.training import fit_callbacks, fit_summary
from ich.rsna import LABELS
from ich.spec import Count, Positive, Spec


class SequenceSpec(Spec):
    """The `sequence` section of params.yaml."""

    seed: Count
    units: Positive  # per direction of the GRU, and of the dense layer before it
    dropout: float = Field(ge=0, lt=1)  # on the slice features and on the GRU's output
    epochs: Positive
    batch_size: Positive  # series per batch
    learning_rate: float = Field(gt=0)
    patience: Count  # early stopping on val loss, best weights kept (0: off)


def build_sequence(spec: SequenceSpec, width: int, mean: np.ndarray, var: np.ndarray):
    """(inputs (B, T, width), mask (B, T)) -> probabilities (B, T, 6)."""
    x_in = keras.Input((None, width), name="slices")
    mask_in = keras.Input((None,), name="mask")
    h = layers.Normalization(mean=mean, variance=var)(x_in)
    h = layers.Dropout(spec.dropout, seed=spec.seed)(h)
    h = layers.Dense(spec.units, activation="relu")(h)
    # the mask keeps padding out of both directions: a series' outputs do not depend on what
    # else is in its batch
    gru = layers.GRU(spec.units, return_sequences=True, seed=spec.seed)
    h = layers.Bidirectional(gru)(h, mask=ops.cast(mask_in, "bool"))
    h = layers.Dropout(spec.dropout, seed=spec.seed + 1)(h)
    out = layers.Dense(len(LABELS), activation="sigmoid")(h)
    return keras.Model([x_in, mask_in], out, name="sequence")


def train_sequence(
    spec: SequenceSpec,
    inputs: np.ndarray,
    labels: np.ndarray,
    train_series: list[np.ndarray],
    val_series: list[np.ndarray],
    history_csv: Path,
    verbose: int = 2,
    live: Path | None = None,
) -> tuple[keras.Model, dict]:
    """Fit on `train_series` (array rows of each series, in z order), early-stopped on
    `val_series`; `inputs` and `labels` are indexed by array row."""
    keras.utils.set_random_seed(spec.seed)
    rows = np.concatenate(train_series)
    mean, var = inputs[rows].mean(axis=0), np.maximum(inputs[rows].var(axis=0), 1e-6)
    model = build_sequence(spec, inputs.shape[1], mean, var)
    model.compile(
        optimizer=keras.optimizers.Adam(spec.learning_rate),
        loss=WeightedBCE(),
        weighted_metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
    )
    hist = model.fit(
        SeriesBatches(inputs, labels, train_series, spec.batch_size, spec.seed),
        validation_data=SeriesBatches(inputs, labels, val_series, spec.batch_size),
        epochs=spec.epochs,
        callbacks=fit_callbacks(history_csv, spec.patience, live=live),
        verbose=verbose,
    )
    return model, {
        "parameters": int(model.count_params()),
        "train_series": len(train_series),
        "val_series": len(val_series),
        "train_slices": int(len(rows)),
        **fit_summary(hist.history),
    }


def predict_series(
    model: keras.Model, inputs: np.ndarray, series: list[np.ndarray], batch_size: int = 32
) -> np.ndarray:
    """(len(inputs), 6) probabilities by array row; rows in no series stay 0."""
    out = np.zeros((len(inputs), len(LABELS)), np.float64)
    by_length = sorted(range(len(series)), key=lambda k: len(series[k]))  # little padding
    for start in range(0, len(by_length), batch_size):
        batch = [series[k] for k in by_length[start : start + batch_size]]
        # lengths rounded up to a multiple of 16: few shapes, so few retraced functions
        x, mask = pad(batch, inputs, -(-max(len(s) for s in batch) // 16) * 16)
        p = np.asarray(model.predict_on_batch((x, mask)), np.float64)
        for i, rows in enumerate(batch):
            out[rows] = p[i, : len(rows)]
    return out
