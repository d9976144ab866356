"""Training a model on the splits: seeded, with per-epoch history for DVC plots."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from tempfile import mkdtemp
from typing import Literal

import keras
import numpy as np
import pandas as pd
from pydantic import Field, ValidationInfo, field_validator

from ich.data.inputs import ServeEpochs, SliceBatches, channel_stats
from ich.data.neighbours import neighbour_rows
from ich.data.order import LoaderSpec
from ich.model.distribution import distributed, on_this_process
from ich.model.live import LiveMetrics
from ich.model.losses import WeightedBCE
from ich.model.networks import ModelSpec, build
from ich.model.resume import Resume, completed_epochs, trim_history
from ich.model.warm_start import warm_start
from ich.rsna import LABELS, RSNA_WEIGHTS
from ich.spec import Count, Positive


class TrainSpec(ModelSpec):
    """The `train` section of params.yaml: the network's keys and how to fit it."""

    backend: Literal["tensorflow", "jax"]  # set before Keras loads (ich.pipeline.backend)
    distribution: Literal["none", "data_parallel"]  # ich.model.distribution
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
    init: str | None  # a model.keras to start from (ich.model.warm_start), or None: random
    loader: LoaderSpec

    @field_validator("init")
    @classmethod
    def _init_exists(cls, init: str | None) -> str | None:
        if init is not None and not Path(init).is_file():
            raise ValueError("no such file (a trained model.keras to start from)")
        return init

    @field_validator("distribution")
    @classmethod
    def _engine_exists(cls, value: str, info: ValidationInfo) -> str:
        if value != "none" and info.data.get("backend") != "jax":
            raise ValueError(
                f"needs train.backend = jax, not {info.data.get('backend')!r} "
                "(Keras's TensorFlow distribution is a prototype)"
            )
        return value


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


def fit_callbacks(
    history_csv: Path, patience: int, resume_from: int = 0, live: Path | None = None
) -> list:
    """Per-epoch history (a CSV, and a DVCLive log in `live` for DVC's live plots); early
    stopping on val loss, best weights kept. A run resumed after `resume_from` epochs appends
    to the history those epochs wrote."""
    history_csv.parent.mkdir(parents=True, exist_ok=True)
    trim_history(history_csv, resume_from)
    callbacks = [keras.callbacks.CSVLogger(str(history_csv), append=resume_from > 0)]
    if live is not None:
        callbacks.append(LiveMetrics(live, history_csv if resume_from else None))
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
    backup: Path | None = None,
    live: Path | None = None,
) -> tuple[keras.Model, dict]:
    """Fit the slice model. With a `backup` folder (`ich.model.resume`) every epoch is backed
    up there and a run killed after epoch k continues at epoch k + 1; with `live`, every
    epoch's metrics are logged there with DVCLive as it ends."""
    seed_everything(spec.seed)
    context = neighbour_rows(index) if spec.context else None
    per_pixel = spec.model == "mlp"  # the seed's StandardScaler was per pixel
    mean, var = channel_stats(SliceBatches(images, train_split, 512, None, context), per_pixel)
    with distributed(spec.distribution, spec.batch_size) as share:
        if share.processes > 1:
            # Resuming would need every process's state: a multi-process run starts afresh.
            backup = None
            if share.process > 0:  # process 0 writes the stage's files; the others, scratch
                history_csv, live = Path(mkdtemp(prefix="ich-train-")) / "history.csv", None
        reading = dict(context=context, loader=spec.loader, share=share)
        train_data = SliceBatches(images, train_split, spec.batch_size, spec.seed, **reading)
        val_data = SliceBatches(images, val_split, spec.batch_size, **reading)
        with precision(spec.precision):  # the layers keep the policy they were built under
            model = build(spec, train_data[0][0].shape[1:], mean, var)
        if spec.init:
            warm_start(model, spec.init)
        weights = [RSNA_WEIGHTS[s] if spec.loss_weights == "rsna" else 1.0 for s in LABELS]
        steps = spec.epochs * len(train_data)
        model.compile(
            optimizer=make_optimizer(spec.optimizer, spec.learning_rate, spec.lr_schedule, steps),
            loss=WeightedBCE(weights, spec.focal_gamma),
            metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
        )
        done, finished = completed_epochs(backup) if backup else (0, False)
        start = spec.epochs if finished else done  # finished: restore, train no further
        callbacks = [
            ServeEpochs(train_data),
            *fit_callbacks(history_csv, spec.patience, done, live),
        ]
        if backup:
            stopping = [c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping)]
            callbacks.append(Resume(backup, stopping[0] if stopping else None))
        model.fit(
            train_data,
            validation_data=val_data,
            epochs=spec.epochs,
            initial_epoch=start,
            # the batches' order is train_data's, a function of (seed, epoch); Keras's own
            # shuffle of it draws on Python's global random state, which no resume restores
            shuffle=False,
            callbacks=callbacks,
            verbose=2,
        )
    if share.processes > 1:
        model = on_this_process(model)
    h = pd.read_csv(history_csv).to_dict("list")  # every epoch, those before a resume too
    summary = {
        "backend": keras.backend.backend(),
        "precision": spec.precision,
        "distribution": {"kind": spec.distribution, **vars(share)},
        "resumed_at_epoch": done,
        "parameters": int(model.count_params()),
        "train_images": int(len(train_split)),
        "val_images": int(len(val_split)),
        "final": {k: round(float(v[-1]), 5) for k, v in h.items() if k != "epoch"},
        **fit_summary(h),
    }
    return model, summary
