"""The compare table from `dvc exp show --json`."""

from __future__ import annotations

import pytest

from ich.eval.compare import Row, collect, table
from tests.conftest import ROOT


def entry(rev: str, name: str | None, dropout: float, auc: float, experiments=None) -> dict:
    labels = ("any", "epidural", "intraparenchymal", "intraventricular", "subarachnoid", "subdural")
    holdout = {
        "auc": {s: auc for s in labels},
        "auc_any_ci95": {"low": auc - 0.05, "high": auc + 0.05},
        "weighted_log_loss": {"model": 0.2, "prior": 0.3, "position": 0.25, "always_negative": 1.7},
    }
    return {
        "rev": rev,
        "name": name,
        "data": {
            "params": {"params.yaml": {"data": {"train": {"dropout": dropout, "seed": 1}}}},
            "metrics": {"metrics/holdout.json": {"data": holdout}},
        },
        "experiments": experiments,
    }


def test_rows_sorted_by_auc_with_differing_params_only():
    shown = [
        entry("workspace", None, 0.3, 0.80),
        entry(
            "abcdef123456",
            "main",
            0.3,
            0.80,
            [
                {"revs": [entry("e1", "exp-a", 0.5, 0.90)]},
                {"revs": [entry("e2", "exp-b", 0.1, 0.70)]},
            ],
        ),
    ]
    rows = collect(shown)
    assert [r.name for r in rows] == ["workspace", "abcdef1", "exp-a", "exp-b"]
    text = table(rows)
    lines = text.splitlines()
    assert "train.dropout" in lines[0] and "train.seed" not in lines[0]
    assert lines[2].startswith(
        "| exp-a | 0.5 | 0.900 [0.850, 0.950] | 0.2000 | - | 0.3000 / 0.2500"
    )
    assert lines[-1].startswith("| exp-b")


def test_unfinished_experiments_are_left_out():
    """`dvc exp show` gives a running experiment its baseline's metrics: they are not its own."""
    done = {"executor": {"state": "success"}, "revs": [entry("e1", "done", 0.5, 0.9)]}
    running = {"executor": {"state": "running"}, "revs": [entry("e2", "running", 0.1, 0.8)]}
    queued = {"executor": {"state": "queued"}, "revs": [entry("e3", "queued", 0.2, 0.8)]}
    shown = [entry("abcdef123456", "main", 0.3, 0.8, [done, running, queued])]
    assert [r.name for r in collect(shown)] == ["abcdef1", "done"]


def test_the_slice_model_and_the_paired_interval_are_shown_when_there():
    shown = [entry("abcdef123456", "main", 0.3, 0.8)]
    headline = shown[0]["data"]["metrics"]["metrics/holdout.json"]["data"]
    headline["weighted_log_loss"]["slice_model"] = 0.25
    headline["sequence_minus_slice_ci95"] = {"low": -0.08, "high": -0.02}
    line = table(collect(shown)).splitlines()[2]
    assert "| 0.2000 | 0.2500 ([-0.0800, -0.0200]) | 0.3000 / 0.2500 |" in line


def test_a_branch_or_tag_is_a_reference_and_a_missing_one_lists_what_there_is(monkeypatch):
    import subprocess

    from ich.cli.compare import pairs_to_show
    from ich.errors import InputError

    monkeypatch.chdir(ROOT)
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    rows = [Row(n, {}, {}) for n in ("workspace", head[:7], "exp-1")]
    assert pairs_to_show(rows, "HEAD") == [("workspace", head[:7]), ("exp-1", head[:7])]
    with pytest.raises(InputError, match="no such experiment, branch or tag among workspace, "):
        pairs_to_show(rows, "no-such-branch")


def test_a_reference_whose_outputs_are_not_cached_says_how_to_get_them(monkeypatch):
    import dvc.api
    from dvc_data.index.index import DataIndexDirError

    from ich.errors import InputError
    from ich.eval.compare import predictions

    def missing(*args, **kwargs):
        raise DataIndexDirError("failed to load directory")

    monkeypatch.setattr(dvc.api, "open", missing)
    with pytest.raises(InputError, match=r"abc1234: its data/predictions/holdout.csv is not in "):
        predictions("abc1234def")
    with pytest.raises(InputError, match=r"`dvc exp apply abc1234` then `dvc repro`"):
        predictions("abc1234def")
