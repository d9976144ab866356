"""Patient-disjoint splits with an exact positive ratio; the holdout stays put."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ich.data.splits import SampleSpec, draw, make_splits
from ich.rsna import LABELS

SPEC = SampleSpec(
    seed=3,
    holdout_fraction=0.2,
    val_fraction=0.2,
    series_fraction=0.2,
    positive_ratio=0.5,
    n_train=None,
    n_val=None,
    n_holdout=None,
    holdout_resample=False,
    cv_folds=3,
    cv_fold=None,
)


def with_(**changes) -> SampleSpec:
    return SPEC.model_copy(update=changes)


def table(n_patients: int = 60, per_patient: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_patients * per_patient
    t = pd.DataFrame(
        {
            "row": np.arange(n),
            "ID": [f"ID_{i:09x}" for i in range(n)],
            "PatientID": np.repeat([f"ID_{p:08x}" for p in range(n_patients)], per_patient),
            "StudyInstanceUID": np.repeat([f"ID_{p:010x}" for p in range(n_patients)], per_patient),
        }
    )
    for s in LABELS[:-1]:
        t[s] = (rng.random(n) < 0.05).astype(int)
    t["any"] = t[list(LABELS[:-1])].max(axis=1)
    return t


def test_no_patient_or_study_in_two_splits():
    splits = make_splits(table(), SPEC)
    for key in ("PatientID", "StudyInstanceUID"):
        sets = [set(splits[name][key]) for name in ("train", "val", "holdout")]
        assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2]), key


@pytest.mark.parametrize("ratio", [0.0, 0.3, 0.5, 0.9])
def test_exact_ratio_without_replacement(ratio):
    splits = make_splits(table(), with_(positive_ratio=ratio, n_train=200))
    train = splits["train"]
    assert train["ID"].is_unique
    assert train["any"].sum() == round(ratio * len(train))
    assert len(train) <= 200


def test_ratio_capped_by_what_is_available():
    pool = table(10, 20)
    rng = np.random.default_rng(0)
    got = draw(pool, 0.9, None, rng)
    positives = int(pool["any"].sum())
    assert len(got) == int(positives / 0.9), "as large as the positives allow"
    assert got["any"].sum() == round(0.9 * len(got))


def test_holdout_keeps_natural_prevalence_and_does_not_move():
    t = table()
    base = make_splits(t, SPEC)["holdout"]
    other = make_splits(t, with_(positive_ratio=0.8, n_train=100, n_val=20))["holdout"]
    assert base.equals(other)
    natural = t[t["PatientID"].isin(set(base["PatientID"]))]
    assert base["row"].tolist() == natural["row"].tolist(), "every image of holdout patients"


def test_holdout_resample_uses_the_train_ratio():
    hold = make_splits(table(), with_(holdout_resample=True, positive_ratio=0.9))["holdout"]
    assert hold["any"].sum() == round(0.9 * len(hold))


def test_train_pool_is_every_image_of_the_training_patients_whatever_the_ratio():
    t = table()
    a = make_splits(t, with_(positive_ratio=0.25))
    b = make_splits(t, with_(positive_ratio=0.8, n_train=50))
    assert a["train_pool"].equals(b["train_pool"])
    pool = a["train_pool"]
    assert set(a["train"]["ID"]) <= set(pool["ID"])
    expected = t[t["PatientID"].isin(set(a["train"]["PatientID"]))]
    assert sorted(pool["ID"]) == sorted(expected["ID"])


def test_cv_folds_partition_the_non_holdout_patients_and_keep_the_holdout():
    t = table()
    plain = make_splits(t, SPEC)
    folds = [make_splits(t, with_(cv_fold=k)) for k in range(3)]
    vals = [set(f["val"]["PatientID"]) for f in folds]
    rest = set(t["PatientID"]) - set(plain["holdout"]["PatientID"])
    assert set().union(*vals) == rest and sum(map(len, vals)) == len(rest), "a partition"
    for f, val in zip(folds, vals, strict=True):
        assert f["holdout"].equals(plain["holdout"]), "the holdout does not move"
        series = set(f["series_pool"]["PatientID"])
        assert set(f["train_pool"]["PatientID"]) == rest - val - series
        assert f["val"]["any"].mean() == pytest.approx(0.5, abs=0.02)
    with pytest.raises(ValueError, match=r"folds are numbered 0..2 \(cv_folds 3\)"):
        SampleSpec.model_validate({**SPEC.model_dump(), "cv_fold": 3})


def test_series_patients_are_kept_from_the_slice_model_with_every_image():
    t = table()
    splits = make_splits(t, SPEC)
    series = set(splits["series_pool"]["PatientID"])
    others = {n: set(splits[n]["PatientID"]) for n in ("train", "val", "holdout", "train_pool")}
    assert all(not series & patients for patients in others.values())
    rest = set(t["PatientID"]) - others["holdout"]
    assert len(series) == round(len(rest) * SPEC.series_fraction)
    assert len(splits["series_pool"]) == t["PatientID"].isin(series).sum(), "every image"
    with pytest.raises(ValueError, match="leave no training patients"):
        SampleSpec.model_validate({**SPEC.model_dump(), "series_fraction": 0.8})
