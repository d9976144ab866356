"""Keras 3 models on windowed uint8 slices; only keras.layers/keras.ops, so any backend works.

Standardisation statistics are computed on the training split and stored inside the model
(a Normalization layer), so they travel with `model.keras` to evaluate and predict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import keras
import numpy as np
from keras import layers, ops
from pydantic import Field, ValidationInfo, field_validator

from ich.model.backbones import backbone
from ich.rsna import LABELS
from ich.spec import Count, Positive, Spec

Dropout = Annotated[float, Field(ge=0, lt=1)]
NonNegative = Annotated[float, Field(ge=0)]


class MlpSpec(Spec):
    widths: tuple[Positive, ...] = Field(min_length=1)  # units = width x outputs
    l2: tuple[NonNegative, ...]  # one per dense layer
    output_l1: NonNegative

    @field_validator("l2")
    @classmethod
    def _one_per_layer(cls, l2: tuple[float, ...], info: ValidationInfo) -> tuple[float, ...]:
        widths = info.data.get("widths")
        if widths is not None and len(l2) != len(widths):
            raise ValueError(f"expected one value per width ({len(widths)})")
        return l2


class CnnSpec(Spec):
    filters: tuple[Positive, ...] = Field(min_length=1)


class AugmentSpec(Spec):
    flip: bool
    rotation: float = Field(ge=0, le=0.5)  # fraction of a full turn
    shift: float = Field(ge=0, le=0.5)  # fraction of the image
    zoom: float = Field(ge=0, lt=1)  # scale by up to 1 -/+ zoom (pixel spacings differ)
    intensity: float = Field(ge=0, lt=1)  # contrast and brightness by up to -/+ this (windows)


class ModelSpec(Spec):
    """The network's part of the `train` section of params.yaml."""

    model: Literal["cnn", "mlp", "resnet50v2", "efficientnetv2b0", "convnexttiny"]
    weights: str | None  # backbones only: a local weights file, or null for random init
    seed: Count
    dropout: tuple[Dropout, Dropout]  # mlp: after dense layers 2 and 3; cnn: the first
    mlp: MlpSpec
    cnn: CnnSpec
    augment: AugmentSpec

    @field_validator("weights")
    @classmethod
    def _a_local_file(cls, weights: str | None) -> str | None:
        if weights is not None and not Path(weights).is_file():
            raise ValueError("no such file (weights are never downloaded: give a local path)")
        return weights


def mlp(x, spec: ModelSpec, n_out: int, mean: np.ndarray, var: np.ndarray):
    """The seed notebook's network exactly (SEED.md), on the flattened standardised image."""
    x = layers.Flatten()(x)
    x = layers.Normalization(mean=mean.reshape(-1), variance=var.reshape(-1))(x)
    drops = {1: spec.dropout[0], 2: spec.dropout[1]}  # after the 2nd and 3rd dense layers
    for i, (width, l2) in enumerate(zip(spec.mlp.widths, spec.mlp.l2, strict=True)):
        x = layers.Dense(
            width * n_out, activation="relu", kernel_regularizer=keras.regularizers.L2(l2)
        )(x)
        if i in drops:
            x = layers.Dropout(drops[i], seed=spec.seed + i)(x)
    return layers.Dense(
        n_out,
        activation="sigmoid",
        kernel_regularizer=keras.regularizers.L1(spec.mlp.output_l1),
        dtype="float32",  # probabilities and the loss in float32 under any precision
    )(x)


def cnn(x, spec: ModelSpec, n_out: int, mean: np.ndarray, var: np.ndarray):
    """A compact CNN: (conv3x3 + BN + ReLU + maxpool) blocks, global average pooling."""
    x = augmentation(x, spec)
    x = layers.Normalization(mean=mean.reshape(-1), variance=var.reshape(-1))(x)
    for filters in spec.cnn.filters:
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        # momentum 0.9: moving statistics keep up within an epoch of ~100 steps (0.99 lagged and
        # made the validation loss jump from epoch to epoch)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.ReLU()(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(spec.dropout[0], seed=spec.seed)(x)
    return layers.Dense(n_out, activation="sigmoid", dtype="float32")(x)


def augmentation(x, spec: ModelSpec):
    """Light, label-preserving augmentation; active in training only. It runs on the windowed
    bytes, before standardisation, so what it moves in from outside the image is 0: air in
    every window. Zoom keeps the aspect; it stands for the spread of pixel spacings (0.29-0.98
    mm in the RSNA data), which put the same head at different sizes in pixels."""
    a = spec.augment
    if a.flip:
        x = layers.RandomFlip("horizontal", seed=spec.seed)(x)
    if a.rotation:
        x = layers.RandomRotation(a.rotation, fill_mode="constant", seed=spec.seed + 1)(x)
    if a.shift:
        x = layers.RandomTranslation(a.shift, a.shift, fill_mode="constant", seed=spec.seed + 2)(x)
    if a.zoom:
        x = layers.RandomZoom((-a.zoom, a.zoom), fill_mode="constant", seed=spec.seed + 3)(x)
    if a.intensity:  # scanners and windows differ in level and width: the bytes shift and scale
        x = layers.RandomContrast(a.intensity, value_range=(0, 255), seed=spec.seed + 4)(x)
        x = layers.RandomBrightness(a.intensity, value_range=(0, 255), seed=spec.seed + 5)(x)
    return x


def pretrained(x, spec: ModelSpec, n_out: int, mean: np.ndarray, var: np.ndarray):
    """A keras.applications backbone (ich.model.backbones) under a dropout and sigmoid head."""
    x = augmentation(x, spec)
    x = layers.Normalization(mean=mean.reshape(-1), variance=var.reshape(-1))(x)
    x = backbone(spec.model, tuple(x.shape[1:]), spec.weights)(x)
    x = layers.Dropout(spec.dropout[0], seed=spec.seed)(x)
    return layers.Dense(n_out, activation="sigmoid", dtype="float32")(x)


def build(spec: ModelSpec, shape: tuple[int, ...], mean: np.ndarray, var: np.ndarray):
    inputs = keras.Input(shape, dtype="uint8", name="slices")
    x = ops.cast(inputs, "float32")
    body = {"mlp": mlp, "cnn": cnn}.get(spec.model, pretrained)
    outputs = body(x, spec, len(LABELS), mean, var)
    return keras.Model(inputs, outputs, name=spec.model)
