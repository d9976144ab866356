"""The real-CT cross-validation's stages (`ich.cv.folds`, `ich.cv.pipeline`): folds dealt as
every cross-validation deals them, each fold predicted by a model fit on the others only, the
pooled figures and the pairing with the density baseline checked against scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ich.cv.folds import CVSpec, deal_folds
from ich.cv.pipeline import density_oof, figures, fit_density_fold, pool
from ich.data.splits import patient_folds
from tests.test_kfold import cohort

SPEC = CVSpec(folds=[0, 1, 2], fold_seed=0, seeds=[1], model="density", val_fraction=0.2)
INFO = {"features": ["signal", "noise"], "version": "t", "base": 8}


def features(table: pd.DataFrame, seed: int = 0) -> np.ndarray:
    """By array row: a feature that tells `any`, and one that does not."""
    rng = np.random.default_rng(seed)
    x = np.zeros((int(table["row"].max()) + 1, 2))
    rows = table["row"].to_numpy()
    x[rows, 0] = table["any"].to_numpy() * 1.5 + rng.normal(size=len(rows))
    x[rows, 1] = rng.normal(size=len(rows))
    return x


def test_folds_are_the_project_fold_assignment_and_numbered_in_order():
    table = cohort(patients=18)
    folds = deal_folds(table, SPEC)
    assert dict(zip(folds["PatientID"], folds["fold"], strict=True)) == patient_folds(table, 3, 0)
    with pytest.raises(ValidationError, match="number the folds 0..1 in order"):
        CVSpec(folds=[0, 2], fold_seed=0, seeds=[1], model="density", val_fraction=0.2)


def test_each_fold_is_predicted_by_a_model_of_the_other_folds_only():
    table = cohort(patients=24, slices=8).sort_values("row").reset_index(drop=True)
    folds = deal_folds(table, SPEC)
    x = features(table)
    rows = [fit_density_fold(k, 0.1, x, INFO, table, folds) for k in SPEC.folds]
    oof = pool(SPEC, rows, [], table, folds, None)
    assert len(oof) == len(table) and set(oof["ID"]) == set(table["ID"])
    fold_of = dict(zip(folds["PatientID"], folds["fold"], strict=True))
    assert (oof["fold"] == oof["PatientID"].map(fold_of)).all()
    k = 1
    train = table[table["PatientID"].map(fold_of) != k]
    test = table[table["PatientID"].map(fold_of) == k]
    reference = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))
    reference.fit(x[train["row"]], train["any"])
    expected = reference.predict_proba(x[test["row"]])[:, 1]
    got = oof.set_index("ID").loc[test["ID"], "p_slice_any"].to_numpy()
    np.testing.assert_allclose(got, expected, atol=2e-6)  # rounded to 6 places
    with pytest.raises(ValueError, match="no out-of-fold prediction for"):
        pool(SPEC, rows[:2], [], table, folds, None)


def test_the_figures_pair_the_recipe_with_the_density_baseline_as_scikit_learn_scores_them():
    table = cohort(patients=24, slices=8).sort_values("row").reset_index(drop=True)
    folds = deal_folds(table, SPEC)
    x = features(table)
    density = density_oof(0.1, x, INFO, table, folds)
    weaker = pool(
        SPEC,
        [fit_density_fold(k, 0.1, features(table, seed=5), INFO, table, folds) for k in SPEC.folds],
        [],
        table,
        folds,
        None,
    )
    weaker["p_any"] = 0.5 * weaker["p_any"] + 0.5 * np.random.default_rng(2).random(len(weaker))
    headline, report = figures(weaker, density, n_boot=30)
    by_id = density.set_index("ID").loc[weaker["ID"]]
    want = roc_auc_score(weaker["any"], weaker["p_any"])
    assert headline["auc_any"] == pytest.approx(want, abs=1e-4)
    assert headline["density_auc_any"] == pytest.approx(
        roc_auc_score(by_id["any"], by_id["p_any"]), abs=1e-4
    )
    diff = headline["model_minus_density_auc_any"]
    assert diff["diff"] == pytest.approx(want - headline["density_auc_any"], abs=2e-4)
    assert diff["low"] <= diff["diff"] <= diff["high"]
    assert report["slices"] == len(table) and headline["prior_weighted_log_loss"] > 0


def test_a_network_fold_trains_a_model_per_seed_and_the_series_model_stacks_on_all_folds(
    monkeypatch, tmp_path, project_params
):
    """The network path's glue, the training itself faked: each fold stage trains one slice
    model per seed on the fold's complement, and the pooling hands the series model each seed's
    out-of-fold probabilities with each fold's early-stopping patients."""
    from ich.cv import fit
    from ich.cv.pipeline import fit_network_fold

    table = cohort(patients=18).sort_values("row").reset_index(drop=True)
    spec = CVSpec(folds=[0, 1, 2], fold_seed=0, seeds=[1, 2], model="network", val_fraction=0.2)
    folds = deal_folds(table, spec)
    trained = []

    def fake_slice_fold(train_spec, images, index, kept, fold_of, fold, val, ratio, history):
        trained.append((fold, train_spec.seed))
        in_fold = kept["PatientID"].map(fold_of) == fold
        assert len(kept) == len(table), "the fold is split from every slice inside"
        return np.full((int(in_fold.sum()), 6), train_spec.seed / 10), {f"stop{fold}"}

    monkeypatch.setattr(fit, "slice_fold", fake_slice_fold)
    p = project_params
    fits, val = zip(
        *(fit_network_fold(k, spec, p, None, None, table, folds, tmp_path) for k in spec.folds),
        strict=True,
    )
    assert trained == [(k, s) for k in spec.folds for s in (1, 2)]
    assert val[1] == {"1": ["stop1"], "2": ["stop1"]}
    stacked = []

    def series(p_slice, stopped, seed):
        stacked.append((seed, stopped))
        return np.full_like(p_slice, 0.5)

    oof = pool(spec, list(fits), list(val), table, folds, series)
    assert [s for s, _ in stacked] == [1, 2]
    assert stacked[0][1] == {k: {f"stop{k}"} for k in spec.folds}
    assert (oof.loc[oof["seed"] == 2, "p_slice_any"] == 0.2).all() and (oof["p_any"] == 0.5).all()
    assert len(oof) == 2 * len(table)
