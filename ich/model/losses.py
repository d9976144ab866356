"""The training loss: RSNA-weighted binary cross-entropy, optionally focal."""

from __future__ import annotations

import keras
from keras import ops

from ich.rsna import LABELS, RSNA_WEIGHTS


@keras.saving.register_keras_serializable(package="ich")
class WeightedBCE(keras.losses.Loss):
    """Binary cross-entropy averaged over labels with per-label weights (RSNA: any 2, others 1).

    `focal_gamma` > 0 turns it into the focal loss: each term is scaled by (1 - p_t)^gamma, so
    the many easy negatives count less than the rare hard cases (class imbalance)."""

    def __init__(self, weights=None, focal_gamma=0.0, name="weighted_bce", **kwargs):
        super().__init__(name=name, **kwargs)
        self.weights = list(weights or [RSNA_WEIGHTS[s] for s in LABELS])
        self.focal_gamma = float(focal_gamma)

    def call(self, y_true, y_pred):
        w = ops.convert_to_tensor(self.weights, dtype=y_pred.dtype)
        p = ops.clip(y_pred, 1e-7, 1 - 1e-7)
        bce = -(y_true * ops.log(p) + (1 - y_true) * ops.log(1 - p))
        if self.focal_gamma:
            p_true = y_true * p + (1 - y_true) * (1 - p)
            bce = bce * (1 - p_true) ** self.focal_gamma
        return ops.sum(bce * w, axis=-1) / ops.sum(w)

    def get_config(self):
        return {**super().get_config(), "weights": self.weights, "focal_gamma": self.focal_gamma}
