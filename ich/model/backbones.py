"""ImageNet-style backbones from `keras.applications`, for users who train on a GPU.

Nothing is downloaded at run time: `train.weights` is null (random initialisation) or the path
of a local weights file without the classification top, for example the `..._notop.h5` file
Keras's own ImageNet download would fetch, or a `.weights.h5` saved from a backbone of the same
shape. The windowed channels go in standardised per channel (the model's Normalization layer),
so the backbones' own input preprocessing is switched off where they have one.
"""

from __future__ import annotations

import keras

BACKBONES = {
    "resnet50v2": ("ResNet50V2", {}),
    "efficientnetv2b0": ("EfficientNetV2B0", {"include_preprocessing": False}),
    "convnexttiny": ("ConvNeXtTiny", {"include_preprocessing": False}),
}
MIN_SIZE = 32  # each halves the image five times


def backbone(name: str, shape: tuple[int, ...], weights: str | None) -> keras.Model:
    """The named backbone without its top, global-average pooled to one feature vector."""
    if shape[0] < MIN_SIZE or shape[1] < MIN_SIZE:
        raise ValueError(f"{name} needs images of at least {MIN_SIZE} px, not {shape[:2]}")
    constructor, options = BACKBONES[name]
    return getattr(keras.applications, constructor)(
        include_top=False, weights=weights, input_shape=shape, pooling="avg", **options
    )
