"""Occlusion saliency: where in a slice the model finds its evidence (backend-agnostic).

Each patch of the input is blanked in turn and the drop in the predicted probability is recorded;
only forward passes are needed, so it works unchanged under any Keras backend.
"""

from __future__ import annotations

import numpy as np


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
