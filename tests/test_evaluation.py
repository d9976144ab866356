"""Nothing is fit on the holdout: baselines come from the training patients at natural
prevalence, thresholds from val (chosen in train); the prior-shift correction is Bayes' rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ich.data.inputs import SliceBatches, channel_stats
from ich.data.neighbours import neighbour_rows
from ich.eval.baselines import POSITION_BINS, position_baseline, prior_baseline
from ich.eval.evaluation import EvaluateSpec, evaluate
from ich.model.inference import prior_shift
from ich.model.thresholds import operating_points
from ich.rsna import LABELS

SPEC = EvaluateSpec(seed=0, bootstrap=20, density_c=0.1)


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


def test_holdout_labels_do_not_move_baselines():
    pool, holdout = split(400, 0), split(200, 2)
    p = np.random.default_rng(3).random((200, 6))
    thresholds = {s: 0.5 for s in LABELS}
    shuffled = holdout.copy()
    shuffled[list(LABELS)] = np.random.default_rng(5).permutation(holdout[list(LABELS)].to_numpy())
    assert np.array_equal(position_baseline(pool, holdout), position_baseline(pool, shuffled))
    a = evaluate(holdout, p, p, p, pool, thresholds, SPEC, p / 2)
    b = evaluate(shuffled, p, p, p, pool, thresholds, SPEC, p / 2)
    assert a["model"]["auc"] != b["model"]["auc"], "the metrics themselves do use the labels"
    assert a["labels"]["any"]["threshold"] == b["labels"]["any"]["threshold"] == 0.5


def test_baselines_values():
    """Prior: the pool's prevalence everywhere. Position: the pool's prevalence in the slice's
    tenth of its series, the overall prevalence where a tenth has no slices."""
    pool = pd.DataFrame({"relative_position": [0.05, 0.07, 0.55, 0.95]})
    for s in LABELS:
        pool[s] = [1, 0, 1, 1]
    target = pd.DataFrame({"relative_position": [0.0, 0.06, 0.5, 0.3, 1.0]})
    assert prior_baseline(pool, 2).tolist() == [[0.75] * 6] * 2
    got = position_baseline(pool, target)[:, 0]
    assert POSITION_BINS == 10
    assert got.tolist() == [0.5, 0.5, 1.0, 0.75, 1.0]


def test_prior_shift_is_bayes_rule():
    """Two Gaussian classes: the exact posterior at one prior, corrected, is the exact posterior
    at the other (derived from the likelihoods here, not from the code's formula)."""
    x = np.linspace(-3, 3, 13)
    like_pos, like_neg = np.exp(-((x - 1) ** 2) / 2), np.exp(-((x + 1) ** 2) / 2)

    def posterior(prior):
        return prior * like_pos / (prior * like_pos + (1 - prior) * like_neg)

    p_train = np.stack([posterior(0.5), posterior(0.25)], axis=1)
    got = prior_shift(p_train, [0.5, 0.25], [0.06, 0.14])
    assert np.allclose(got, np.stack([posterior(0.06), posterior(0.14)], axis=1), atol=1e-9)
    assert np.allclose(prior_shift(p_train, [0.3, 0.3], [0.3, 0.3]), p_train)


def test_operating_points_reach_the_target_on_val():
    rng = np.random.default_rng(0)
    y = (rng.random((300, 6)) < 0.3).astype(int)
    p = np.clip(y * 0.4 + rng.random((300, 6)) * 0.6, 0, 1)
    thresholds = operating_points(y, p, 0.9)
    for i, s in enumerate(LABELS):
        hit = p[y[:, i] == 1, i] >= thresholds[s]
        assert hit.mean() >= 0.9
        higher = p[y[:, i] == 1, i] >= thresholds[s] + 1e-6
        assert higher.mean() < 0.9, "the highest such threshold"


def test_neighbour_rows_follow_z_within_series():
    index = pd.DataFrame(
        {
            "row": [0, 1, 2, 4, 5],  # row 3: a rejected file's blank row
            "SeriesInstanceUID": ["A", "A", "B", "A", "B"],
            "position": [2, 0, 1, 1, 0],
        }
    )
    prev, nxt = neighbour_rows(index)
    # series A by position: rows 1, 4, 0; series B: rows 5, 2
    assert prev[[1, 4, 0]].tolist() == [1, 1, 4] and nxt[[1, 4, 0]].tolist() == [4, 0, 0]
    assert prev[[5, 2]].tolist() == [5, 5] and nxt[[5, 2]].tolist() == [2, 2]
    assert prev[3] == nxt[3] == 3, "a blank row is never a neighbour"


def test_standardisation_uses_the_training_rows_only():
    images = np.zeros((10, 4, 4, 1), np.uint8)
    images[:6] = 10  # training rows
    images[6:] = 200  # holdout rows
    train = pd.DataFrame({"row": np.arange(6), **{s: 0 for s in LABELS}})
    mean, _ = channel_stats(SliceBatches(images, train, 4), per_pixel=False)
    assert np.allclose(mean, 10)


@pytest.mark.parametrize("target", [0.5, 1.0])
def test_operating_point_without_positives_is_half(target):
    y = np.zeros((5, 6), int)
    assert set(operating_points(y, np.random.default_rng(0).random((5, 6)), target).values()) == {
        0.5
    }


def test_a_label_without_holdout_positives_is_null_in_the_report_and_summary(
    tmp_path, monkeypatch, capsys
):
    """Real holdouts can lack a subtype: its AUC is null in valid JSON, and the summary says so
    instead of failing."""
    import json

    from ich.cli.summary import run as summary
    from ich.files import write_json
    from ich.pipeline import paths

    pool, holdout = split(400, 0), split(200, 2)
    holdout["subdural"] = 0
    p = np.random.default_rng(3).random((200, 6))
    report = evaluate(holdout, p, p, p, pool, {s: 0.5 for s in LABELS}, SPEC, p)
    monkeypatch.chdir(tmp_path)
    write_json(paths.HOLDOUT_REPORT, report)
    text = paths.HOLDOUT_REPORT.read_text()
    assert "NaN" not in text
    back = json.loads(text)
    assert back["labels"]["subdural"]["auc"] is None
    assert back["labels"]["any"]["auc"] is not None
    assert summary(None) in (0, None)
    out = capsys.readouterr().out
    assert "subdural" in out and "n/a" in out and "no holdout positives" in out
    # the density baseline is the model itself here: the summary says it does not beat it
    assert "model minus density +0.000" in out and "does NOT beat it" in out
