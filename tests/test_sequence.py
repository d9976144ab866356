"""The series-level model: slices grouped in z order, padding that changes nothing, a model
that learns what a per-slice model cannot, and the features it reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ich.data.series import SeriesBatches, pad, series_inputs, series_rows, split_series
from ich.model.sequence import build_sequence, predict_series, train_sequence
from ich.rsna import LABELS
from tests.conftest import sequence_spec, train_spec


def index_of(series: dict[str, list[float]]) -> pd.DataFrame:
    """An extract-like index: rows numbered in the given order, positions ranked by z."""
    rows = [(uid, z) for uid, zs in series.items() for z in zs]
    index = pd.DataFrame(rows, columns=["SeriesInstanceUID", "z"])
    index.insert(0, "row", np.arange(len(index)))
    index["ID"] = [f"ID_{k:09d}" for k in range(len(index))]
    index["PatientID"] = index["SeriesInstanceUID"].str[:2]
    index["position"] = index.groupby("SeriesInstanceUID")["z"].rank(method="first") - 1
    length = index.groupby("SeriesInstanceUID")["z"].transform("size")
    index["relative_position"] = index["position"] / (length - 1)
    return index


def test_series_rows_follow_z_and_splits_take_whole_series():
    index = index_of({"P1_b": [3.0, 1.0, 2.0], "P1_a": [10.0, 5.0], "P2_c": [7.0]})
    got = series_rows(index)
    assert [r.tolist() for r in got] == [[4, 3], [1, 2, 0], [5]]  # by UID, then by z
    sampled = pd.DataFrame({"PatientID": ["P1"]})  # a split that drew one slice of P1
    assert [r.tolist() for r in split_series(index, {"s": sampled})["s"]] == [[4, 3], [1, 2, 0]]
    inputs = series_inputs(np.ones((6, 2), np.float32), index)
    assert inputs.shape == (6, 3) and inputs[0, 2] == 1.0 and inputs[1, 2] == 0.0


def test_batches_pad_and_mask_every_series():
    values = np.arange(10, dtype=np.float32).reshape(10, 1) + 1
    series = [np.array([0, 1, 2]), np.array([5]), np.array([9, 8])]
    x, mask = pad(series, values)
    assert x[:, :, 0].tolist() == [[1, 2, 3], [6, 0, 0], [10, 9, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0], [1, 1, 0]]
    batches = SeriesBatches(values, values, series, batch_size=2, seed=0)
    seen = [int(m) for i in range(len(batches)) for m in batches[i][2].sum(axis=1)]
    assert len(batches) == 2 and sorted(seen) == [1, 2, 3]
    assert {batches[i][0][0].shape[1] for i in range(2)} == {3}, "one shape for Keras"
    assert pad(series, values, 5)[1].sum(axis=1).tolist() == [3, 1, 2]


def test_a_series_prediction_does_not_depend_on_its_batch():
    """The mask keeps padding out of the backward GRU: alone or beside a longer series, the
    same probabilities."""
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(40, 5)).astype(np.float32)
    model = build_sequence(sequence_spec(units=4), 5, np.zeros(5), np.ones(5))
    short, long = np.arange(0, 6), np.arange(6, 40)
    alone = predict_series(model, inputs, [short])[short]
    beside = predict_series(model, inputs, [short, long])[short]
    np.testing.assert_allclose(alone, beside, rtol=1e-5, atol=1e-6)
    assert predict_series(model, inputs, [short])[long].sum() == 0, "rows in no series stay 0"


def test_learns_what_no_single_slice_shows(tmp_path):
    """Each slice's label is whether its *previous* slice's feature is positive: no per-slice
    model can beat chance, the series model must read its neighbours."""
    from ich.eval.metrics import roc_auc

    rng = np.random.default_rng(1)
    n_series, length = 160, 12
    feature = rng.normal(size=(n_series * length, 1)).astype(np.float32)
    labels = np.zeros((len(feature), len(LABELS)), np.float32)
    series = [np.arange(k * length, (k + 1) * length) for k in range(n_series)]
    for rows in series:
        labels[rows[1:], :] = (feature[rows[:-1], 0] > 0)[:, None]
    inputs = np.concatenate([feature, np.zeros_like(feature)], axis=1)
    spec = sequence_spec(units=8, dropout=0.0, epochs=25, batch_size=16, learning_rate=0.01)
    model, summary = train_sequence(
        spec, inputs, labels, series[:120], series[120:], tmp_path / "history.csv"
    )
    held = np.concatenate(series[120:])
    p = predict_series(model, inputs, series[120:])[held]
    assert roc_auc(labels[held, 0], feature[held, 0]) < 0.6, "the slice itself says nothing"
    assert roc_auc(labels[held, 0], p[:, 0]) > 0.95
    assert summary["train_series"] == 120 and (tmp_path / "history.csv").exists()


@pytest.mark.parametrize("name", ["cnn", "mlp"])
def test_embedding_is_the_heads_input(name):
    """Features x the last layer's weights, through a sigmoid, give the model's probabilities."""
    import keras

    from ich.model.embedding import embed_index
    from ich.model.networks import build

    keras.utils.set_random_seed(0)
    spec = train_spec(model=name, cnn={"filters": [4, 8]})
    stats = 16 * 16 * 3 if name == "mlp" else 3  # the seed's MLP standardises per pixel
    model = build(spec, (16, 16, 3), np.full(stats, 100.0), np.full(stats, 900.0))
    images = np.random.default_rng(0).integers(0, 255, (7, 16, 16, 3), dtype=np.uint8)
    index = index_of({"P1_a": [1.0, 2.0, 3.0], "P1_b": [4.0, 5.0, 6.0]})  # row 6: rejected
    features, probs = embed_index(model, {"context": False}, images, index)
    kernel, bias = (np.asarray(w) for w in model.layers[-1].weights)
    head = 1 / (1 + np.exp(-(features[:6] @ kernel + bias)))
    np.testing.assert_allclose(head, probs[:6], atol=1e-5)
    np.testing.assert_allclose(probs[:6], model.predict(images[:6], verbose=0), atol=1e-6)
    assert not features[6].any() and features.shape[0] == 7


def test_flip_is_the_mean_over_the_slice_and_its_mirror():
    import keras

    from ich.model.embedding import embed_index
    from ich.model.networks import build

    keras.utils.set_random_seed(0)
    model = build(train_spec(cnn={"filters": [4, 8]}), (16, 16, 3), np.full(3, 99.0), np.ones(3))
    images = np.random.default_rng(1).integers(0, 255, (6, 16, 16, 3), dtype=np.uint8)
    index = index_of({"P1_a": [1.0, 2.0, 3.0], "P1_b": [4.0, 5.0, 6.0]})
    plain = embed_index(model, {}, images, index)
    mirrored = embed_index(model, {}, np.ascontiguousarray(images[:, :, ::-1]), index)
    flipped = embed_index(model, {}, images, index, flip=True)
    for got, a, b in zip(flipped, plain, mirrored, strict=True):
        np.testing.assert_allclose(got, (a + b) / 2, atol=1e-6)
    assert not np.allclose(flipped[0], plain[0], atol=1e-4), "the mirror does change them"


def test_sequence_cv_pairs_each_fold_seed_with_itself(monkeypatch):
    """`python -m ich sequence-cv`: the fold's params and the change are trained at the same
    seeds, the fold's own seed first (the only one with a recorded score)."""
    from ich.eval import sequence_cv

    calls = []

    def fake_score(data, spec):
        calls.append((spec.units, spec.seed))
        return spec.units / 100 + spec.seed / 1e5

    monkeypatch.setattr(sequence_cv, "val_score", fake_score)
    spec, wider = sequence_spec(units=4), sequence_spec(units=8)
    got = sequence_cv.trials("f0", 0, None, spec, wider, seeds=2, recorded=0.5)
    s = spec.seed
    assert calls == [(4, s), (8, s), (4, s + 100), (8, s + 100)]
    assert [t.recorded for t in got] == [0.5, None] and [t.seed for t in got] == [s, s + 100]
    assert all(t.variant - t.baseline == pytest.approx(0.04) for t in got)
    assert "0/2 below 0" in sequence_cv.table(got, {"units": 8})


def test_sequence_cv_retrains_as_reproducibly_as_the_stage():
    """The same spec and seed give the same score (what lets a retrained fold equal its
    experiment's record); another seed gives another model."""
    from ich.eval.sequence_cv import val_score
    from ich.eval.sequence_inputs import SequenceInputs

    rng = np.random.default_rng(2)
    index = index_of({f"P{k}_a": list(range(8)) for k in range(10, 30)})
    features = rng.normal(size=(len(index), 3)).astype(np.float32)
    labels = np.repeat((features[:, :1] > 0.5).astype(np.float32), len(LABELS), axis=1)
    rows = series_rows(index)
    data = SequenceInputs(
        index=index,
        inputs=series_inputs(features, index),
        labels=labels,
        series={"series_pool": rows[:14], "val": rows[14:]},
        slice_probs=np.full(labels.shape, 0.3),
        slice_card={},
    )
    spec = sequence_spec(units=4, epochs=2, patience=0)
    first = val_score(data, spec)
    assert val_score(data, spec) == first
    assert val_score(data, spec.model_copy(update={"seed": spec.seed + 100})) != first


def test_sequence_cv_changes_are_key_value():
    from ich.cli.sequence_cv import parse_changes
    from ich.errors import InputError

    assert parse_changes(["units=64", "sequence.dropout=0.4"]) == {"units": 64, "dropout": 0.4}
    with pytest.raises(InputError, match="KEY=VALUE"):
        parse_changes(["units"])
    with pytest.raises(InputError, match="at least one"):
        parse_changes([])


def test_sequence_cv_retrains_on_the_folds_backend_and_refuses_a_mix(monkeypatch):
    import argparse

    from ich.cli import sequence_cv
    from ich.errors import InputError
    from ich.eval import compare
    from ich.eval.compare import Row

    own = {f"sequence.{k}": v for k, v in sequence_spec().model_dump().items()}

    def folds(backends):
        return [
            Row(f"f{k}", {**own, "sample.cv_fold": k, "train.backend": b}, {})
            for k, b in enumerate(backends)
        ]

    args = argparse.Namespace(prefix="f", set=["units=8"], all_commits=False, seeds=1)
    monkeypatch.setattr(compare, "experiments", lambda _: folds(["tensorflow", "jax"]))
    with pytest.raises(InputError, match=r"different backends \(jax, tensorflow\)"):
        sequence_cv.run(args)
    chosen = []
    monkeypatch.setattr(sequence_cv, "use", chosen.append)
    monkeypatch.setattr(compare, "experiments", lambda _: folds([None, "tensorflow"]))
    monkeypatch.setattr("ich.eval.sequence_inputs.at_revision", lambda rev: 1 / 0)
    with pytest.raises(ZeroDivisionError):  # stopped where the folds' features are read
        sequence_cv.run(args)
    assert chosen == ["tensorflow"], "no train.backend recorded: tensorflow, as then"


def test_provenance_names_each_slice_by_its_array_row_and_what_the_slice_model_saw():
    """Rows of the index are array rows with gaps (rejected files): provenance maps a series'
    rows through the `row` column, not by position."""
    from ich.eval.sequence_inputs import SequenceInputs

    index = index_of({"P1_a": [1.0, 2.0], "P2_a": [1.0, 2.0], "P3_a": [1.0, 2.0]})
    index["row"] = [0, 2, 3, 5, 6, 8]  # rows 1, 4 and 7 were rejected
    rows = series_rows(index)
    data = SequenceInputs(
        index=index,
        inputs=np.zeros((9, 2), np.float32),
        labels=np.zeros((9, len(LABELS)), np.float32),
        series={"series_pool": rows[:2], "val": rows[2:]},
        slice_probs=np.zeros((9, len(LABELS))),
        slice_card={},
    )
    got = data.provenance(index[index["PatientID"] == "P2"])
    assert got["ID"].tolist() == index["ID"].tolist()
    assert got["role"].tolist() == ["fit"] * 4 + ["early_stopping"] * 2
    assert got["slice_model_trained_on"].tolist() == [False, False, True, True, False, False]
