"""Patient-grouped cross-validation (`python -m ich kfold`): folds, leakage, pooled scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from ich.cv.compare import table as compare_table
from ich.cv.oof import score
from ich.cv.split import fold_split
from ich.data.decode import add_positions
from ich.data.splits import patient_folds
from ich.rsna import LABELS, SUBTYPES
from tests.conftest import sequence_spec, train_spec


def cohort(patients: int = 12, slices: int = 6, seed: int = 0) -> pd.DataFrame:
    """One series per patient; a few patients with each subtype on some of their slices."""
    rows = []
    for p in range(patients):
        subtype = SUBTYPES[p % 6] if p % 6 < 5 and p < 10 else None
        for k in range(slices):
            labels = {s: int(s == subtype and 1 <= k <= 3) for s in SUBTYPES}
            rows.append(
                {
                    "ID": f"ID_{p:02d}{k:02d}",
                    "PatientID": f"ID_p{p:02d}",
                    "StudyInstanceUID": f"ID_st{p:02d}",
                    "SeriesInstanceUID": f"ID_se{p:02d}",
                    "z": float(k * 5),
                    **labels,
                }
            )
    table = pd.DataFrame(rows).sample(frac=1, random_state=seed).reset_index(drop=True)
    table.insert(0, "row", np.arange(len(table)))
    table["any"] = table[list(SUBTYPES)].max(axis=1)
    return add_positions(table)


def test_folds_partition_the_patients_and_spread_each_label():
    table = cohort(patients=25)
    fold_of = patient_folds(table, 5, seed=3)
    assert set(fold_of) == set(table["PatientID"]) and set(fold_of.values()) == set(range(5))
    per_patient = table.groupby("PatientID")[list(LABELS)].max()
    for s in SUBTYPES:  # 2 patients of each subtype here: never both in one fold
        folds = [fold_of[p] for p in per_patient.index[per_patient[s] == 1]]
        assert len(folds) == len(set(folds)), s
    sizes = np.bincount(list(fold_of.values()))
    assert sizes.max() - sizes.min() <= 1
    assert patient_folds(table, 5, seed=3) == fold_of  # seeded


def test_a_fold_never_trains_or_stops_on_its_own_patients():
    table = cohort(patients=25)
    fold_of = patient_folds(table, 5, seed=0)
    for f in range(5):
        split = fold_split(table, fold_of, f, 0.2, None, seed=1)
        test = set(split.test["PatientID"])
        assert test == {p for p, g in fold_of.items() if g == f}
        assert not test & set(split.train["PatientID"]) and not test & set(split.val["PatientID"])
        assert not set(split.val["PatientID"]) & set(split.train["PatientID"])
        assert len(split.train) == len(split.train_pool)  # positive_ratio None: every image
        ratio = fold_split(table, fold_of, f, 0.2, 0.5, seed=1).train["any"].mean()
        assert ratio == pytest.approx(0.5, abs=0.05)


def test_pooled_scores_match_scikit_learn():
    rng = np.random.default_rng(4)
    oof = cohort(patients=20)[["ID", "PatientID", *LABELS]].assign(seed=1)
    for s in LABELS:
        oof[f"p_{s}"] = np.clip(oof[s] * 0.3 + rng.uniform(0, 0.7, len(oof)), 0.001, 0.999)
    got = score(oof, "p_", n_boot=20)
    for s in LABELS:
        assert got[s]["auc"] == pytest.approx(roc_auc_score(oof[s], oof[f"p_{s}"]), abs=1e-4)
    assert got["any"]["positive_patients"] == oof.groupby("PatientID")["any"].max().sum()


def test_cross_validation_scores_every_slice_once_out_of_fold(tmp_path, monkeypatch):
    from ich.cv import fit as crossfit

    table = cohort(patients=8, slices=5)
    index = table.drop(columns=list(LABELS))
    images = np.random.default_rng(0).integers(0, 255, (len(table), 8, 8, 3), dtype=np.uint8)
    fold_of = patient_folds(table, 2, seed=0)
    trained_on: list[set] = []
    real_train = crossfit.train

    def spy(spec, images, index, train, val, history, *a):
        trained_on.append(set(train["PatientID"]) | set(val["PatientID"]))
        return real_train(spec, images, index, train, val, history, *a)

    monkeypatch.setattr(crossfit, "train", spy)
    spec = train_spec(epochs=1, cnn={"filters": [4]}, patience=0, batch_size=8)
    oof = crossfit.cross_validate(
        spec, sequence_spec(epochs=1, units=4), images, index, table, fold_of, 0.5, None, tmp_path
    )
    assert len(oof) == len(table) and set(oof["ID"]) == set(table["ID"])
    for f, seen in enumerate(trained_on):  # fold f's model saw none of fold f's patients
        assert not seen & {p for p, g in fold_of.items() if g == f}
    assert (oof["fold"] == oof["PatientID"].map(fold_of)).all()
    for prefix in ("p_", "p_slice_"):
        p = oof[[prefix + s for s in LABELS]].to_numpy()
        assert np.isfinite(p).all() and (p > 0).all() and (p < 1).all()
    other_folds = table[table["PatientID"].map(fold_of) != 0]["any"].mean()
    assert oof.loc[oof["fold"] == 0, "p_prior_any"].round(5).eq(round(other_folds, 5)).all()


def test_a_fold_ensemble_averages_models_that_each_left_out_another_fold(tmp_path, monkeypatch):
    """`--fold-ensemble`: fold f is scored by the models trained without f and one other fold
    g, one per g, so each of the fold's scorers is itself out of fold, and their probabilities
    are averaged. Models stand in for Keras here: each predicts its own constant."""
    from ich.cv import fit as crossfit

    table = cohort(patients=12, slices=4)
    index = table.drop(columns=list(LABELS))
    fold_of = patient_folds(table, 3, seed=0)
    patients_of = {f: {p for p, g in fold_of.items() if g == f} for f in range(3)}
    trained_on: list[set] = []

    def fake_train(spec, images, index, train, val, history, *a):
        trained_on.append(set(train["PatientID"]) | set(val["PatientID"]))
        return 0.1 * len(trained_on), None  # model k predicts 0.1 k for every label

    monkeypatch.setattr(crossfit, "train", fake_train)
    monkeypatch.setattr(
        crossfit, "predict_split", lambda m, i, split, c: np.full((len(split), 6), m)
    )
    monkeypatch.setattr(crossfit, "train_sequence", lambda *a: (None, None))
    monkeypatch.setattr(crossfit, "predict_series", lambda m, x, s: np.full((len(x), 6), 0.5))
    spec = train_spec(epochs=1)
    oof = crossfit.cross_validate(
        spec, sequence_spec(), None, index, table, fold_of, 0.3, None, tmp_path, fold_ensemble=True
    )
    assert len(trained_on) == 3 * 2, "two models per fold"
    for i, seen in enumerate(trained_on):
        f = i // 2  # the fold scored; g: the other fold its model left out
        g = [x for x in range(3) if x != f][i % 2]
        assert seen == patients_of[3 - f - g], "all of the third fold, none of f's or g's"
    for f in range(
        3
    ):  # models 2f + 1 and 2f + 2 score fold f: the mean of 0.1 (2f + 1), 0.1 (2f + 2)
        got = oof.loc[oof["fold"] == f, [f"p_slice_{s}" for s in LABELS]].to_numpy()
        assert got == pytest.approx(0.1 * (2 * f + 1.5), abs=1e-6)
    assert len(oof) == len(table)


def test_paired_table_favours_the_better_recipe():
    rng = np.random.default_rng(2)
    base = cohort(patients=30)[["ID", "PatientID", *LABELS]].assign(seed=1)
    noise = rng.uniform(0, 1, (len(base), len(LABELS)))
    good, bad = base.copy(), base.copy()
    for i, s in enumerate(LABELS):
        for frame, signal in ((good, 0.8), (bad, 0.0)):
            p = np.clip(signal * frame[s] + (1 - signal) * noise[:, i], 0.01, 0.99)
            frame[f"p_{s}"] = frame[f"p_slice_{s}"] = p
    oofs = {"bad": bad, "good": good}
    summaries = {
        n: {"seeds": [1], "series_model": score(o), "slice_model": score(o, "p_slice_")}
        for n, o in oofs.items()
    }
    text = compare_table(summaries, oofs, "bad", n_boot=50)
    row = next(line for line in text.splitlines() if line.startswith("| good"))
    wll, auc = row.split(" | ")[6:8]
    assert wll.startswith("**-") and auc.startswith("**+")  # clearly better, both ways


def test_levers_table_only_pairs_saved_recipes(tmp_path):
    from ich.__main__ import main
    from ich.files import write_csv, write_json

    rng = np.random.default_rng(5)
    base = cohort(patients=20)[["ID", "PatientID", *LABELS]].assign(seed=1)
    for name, signal in (("base", 0.2), ("all", 0.7)):
        oof = base.copy()
        for s in LABELS:
            p = np.clip(signal * oof[s] + (1 - signal) * rng.random(len(oof)), 0.01, 0.99)
            oof[f"p_{s}"] = oof[f"p_slice_{s}"] = p
        write_csv(tmp_path / f"{name}.csv.gz", oof)
        summary = {"seeds": [1], "series_model": score(oof, n_boot=10)}
        write_json(tmp_path / f"{name}.json", {**summary, "slice_model": summary["series_model"]})
    page = tmp_path / "page.md"
    args = ["levers", "WS", "--table-only", "--only", "base,all", "--out", str(tmp_path)]
    assert main([*args, "--boot", "20", "--table", str(page)]) == 0
    text = page.read_text()
    assert "python -m ich levers WORKSPACE --table-only" in text and "| all | 1 |" in text
    assert main([*args, "--only", "base,nonesuch"]) == 1
    # one lever alone is still paired with the reference an earlier run left in OUT
    assert main([*args, "--only", "all", "--boot", "20", "--table", str(page)]) == 0
    assert "| base | 1 |" in page.read_text() and "| all | 1 |" in page.read_text()
    assert main([*args, "--only", "all", "--reference", "nonesuch"]) == 1


def test_seed_ensemble_table_pairs_the_average_with_each_seed():
    """Two seeds whose noise is independent: their average ranks better than either alone, by
    what scikit-learn says of the two AUCs."""
    from ich.cv.compare import ensemble_table

    rng = np.random.default_rng(4)
    base = cohort(patients=30)[["ID", "PatientID", *LABELS]]
    seeds = []
    for seed in (1, 2):
        oof = base.assign(seed=seed)
        for s in LABELS:
            p = np.clip(0.3 * oof[s] + 0.7 * rng.random(len(oof)), 0.01, 0.99)
            oof[f"p_{s}"] = oof[f"p_slice_{s}"] = p
        seeds.append(oof)
    both = pd.concat(seeds, ignore_index=True)
    text = ensemble_table({"r": both, "single": seeds[0]}, n_boot=50)
    rows = [line for line in text.splitlines() if line.startswith("| r |")]
    assert len(rows) == 2 and "single" not in text, "only recipes with several seeds"
    mean = (seeds[0]["p_slice_any"] + seeds[1]["p_slice_any"]) / 2
    for row, one in zip(rows, seeds, strict=True):
        want = roc_auc_score(base["any"], mean) - roc_auc_score(base["any"], one["p_slice_any"])
        assert row.split(" | ")[3].strip("*").startswith(f"{want:+.3f}"), (row, want)
    assert ensemble_table({"single": seeds[0]}) == ""


def test_a_lever_passes_params_changes_as_sets_and_kfold_options_as_they_are(tmp_path):
    import argparse

    from ich.cli.levers import kfold_command
    from ich.cv.levers import LEVERS

    args = argparse.Namespace(workspace=tmp_path, seeds="1", folds=5, out=tmp_path / "out")
    command = kfold_command("x", ["extract.crop=head", "--fold-ensemble"], args)
    assert "-Sextract.crop=head" in command and "--fold-ensemble" in command
    assert "-S--fold-ensemble" not in command
    assert LEVERS["fold_ensemble"] == ["--fold-ensemble"] and "crop" in LEVERS
