"""Metric functions against hand-computed values (and sklearn where it is installed)."""

from __future__ import annotations

import numpy as np
import pytest

from ich.eval import metrics

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
    thr = metrics.threshold_for_sensitivity(Y, P, 1.0)
    assert thr == 0.35
    assert metrics.sensitivity_specificity(Y, P, thr) == (1.0, 0.5)


def test_calibration_and_bootstrap():
    _, _, count, ece = metrics.calibration(np.array([0, 1]), np.array([0.05, 0.95]))
    assert count.sum() == 2 and ece == pytest.approx(0.05)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    p = y * 0.3 + rng.random(400) * 0.7
    groups = np.repeat(np.arange(40), 10)
    lo, hi = metrics.bootstrap_auc_ci(y, p, groups, 200, 0)
    assert lo < metrics.roc_auc(y, p) < hi and hi - lo < 0.2


def test_against_sklearn():
    sk = pytest.importorskip("sklearn.metrics", reason="sklearn not installed (optional check)")
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p = np.round(rng.random(300), 2)  # with ties
    assert metrics.roc_auc(y, p) == pytest.approx(sk.roc_auc_score(y, p))
    assert metrics.average_precision(y, p) == pytest.approx(sk.average_precision_score(y, p))
    assert metrics.log_loss(y, p) == pytest.approx(sk.log_loss(y, np.clip(p, 1e-7, 1 - 1e-7)))
