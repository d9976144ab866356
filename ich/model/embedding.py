"""A slice model's penultimate features: what the series-level model reads.

The features are the input of the model's last (sigmoid) layer: the pooled CNN or backbone
features, or the MLP's last hidden layer. Dropout is off at inference, so they are the same
numbers the head sees. With `flip`, features and probabilities are the mean over the slice and
its left-right mirror (test-time augmentation: a head is nearly symmetric, a bleed is on
either side).
"""

from __future__ import annotations

import keras
import numpy as np

from ich.data.inputs import gather
from ich.data.neighbours import neighbour_rows
from ich.spec import Spec


class EmbedSpec(Spec):
    """The `embed` section of params.yaml."""

    flip: bool  # test-time augmentation: the mean over each slice and its mirror


def embedder(model: keras.Model) -> keras.Model:
    """The same network with two outputs: (features, probabilities)."""
    head = model.layers[-1]
    return keras.Model(model.inputs, [head.input, model.output], name=f"{model.name}_embedder")


def embed_rows(
    model: keras.Model,
    images: np.ndarray,
    rows: np.ndarray,
    context: tuple[np.ndarray, np.ndarray] | None,
    flip: bool = False,
    batch_size: int = 256,
    progress=None,
) -> tuple[np.ndarray, np.ndarray]:
    """(features (n, d) float32, raw probabilities (n, 6) float32) of the images at `rows`,
    batch by batch, so memory is bounded at any n."""
    net = embedder(model)
    features, probs = [], []
    for start in range(0, len(rows), batch_size):
        x = gather(images, rows[start : start + batch_size], context)
        f, p = (np.asarray(a, np.float64) for a in net.predict_on_batch(x))
        if flip:
            f_m, p_m = net.predict_on_batch(np.ascontiguousarray(x[:, :, ::-1]))
            f, p = (f + np.asarray(f_m)) / 2, (p + np.asarray(p_m)) / 2
        features.append(f.astype(np.float32))
        probs.append(p.astype(np.float32))
        if progress is not None:
            progress(len(x))
    width = int(net.outputs[0].shape[-1])
    if not features:
        return np.zeros((0, width), np.float32), np.zeros((0, model.output.shape[-1]), np.float32)
    return np.concatenate(features), np.concatenate(probs)


def embed_index(
    model: keras.Model, card: dict, images: np.ndarray, index, flip: bool = False, progress=None
):
    """Features and raw probabilities of every slice in the extract index, by array row (the
    rows of rejected files, never read, stay 0)."""
    context = neighbour_rows(index) if card.get("context") else None
    rows = np.sort(index["row"].to_numpy())  # sequential reads on the memmap
    f, p = embed_rows(model, images, rows, context, flip, progress=progress)
    features = np.zeros((len(images), f.shape[1]), np.float32)
    probs = np.zeros((len(images), p.shape[1]), np.float32)
    features[rows], probs[rows] = f, p
    return features, probs
