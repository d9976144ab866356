"""Metric functions in plain numpy (checked against hand-computed values and sklearn in tests)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ich.rsna import LABELS, RSNA_WEIGHTS

EPS = 1e-7
# The challenge metric's weight of each label, in LABELS order (any 2, subtypes 1).
LABEL_WEIGHTS = np.array([RSNA_WEIGHTS[s] for s in LABELS])


def _clip(p: np.ndarray) -> np.ndarray:
    return np.clip(p, EPS, 1 - EPS)


def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half); nan with one class only."""
    y = np.asarray(y).astype(bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _average_ranks(np.asarray(p, dtype=np.float64))
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    ranks = np.empty(len(x), np.float64)
    ranks[order] = np.arange(1, len(x) + 1)
    # ties share the mean of their ranks
    _, first, counts = np.unique(sorted_x, return_index=True, return_counts=True)
    for start, count in zip(first[counts > 1], counts[counts > 1], strict=False):
        ranks[order[start : start + count]] = start + (count + 1) / 2
    return ranks


def _thresholds(y: np.ndarray, p: np.ndarray):
    """At each distinct score, highest first: (score, true positives, predicted positives)."""
    order = np.argsort(-np.asarray(p), kind="mergesort")
    p_sorted, y_sorted = np.asarray(p)[order], np.asarray(y).astype(bool)[order]
    last = np.r_[np.diff(p_sorted) != 0, True]
    return p_sorted[last], np.cumsum(y_sorted)[last], np.arange(1, len(y_sorted) + 1)[last]


def roc_curve(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fpr, tpr, thresholds), one point per distinct score, from (0, 0) to (1, 1)."""
    y = np.asarray(y).astype(bool)
    scores, tp, k = _thresholds(y, p)
    tpr = np.r_[0, tp / max(1, y.sum())]
    fpr = np.r_[0, (k - tp) / max(1, (~y).sum())]
    return fpr, tpr, np.r_[np.inf, scores]


def pr_curve(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision) at each distinct score threshold, highest threshold first."""
    _, tp, k = _thresholds(y, p)
    return tp / max(1, np.asarray(y).astype(bool).sum()), tp / k


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    """Step-wise area under the PR curve (sklearn's definition)."""
    if not np.asarray(y).any():
        return float("nan")
    recall, precision = pr_curve(y, p)
    return float(np.sum(np.diff(np.r_[0, recall]) * precision))


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    y, p = np.asarray(y, np.float64), _clip(np.asarray(p, np.float64))
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def weighted_log_loss(y: np.ndarray, p: np.ndarray, weights: np.ndarray) -> float:
    """RSNA metric: per-image weighted BCE over the labels, averaged (docs/metrics.md)."""
    y, p = np.asarray(y, np.float64), _clip(np.asarray(p, np.float64))
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return float((bce * weights).sum() / (len(y) * weights.sum()))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(p, np.float64) - np.asarray(y, np.float64)) ** 2))


def calibration(y: np.ndarray, p: np.ndarray, bins: int = 10):
    """(mean predicted, observed rate, count) per equal-width bin, and the expected calibration
    error (count-weighted mean gap)."""
    y, p = np.asarray(y, np.float64).ravel(), np.asarray(p, np.float64).ravel()
    which = np.minimum((p * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    mean_p = np.bincount(which, p, bins) / np.maximum(count, 1)
    rate = np.bincount(which, y, bins) / np.maximum(count, 1)
    ece = float(np.sum(count * np.abs(mean_p - rate)) / max(1, count.sum()))
    return mean_p, rate, count, ece


def sensitivity_specificity(y: np.ndarray, p: np.ndarray, threshold: float) -> tuple[float, float]:
    y, hit = np.asarray(y).astype(bool), np.asarray(p) >= threshold
    sens = float(hit[y].mean()) if y.any() else float("nan")
    spec = float((~hit[~y]).mean()) if (~y).any() else float("nan")
    return sens, spec


def confusion(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, int]:
    """Counts of true/false positives/negatives when p >= threshold is called positive."""
    y, hit = np.asarray(y).astype(bool), np.asarray(p) >= threshold
    return {
        "tp": int((hit & y).sum()),
        "fp": int((hit & ~y).sum()),
        "tn": int((~hit & ~y).sum()),
        "fn": int((~hit & y).sum()),
    }


def bootstrap_ci(
    statistic: Callable[[np.ndarray], float],
    groups: np.ndarray,
    n_boot: int,
    seed: int,
    level: float = 0.95,
) -> tuple[float, float, int]:
    """Percentile interval of `statistic(rows)` over resamples of whole groups (patients, not
    slices: a patient's slices are not independent), and how many resamples gave no value (nan:
    e.g. an AUC without both classes) and were dropped."""
    rng = np.random.default_rng(seed)
    uniq, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(uniq))]
    stats = []
    for _ in range(n_boot):
        pick = rng.integers(0, len(uniq), len(uniq))
        stats.append(statistic(np.concatenate([members[g] for g in pick])))
    kept = [x for x in stats if not np.isnan(x)]
    if not kept:
        return float("nan"), float("nan"), n_boot
    lo, hi = np.percentile(kept, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
    return float(lo), float(hi), n_boot - len(kept)


def bootstrap_auc_ci(
    y: np.ndarray, p: np.ndarray, groups: np.ndarray, n_boot: int, seed: int, level: float = 0.95
) -> tuple[float, float, int]:
    """Patient-bootstrap interval of the ROC AUC, and the resamples dropped for one class."""
    return bootstrap_ci(lambda rows: roc_auc(y[rows], p[rows]), groups, n_boot, seed, level)
