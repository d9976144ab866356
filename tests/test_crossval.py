"""Grouped cross-validation read from experiments: folds grouped by configuration, compared
fold by fold."""

from __future__ import annotations

from ich.eval.compare import Row
from ich.eval.crossval import folds, table


def row(name: str, fold, resolution: int, series: float, slice_: float, seed: int = 1) -> Row:
    params = {
        "sample.cv_fold": fold,
        "train.seed": seed,
        "sequence.seed": seed,
        "extract.resolution": resolution,
        "train.epochs": 10,
    }
    val = {"epochs_run": 9, "val_weighted_log_loss": {"sequence": series, "slice_model": slice_}}
    headline = {"weighted_log_loss": {"model": 0.5}}
    return Row(name, params, headline, name, {"metrics/sequence.json": val})


def test_folds_are_grouped_by_config_and_paired_by_fold():
    rows = [
        row("workspace", None, 64, 0.3, 0.3),  # not a fold: left out
        *(row(f"a{k}", k, 64, 0.20 + 0.01 * k, 0.25, seed=k + 1) for k in range(3)),
        *(row(f"b{k}", k, 128, 0.15 + 0.02 * k, 0.18, seed=k + 1) for k in range(3)),
    ]
    found = folds(rows)
    assert sorted(f.name for f in found) == ["a0", "a1", "a2", "b0", "b1", "b2"]
    text = table(found)
    lines = text.splitlines()
    assert lines[0].startswith("| extract.resolution | folds |"), "only the differing param"
    assert lines[2].startswith("| 128 | 3 | 0.1700 [0.1500, 0.1900]"), "best first, mean [min, max]"
    assert "-0.0100 [-0.0300, +0.0100], 2/3 below 0" in lines[2], "series - slice per fold"
    # 64 minus 128, fold by fold: +0.05, +0.04, +0.03
    assert lines[-1] == "| 64 | 3 | +0.0400 [+0.0300, +0.0500], 0/3 below 0 |"


def test_a_fold_without_val_scores_is_left_out():
    old = row("old", 0, 64, 0.2, 0.2)
    old.metrics = {}
    assert folds([old]) == []


def test_a_named_reference_replaces_the_best():
    rows = [
        *(row(f"a{k}", k, 64, 0.20, 0.25) for k in range(2)),
        *(row(f"b{k}", k, 128, 0.15, 0.18) for k in range(2)),
    ]
    lines = table(folds(rows), reference="a1").splitlines()
    assert "minus a1's" in lines[-5]
    assert lines[-1] == "| 128 | 2 | -0.0500 [-0.0500, -0.0500], 2/2 below 0 |"
