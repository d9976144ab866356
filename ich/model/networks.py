"""Keras 3 models on windowed uint8 slices; only keras.layers/keras.ops, so any backend works.

Standardisation statistics are computed on the training split and stored inside the model
(a Normalization layer), so they travel with `model.keras` to evaluate and predict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np
from keras import layers, ops

from ich.rsna import LABELS


@dataclass(frozen=True)
class ModelSpec:
    name: str  # "mlp" (the seed's network) or "cnn"
    dropout: tuple[float, ...]
    mlp_widths: tuple[int, ...] = (24, 18, 12, 8)  # multiples of the number of outputs
    mlp_l2: tuple[float, ...] = (0.1, 0.01, 0.01, 0.001)
    mlp_output_l1: float = 0.001
    cnn_filters: tuple[int, ...] = (16, 32, 64, 128)
    augment: dict = field(default_factory=dict)
    seed: int = 0


def mlp(x, spec: ModelSpec, n_out: int, mean: np.ndarray, var: np.ndarray):
    """The seed notebook's network exactly (SEED.md), on the flattened standardised image."""
    x = layers.Flatten()(x)
    x = layers.Normalization(mean=mean.reshape(-1), variance=var.reshape(-1))(x)
    drops = {1: spec.dropout[0], 2: spec.dropout[1]}  # after the 2nd and 3rd dense layers
    for i, (width, l2) in enumerate(zip(spec.mlp_widths, spec.mlp_l2, strict=True)):
        x = layers.Dense(
            width * n_out, activation="relu", kernel_regularizer=keras.regularizers.L2(l2)
        )(x)
        if i in drops:
            x = layers.Dropout(drops[i], seed=spec.seed + i)(x)
    return layers.Dense(
        n_out, activation="sigmoid", kernel_regularizer=keras.regularizers.L1(spec.mlp_output_l1)
    )(x)


def cnn(x, spec: ModelSpec, n_out: int, mean: np.ndarray, var: np.ndarray):
    """A compact CNN: (conv3x3 + BN + ReLU + maxpool) blocks, global average pooling."""
    x = layers.Normalization(mean=mean.reshape(-1), variance=var.reshape(-1))(x)
    x = augmentation(x, spec)
    for filters in spec.cnn_filters:
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        # momentum 0.9: moving statistics keep up within an epoch of ~100 steps (0.99 lagged and
        # made the validation loss jump from epoch to epoch)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.ReLU()(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(spec.dropout[0], seed=spec.seed)(x)
    return layers.Dense(n_out, activation="sigmoid")(x)


def augmentation(x, spec: ModelSpec):
    """Light, label-preserving augmentation; active in training only."""
    a = spec.augment
    if a.get("flip"):
        x = layers.RandomFlip("horizontal", seed=spec.seed)(x)
    if a.get("rotation"):
        x = layers.RandomRotation(a["rotation"], fill_mode="constant", seed=spec.seed + 1)(x)
    if a.get("shift"):
        x = layers.RandomTranslation(
            a["shift"], a["shift"], fill_mode="constant", seed=spec.seed + 2
        )(x)
    return x


def build(spec: ModelSpec, shape: tuple[int, ...], mean: np.ndarray, var: np.ndarray):
    inputs = keras.Input(shape, dtype="uint8", name="slices")
    x = ops.cast(inputs, "float32")
    body = {"mlp": mlp, "cnn": cnn}[spec.name]
    outputs = body(x, spec, len(LABELS), mean, var)
    return keras.Model(inputs, outputs, name=spec.name)
