"""Metric functions against hand-computed values (and sklearn where it is installed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ich.eval import metrics
from ich.model.thresholds import threshold_for_sensitivity

Y = np.array([0, 0, 1, 1])
P = np.array([0.1, 0.4, 0.35, 0.8])


def test_auc_hand_computed():
    # positive/negative pairs: (0.35 > 0.1) yes, (0.35 > 0.4) no, 0.8 beats both: 3 of 4
    assert metrics.roc_auc(Y, P) == pytest.approx(0.75)
    assert metrics.roc_auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)  # a tie counts half
    assert np.isnan(metrics.roc_auc([1, 1], [0.2, 0.3]))


def test_weighted_log_loss_small_table():
    y = np.array([[1, 1], [0, 0]])
    p = np.array([[0.9, 0.8], [0.2, 0.4]])
    w = np.array([1.0, 2.0])
    per = -np.array([[np.log(0.9), np.log(0.8)], [np.log(0.8), np.log(0.6)]])
    expected = (per * w).sum() / (2 * 3)
    assert metrics.weighted_log_loss(y, p, w) == pytest.approx(expected)
    # the prior-only anchor: constant p = prevalence gives the entropy
    assert metrics.log_loss([1, 0, 0, 0], [0.25] * 4) == pytest.approx(
        -(0.25 * np.log(0.25) + 0.75 * np.log(0.75))
    )


def test_average_precision_and_threshold():
    # ranks: 0.8 (pos), 0.4 (neg), 0.35 (pos), 0.1 (neg): AP = 0.5*1 + 0.5*(2/3)
    assert metrics.average_precision(Y, P) == pytest.approx(0.5 + 1 / 3)
    thr = threshold_for_sensitivity(Y, P, 1.0)
    assert thr == 0.35
    assert metrics.sensitivity_specificity(Y, P, thr) == (1.0, 0.5)


def test_calibration_and_bootstrap():
    _, _, count, ece = metrics.calibration(np.array([0, 1]), np.array([0.05, 0.95]))
    assert count.sum() == 2 and ece == pytest.approx(0.05)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    p = y * 0.3 + rng.random(400) * 0.7
    groups = np.repeat(np.arange(40), 10)
    lo, hi, dropped = metrics.bootstrap_auc_ci(y, p, groups, 200, 0)
    assert lo < metrics.roc_auc(y, p) < hi and hi - lo < 0.2 and dropped == 0


def test_bootstrap_resamples_patients_not_slices():
    """Every patient's slices twice over is no new evidence: the interval must not narrow (a
    slice-level bootstrap would narrow it by about 1/sqrt(2))."""
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(40), 10)
    y = rng.integers(0, 2, 40)[groups]  # as in CT, a patient's slices are alike
    p = y * 0.3 + rng.random(40)[groups] * 0.6 + rng.random(400) * 0.1
    lo, hi, _ = metrics.bootstrap_auc_ci(y, p, groups, 400, 0)
    twice = np.r_[np.arange(400), np.arange(400)]
    lo2, hi2, _ = metrics.bootstrap_auc_ci(y[twice], p[twice], groups[twice], 400, 0)
    assert hi2 - lo2 == pytest.approx(hi - lo, rel=0.1)
    by_slice = metrics.bootstrap_auc_ci(y[twice], p[twice], np.arange(800), 400, 0)
    assert by_slice[1] - by_slice[0] < 0.5 * (hi - lo), "the check can tell the two apart"


def test_bootstrap_counts_resamples_without_both_classes():
    y = np.array([1, 0, 0, 0])  # one positive patient of four
    p = np.array([0.9, 0.1, 0.2, 0.3])
    lo, hi, dropped = metrics.bootstrap_auc_ci(y, p, np.arange(4), 100, 0)
    # the positive patient is missing from a resample with probability (3/4)^4 ~ 0.32
    assert 15 < dropped < 50 and lo == hi == 1.0


def test_against_sklearn():
    from sklearn import metrics as sk  # in the locked test environment: this check never skips

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p = np.round(rng.random(300), 2)  # with ties
    assert metrics.roc_auc(y, p) == pytest.approx(sk.roc_auc_score(y, p))
    assert metrics.average_precision(y, p) == pytest.approx(sk.average_precision_score(y, p))
    assert metrics.log_loss(y, p) == pytest.approx(sk.log_loss(y, np.clip(p, 1e-7, 1 - 1e-7)))


def test_weighted_log_loss_is_the_challenge_metric():
    """DOMAIN.md section 4: the mean over the long `ID_<image>_<subtype>` rows of the binary log
    loss, each row weighted 2 (`any`) or 1: scikit-learn's log_loss with sample weights."""
    from sklearn.metrics import log_loss as sk_log_loss

    from ich.data.labels import long_format
    from ich.rsna import LABELS, RSNA_WEIGHTS

    rng = np.random.default_rng(2)
    y = (rng.random((50, 6)) < 0.3).astype(int)
    p = np.clip(rng.random((50, 6)), 0.01, 0.99)
    ids = [f"ID_{i:09x}" for i in range(50)]
    truth = long_format(pd.DataFrame(y, columns=list(LABELS)).assign(ID=ids))
    pred = long_format(pd.DataFrame(p, columns=list(LABELS)).assign(ID=ids))
    weight = truth["ID"].str.rsplit("_", n=1).str[1].map(RSNA_WEIGHTS)
    expected = sk_log_loss(truth["Label"], pred["Label"], sample_weight=weight)
    weights = np.array([RSNA_WEIGHTS[s] for s in LABELS])
    assert metrics.weighted_log_loss(y, p, weights) == pytest.approx(expected, rel=1e-9)
