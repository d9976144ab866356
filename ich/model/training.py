"""Training a model on the splits: seeded, with per-epoch history for DVC plots."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import keras
import numpy as np
import pandas as pd
from pydantic import Field

from ich.data.inputs import SliceBatches, channel_stats, neighbour_rows
from ich.model.losses import WeightedBCE
from ich.model.networks import ModelSpec, build
from ich.rsna import LABELS, RSNA_WEIGHTS
from ich.spec import Count, Positive


class TrainSpec(ModelSpec):
    """The `train` section of params.yaml: the network's keys and how to fit it."""

    backend: Literal["tensorflow", "jax"]  # set before Keras loads (ich.pipeline.backend)
    # Keras's dtype policies: mixed computes in 16 bits, keeps weights, outputs and loss float32
    precision: Literal["float32", "mixed_bfloat16", "mixed_float16"]
    epochs: Positive
    batch_size: Positive
    optimizer: Literal["adam", "sgd"]  # sgd: the seed's, no momentum
    learning_rate: float = Field(gt=0)
    lr_schedule: Literal["cosine", "constant"]  # cosine decay to 0 over all epochs
    loss_weights: Literal["rsna", "uniform"]  # rsna: any 2, subtypes 1
    focal_gamma: float = Field(ge=0, le=5)  # 0: plain cross-entropy
    context: bool  # add the previous and next slice as channels
    patience: Count  # early stopping on val loss, best weights kept (0: off)
    target_sensitivity: float = Field(gt=0, le=1)  # per-label thresholds, chosen on val


def make_optimizer(name: str, lr: float, schedule: str, total_steps: int):
    if schedule == "cosine":  # settles at the end, so the last epochs are not noisy
        lr = keras.optimizers.schedules.CosineDecay(lr, decay_steps=max(1, total_steps))
    if name == "sgd":  # the seed's: plain SGD, no momentum
        return keras.optimizers.SGD(learning_rate=lr)
    return keras.optimizers.Adam(learning_rate=lr)


def seed_everything(seed: int) -> None:
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


@contextmanager
def precision(policy: str):
    """Keras's global dtype policy for the layers built inside, restored after."""
    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)


def fit_callbacks(history_csv: Path, patience: int) -> list:
    """Per-epoch history for DVC plots; early stopping on val loss, best weights kept."""
    history_csv.parent.mkdir(parents=True, exist_ok=True)
    callbacks = [keras.callbacks.CSVLogger(str(history_csv))]
    if patience > 0:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                patience=patience, restore_best_weights=True, monitor="val_loss"
            )
        )
    return callbacks


def fit_summary(history: dict) -> dict:
    """Epochs run and the best epoch of a Keras fit history."""
    best = int(np.argmin(history["val_loss"]))
    return {
        "epochs_run": len(history["loss"]),
        "best_epoch": best + 1,
        "best_val_loss": round(float(history["val_loss"][best]), 5),
    }


def train(
    spec: TrainSpec,
    images: np.ndarray,
    index: pd.DataFrame,
    train_split: pd.DataFrame,
    val_split: pd.DataFrame,
    history_csv: Path,
) -> tuple[keras.Model, dict]:
    seed_everything(spec.seed)
    context = neighbour_rows(index) if spec.context else None
    train_data = SliceBatches(images, train_split, spec.batch_size, spec.seed, context)
    val_data = SliceBatches(images, val_split, spec.batch_size, None, context)
    per_pixel = spec.model == "mlp"  # the seed's StandardScaler was per pixel
    mean, var = channel_stats(SliceBatches(images, train_split, 512, None, context), per_pixel)
    shape = train_data[0][0].shape[1:]
    with precision(spec.precision):  # the layers keep the policy they were built under
        model = build(spec, shape, mean, var)
    weights = [RSNA_WEIGHTS[s] if spec.loss_weights == "rsna" else 1.0 for s in LABELS]
    model.compile(
        optimizer=make_optimizer(
            spec.optimizer, spec.learning_rate, spec.lr_schedule, spec.epochs * len(train_data)
        ),
        loss=WeightedBCE(weights, spec.focal_gamma),
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
    )
    callbacks = fit_callbacks(history_csv, spec.patience)
    hist = model.fit(
        train_data, validation_data=val_data, epochs=spec.epochs, callbacks=callbacks, verbose=2
    )
    h = hist.history
    summary = {
        "backend": keras.backend.backend(),
        "precision": spec.precision,
        "parameters": int(model.count_params()),
        "train_images": int(len(train_split)),
        "val_images": int(len(val_split)),
        "final": {k: round(float(v[-1]), 5) for k, v in h.items()},
        **fit_summary(h),
    }
    return model, summary
