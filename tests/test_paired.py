"""Paired differences: zero for the same predictor, signed right, refused across holdouts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ich.eval import metrics
from ich.eval.paired import NotPaired, compare_predictions, paired
from ich.rsna import LABELS


def frame(p: np.ndarray, y: np.ndarray, patients: np.ndarray) -> pd.DataFrame:
    out = pd.DataFrame({"ID": [f"ID_{i:09x}" for i in range(len(y))], "PatientID": patients})
    for i, s in enumerate(LABELS):
        out[s] = y[:, i]
        out[f"p_{s}"] = p[:, i]
    return out


def data(seed: int = 0, n_patients: int = 40, per: int = 8):
    rng = np.random.default_rng(seed)
    patients = np.repeat([f"P{i}" for i in range(n_patients)], per)
    y = (rng.random((len(patients), 6)) < 0.3).astype(int)
    good = np.clip(y * 0.5 + rng.random(y.shape) * 0.5, 0.01, 0.99)
    weak = np.clip(y * 0.1 + rng.random(y.shape) * 0.9, 0.01, 0.99)
    return y, good, weak, patients


def test_same_predictor_differs_by_exactly_zero():
    y, good, _, patients = data()
    out = paired(y, good, good, patients, 50, 0)
    for d in out.values():
        assert d["diff"] == d["low"] == d["high"] == 0


def test_a_better_predictor_wins_and_the_sign_says_who():
    y, good, weak, patients = data()
    out = paired(y, good, weak, patients, 200, 0)
    assert out["weighted_log_loss"]["high"] < 0, "a has the lower loss"
    assert out["auc_any"]["low"] > 0, "a has the higher AUC"
    flipped = paired(y, weak, good, patients, 200, 0)
    assert flipped["auc_any"]["diff"] == pytest.approx(-out["auc_any"]["diff"])
    assert out["auc_any"]["diff"] == pytest.approx(
        metrics.roc_auc(y[:, 5], good[:, 5]) - metrics.roc_auc(y[:, 5], weak[:, 5])
    )


def test_pairing_is_tighter_than_two_marginal_intervals():
    """Two close predictors on the same patients: the paired interval of the AUC difference is
    narrower than the sum of the two marginal half-widths (what overlapping intervals test)."""
    y, _, _, patients = data(1)
    rng = np.random.default_rng(7)
    good = np.clip(y * 0.25 + rng.random(y.shape) * 0.75, 0.01, 0.99)  # AUC ~0.8, not 1
    close = np.clip(good + rng.normal(0, 0.05, good.shape), 0.01, 0.99)
    d = paired(y, good, close, patients, 300, 0)["auc_any"]
    a = metrics.bootstrap_auc_ci(y[:, 5], good[:, 5], patients, 300, 0)
    b = metrics.bootstrap_auc_ci(y[:, 5], close[:, 5], patients, 300, 0)
    assert (d["high"] - d["low"]) < 0.5 * ((a[1] - a[0]) + (b[1] - b[0]))


def test_different_holdouts_are_refused_by_name():
    y, good, weak, patients = data()
    a, b = frame(good, y, patients), frame(weak, y, patients)
    out = compare_predictions(a, b, "exp-a", "exp-b", n_boot=20)
    assert set(out) == {"corrected"}, "no raw columns, no raw comparison"
    with pytest.raises(NotPaired, match="exp-a and seed-it3 scored different holdout images"):
        compare_predictions(a, b.iloc[:-8], "exp-a", "seed-it3", n_boot=20)
