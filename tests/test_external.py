"""`python -m ich score`: a submission scored on a second labelled set (external validation)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, roc_auc_score

from ich.__main__ import main
from ich.data.labels import long_format
from ich.rsna import LABELS, RSNA_WEIGHTS


def labels(rng: np.random.Generator, n: int, prevalence: float) -> pd.DataFrame:
    """n images' six labels, each subtype at `prevalence`, `any` as their maximum."""
    truth = pd.DataFrame({"ID": [f"ID_{i:09x}" for i in range(n)]})
    for s in LABELS[:-1]:
        truth[s] = (rng.random(n) < prevalence).astype(int)
    truth["any"] = truth[list(LABELS[:-1])].max(axis=1)
    return truth


def predictions(rng: np.random.Generator, truth: pd.DataFrame, signal: float) -> pd.DataFrame:
    """Probabilities that weigh the label by `signal` against noise."""
    preds = truth[["ID"]].copy()
    for s in LABELS:
        noise = rng.random(len(truth))
        preds[s] = np.clip(signal * truth[s] + (1 - signal) * noise, 0.01, 0.99).round(6)
    return preds


def test_score_matches_scikit_learn_and_names_missing_predictions(tmp_path, capsys):
    rng = np.random.default_rng(0)
    n = 120
    truth = labels(rng, n, 0.15)
    preds = predictions(rng, truth, 0.5)
    long_format(truth).to_csv(tmp_path / "labels.csv", index=False)
    long_format(preds).to_csv(tmp_path / "sub.csv", index=False)
    pd.DataFrame({"ID": truth["ID"], "PatientID": [f"P{i // 10}" for i in range(n)]}).to_csv(
        tmp_path / "ids.csv", index=False
    )
    (tmp_path / "card.json").write_text(json.dumps({"prior": {s: 0.1 for s in LABELS}}))
    args = ["score", str(tmp_path / "sub.csv"), "--labels", str(tmp_path / "labels.csv")]
    args += ["--groups", str(tmp_path / "ids.csv"), "--card", str(tmp_path / "card.json")]
    page = tmp_path / "page.md"
    out = ["--out", str(tmp_path / "r.json"), "--bootstrap", "20", "--table", str(page)]
    assert main([*args, *out]) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    any_ = report["labels"]["any"]
    assert f"| any | {any_['auc']:.3f} [{any_['auc_ci95_low']:.3f}, " in page.read_text()
    for s in LABELS:
        assert abs(report["labels"][s]["auc"] - roc_auc_score(truth[s], preds[s])) < 1e-12
    w = np.array([RSNA_WEIGHTS[s] for s in LABELS])
    expected = sum(w[i] * log_loss(truth[s], preds[s]) for i, s in enumerate(LABELS)) / w.sum()
    assert abs(report["model"]["weighted_log_loss"] - expected) < 1e-4
    assert report["patients"] == 12 and "AUC(any)" in capsys.readouterr().out
    long_format(preds.iloc[1:]).to_csv(tmp_path / "sub.csv", index=False)
    assert main([*args, "--out", str(tmp_path / "r2.json")]) == 1
    assert "1 labelled images have no prediction (first: ID_000000000)" in capsys.readouterr().err


def test_score_pairs_the_model_with_a_second_submission(tmp_path, capsys):
    rng = np.random.default_rng(1)
    n = 160
    truth = labels(rng, n, 0.2)
    good, weak = predictions(rng, truth, 0.6), predictions(rng, truth, 0.2)
    long_format(truth).to_csv(tmp_path / "labels.csv", index=False)
    long_format(good).to_csv(tmp_path / "sub.csv", index=False)
    long_format(weak.sample(frac=1, random_state=0)).to_csv(tmp_path / "d.csv", index=False)
    pd.DataFrame({"ID": truth["ID"], "PatientID": [f"P{i // 8}" for i in range(n)]}).to_csv(
        tmp_path / "ids.csv", index=False
    )
    (tmp_path / "card.json").write_text(json.dumps({"prior": {s: 0.1 for s in LABELS}}))
    args = ["score", str(tmp_path / "sub.csv"), "--labels", str(tmp_path / "labels.csv")]
    args += ["--groups", str(tmp_path / "ids.csv"), "--card", str(tmp_path / "card.json")]
    args += ["--against", str(tmp_path / "d.csv"), "--against-name", "density", "--bootstrap", "50"]
    page = tmp_path / "page.md"
    assert main([*args, "--out", str(tmp_path / "r.json"), "--table", str(page)]) == 0
    versus = json.loads((tmp_path / "r.json").read_text())["versus"]
    d_auc = roc_auc_score(truth["any"], good["any"]) - roc_auc_score(truth["any"], weak["any"])
    assert versus["name"] == "density"
    assert abs(versus["auc"]["any"] - roc_auc_score(truth["any"], weak["any"])) < 1e-4
    diff = versus["model_minus_it"]["auc_any"]
    assert abs(diff["diff"] - d_auc) < 1e-4 and 0 < diff["low"] <= diff["diff"] <= diff["high"]
    assert "Against density on the same slices" in page.read_text()
    assert "density AUC(any)" in capsys.readouterr().out
    long_format(weak.iloc[2:]).to_csv(tmp_path / "d.csv", index=False)
    assert main([*args, "--out", str(tmp_path / "r2.json")]) == 1
    assert "density: 2 labelled images have no prediction" in capsys.readouterr().err
