"""`train.init`: start a network from another trained model's weights (e.g. the phantom-trained
slice model) instead of at random, then fine-tune.

The weights move layer by layer in build order, for every layer but the input standardisation
(whose statistics are the new training data's): the two networks must have the same layers
with the same shapes, which an error names otherwise.
"""

from __future__ import annotations

from pathlib import Path

import keras

from ich.errors import InputError


def _weighted(model: keras.Model) -> list:
    return [
        layer
        for layer in model.layers
        if layer.weights and not isinstance(layer, keras.layers.Normalization)
    ]


def warm_start(model: keras.Model, path: Path | str) -> int:
    """Copy `path`'s weights into `model`; returns how many layers were copied."""
    source = keras.saving.load_model(path, compile=False)
    ours, theirs = _weighted(model), _weighted(source)
    if len(ours) != len(theirs):
        raise InputError(
            f"train.init = {path}: its network has {len(theirs)} layers with weights, this "
            f"one {len(ours)} (same train.model, cnn.filters and extract.windows needed)"
        )
    for a, b in zip(ours, theirs, strict=True):
        shapes = [tuple(w.shape) for w in a.weights], [tuple(w.shape) for w in b.weights]
        if type(a) is not type(b) or shapes[0] != shapes[1]:
            raise InputError(
                f"train.init = {path}: layer {b.name} ({type(b).__name__} {shapes[1]}) does not "
                f"fit {a.name} ({type(a).__name__} {shapes[0]})"
            )
        a.set_weights(b.get_weights())
    return len(ours)
