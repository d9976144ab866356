"""Operating points: per label, the threshold that reaches a target sensitivity on val.

Chosen in `train`, which has the val split, and saved with the model, so `evaluate` and
`predict --studies` use the same thresholds.
"""

from __future__ import annotations

import numpy as np

from ich.rsna import LABELS


def threshold_for_sensitivity(y: np.ndarray, p: np.ndarray, target: float) -> float:
    """The highest threshold whose sensitivity reaches `target` (0.5 without positives)."""
    pos = np.sort(np.asarray(p)[np.asarray(y).astype(bool)])[::-1]
    if len(pos) == 0:
        return 0.5
    k = int(np.ceil(target * len(pos))) - 1
    return float(pos[min(max(k, 0), len(pos) - 1)])


def operating_points(y: np.ndarray, p: np.ndarray, target: float) -> dict[str, float]:
    """Per label (columns in LABELS order), the threshold for `target` sensitivity."""
    # not rounded: a threshold rounded up would miss the very slice it was chosen at
    return {s: threshold_for_sensitivity(y[:, i], p[:, i], target) for i, s in enumerate(LABELS)}
