"""Occlusion saliency: where in a slice the model finds its evidence (backend-agnostic).

Each patch of the input is blanked in turn and the drop in the predicted probability is recorded;
only forward passes are needed, so it works unchanged under any Keras backend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ich.data.inputs import gather
from ich.rsna import SUBTYPES


def occlusion_map(model, x: np.ndarray, label: int, patch: int = 8, stride: int = 4) -> np.ndarray:
    """(R, R) map of how much p(label) falls when each region of x (R, R, C) is blanked."""
    size = x.shape[0]
    starts = range(0, size - patch + 1, stride)
    batch = []
    for r in starts:
        for c in starts:
            blanked = x.copy()
            blanked[r : r + patch, c : c + patch] = 0
            batch.append(blanked)
    base = float(model.predict(x[None], verbose=0)[0, label])
    probs = np.asarray(model.predict(np.stack(batch), verbose=0))[:, label]
    heat, count = np.zeros((size, size)), np.zeros((size, size))
    for (r, c), p in zip(((r, c) for r in starts for c in starts), probs, strict=True):
        heat[r : r + patch, c : c + patch] += base - p
        count[r : r + patch, c : c + patch] += 1
    return np.clip(heat / np.maximum(count, 1), 0, None)


def saliency_examples(
    model, images, holdout: pd.DataFrame, p: np.ndarray, context, per_label: int = 2
):
    """For each subtype, the true positives the model ranks highest, with occlusion maps."""
    xs, maps, titles = [], [], []
    for i, s in enumerate(SUBTYPES):
        hits = np.flatnonzero(holdout[s].to_numpy() == 1)
        for k in hits[np.argsort(-p[hits, i])][:per_label]:
            x = gather(images, holdout["row"].to_numpy()[[k]], context)[0]
            xs.append(x)
            maps.append(occlusion_map(model, x, i))
            titles.append(f"{s} p={p[k, i]:.2f} {holdout['ID'].iloc[k]}")
    return xs, maps, titles
