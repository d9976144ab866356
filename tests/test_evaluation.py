"""Nothing is fit on the holdout: baselines come from train, thresholds from val."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ich.data.inputs import SliceBatches, channel_stats
from ich.eval.evaluation import EvaluateSpec, evaluate, position_baseline, prior_baseline
from ich.rsna import LABELS


def split(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "row": np.arange(n),
            "PatientID": [f"P{i % 20}" for i in range(n)],
            "relative_position": rng.random(n),
        }
    )
    for s in LABELS:
        frame[s] = (rng.random(n) < 0.2).astype(int)
    return frame


def test_holdout_labels_do_not_move_baselines_or_thresholds():
    train, val, holdout = split(400, 0), split(100, 1), split(200, 2)
    p_hold = np.random.default_rng(3).random((200, 6))
    p_val = np.random.default_rng(4).random((100, 6))
    shuffled = holdout.copy()
    shuffled[list(LABELS)] = np.random.default_rng(5).permutation(holdout[list(LABELS)].to_numpy())
    spec = EvaluateSpec(seed=0, bootstrap=20, target_sensitivity=0.9)
    a = evaluate(holdout, p_hold, train, val, p_val, spec)
    b = evaluate(shuffled, p_hold, train, val, p_val, spec)
    assert np.array_equal(prior_baseline(train, 5), prior_baseline(train, 5))
    assert np.array_equal(position_baseline(train, holdout), position_baseline(train, shuffled))
    for s in LABELS:
        assert a["labels"][s]["threshold"] == b["labels"][s]["threshold"]
    assert a["model"]["auc"] != b["model"]["auc"], "the metrics themselves do use the labels"


def test_standardisation_uses_the_training_rows_only():
    images = np.zeros((10, 4, 4, 1), np.uint8)
    images[:6] = 10  # training rows
    images[6:] = 200  # holdout rows
    train = pd.DataFrame({"row": np.arange(6), **{s: 0 for s in LABELS}})
    mean, _ = channel_stats(SliceBatches(images, train, 4), per_pixel=False)
    assert np.allclose(mean, 10)
