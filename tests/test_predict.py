"""The predict command: Kaggle format on the real fixture series, the same numbers as evaluate,
corrupt files reported while the rest are predicted."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from ich.data.decode import decode
from ich.data.extract import Settings, extract
from ich.data.inputs import gather
from ich.data.series import series_inputs, series_rows
from ich.model.embedding import embed_index
from ich.model.networks import build
from ich.model.sequence import build_sequence, predict_series
from ich.rsna import LABELS
from tests.conftest import THE_FIXTURE, sequence_spec, train_spec

# Derived from a 96 px base, windowed at 48 px first: predict must take the base grid and
# `window_at` from the card as the pipeline's decode and extract do.
SETTINGS = Settings(24, ((40, 80), (80, 200)), window_at=48, base=96, shard_size=16)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """Small untrained-but-deterministic models saved as the train and sequence stages save
    them: slice/ (a CNN on 8 features) and sequence/ (a GRU on those features)."""
    import keras

    root = tmp_path_factory.mktemp("models")
    out = root / "slice"
    out.mkdir()
    keras.utils.set_random_seed(0)
    spec = train_spec(model="cnn", dropout=[0.2, 0.2], cnn={"filters": [4, 8]})
    model = build(spec, (24, 24, 6), np.full(6, 100.0), np.full(6, 900.0))
    model.save(out / "model.keras")
    (root / "sequence").mkdir()
    sequence = build_sequence(sequence_spec(units=4), 8 + 1, np.zeros(9), np.ones(9))
    sequence.save(root / "sequence" / "model.keras")
    card = {
        "embed": {"flip": True},
        "prior": {s: 0.1 for s in LABELS},
        "thresholds": {s: 0.45 for s in LABELS},
    }
    (root / "sequence" / "card.json").write_text(json.dumps(card))
    prep = {
        "resolution": 24,
        "windows": [[40, 80], [80, 200]],
        "window_at": 48,
        "base": 96,
        "context": True,
        "prior": {s: 0.1 for s in LABELS},
        "train_prior": {s: 0.4 for s in LABELS},
        "thresholds": {s: 0.3 for s in LABELS},
    }
    (out / "preprocessing.json").write_text(json.dumps(prep))
    return root


def models(model_dir, sequence: bool = True) -> list[str]:
    chain = str(model_dir / "sequence" / "model.keras") if sequence else "none"
    return ["--model", str(model_dir / "slice" / "model.keras"), "--sequence", chain]


def run_predict(args: list[str]) -> None:
    from ich.__main__ import main

    assert main(["predict", *args]) == 0


def test_fixture_series_submission_format(fixture_files, model_dir, tmp_path):
    out = tmp_path / "sub.csv"
    studies = tmp_path / "studies.csv"
    run_predict(
        [
            str(fixture_files[0].parent),
            *models(model_dir),
            "--out",
            str(out),
            "--studies",
            str(studies),
        ]
    )
    sub = pd.read_csv(out)
    assert list(sub.columns) == ["ID", "Label"] and len(sub) == len(fixture_files) * 6
    parts = sub["ID"].str.extract(r"^(ID_[0-9a-f]{9})_(\w+)$")
    assert parts.notna().all().all()
    assert (parts[1].to_numpy().reshape(-1, 6) == np.array(LABELS)).all()
    assert set(parts[0]) == {f.stem for f in fixture_files}
    assert sub["Label"].between(0, 1).all()
    summary = pd.read_csv(studies)
    assert summary["slices"].sum() == len(fixture_files)
    if THE_FIXTURE:
        assert summary["StudyInstanceUID"].tolist() == ["ID_1f6d1e8aeb"]
        p_any = sub.loc[sub["ID"].str.endswith("_any"), "Label"]
        assert summary["slices_above"][0] == (p_any >= 0.45).sum(), "the series model's threshold"


def test_same_numbers_as_evaluate_and_corrupt_file_reported(
    tiny_dataset, model_dir, tmp_path, capsys
):
    import keras

    from ich.data.neighbours import neighbour_rows

    folder = tmp_path / "in"
    shutil.copytree(tiny_dataset[0] / "stage_2_train", folder)
    (folder / "ID_0badf11e0.dcm").write_bytes(b"not a dicom file")
    sample = pd.read_csv(tiny_dataset[0] / "stage_2_train.csv").drop_duplicates()
    out = tmp_path / "sub.csv"
    run_predict([str(folder), *models(model_dir, sequence=False), "--out", str(out)])
    err = capsys.readouterr().err
    assert "ID_0badf11e0.dcm (not_dicom" in err and "ID_6431af929.dcm (truncated" in err
    sub = pd.read_csv(out).set_index("ID")["Label"]
    # What evaluate computes: the decoded and extracted array, neighbours from the index,
    # model.predict.
    ids = sorted({i[:12] for i in sample["ID"]})
    index, _, areas = decode(ids, folder, tmp_path / "ex" / "codes.npy", 96, workers=1)
    extract(tmp_path / "ex" / "codes.npy", areas, tmp_path / "ex" / "images.npy", SETTINGS, 1)
    images = np.load(tmp_path / "ex" / "images.npy")
    model = keras.saving.load_model(model_dir / "slice" / "model.keras", compile=False)
    x = gather(images, index["row"].to_numpy(), neighbour_rows(index))
    # on the natural scale: odds times (0.1 / 0.9) / (0.4 / 0.6), worked out by hand
    odds = model.predict(x, verbose=0).astype(np.float64)
    odds = odds / (1 - odds) * (0.1 / 0.9) / (0.4 / 0.6)
    p = odds / (1 + odds)
    for k, image_id in enumerate(index["ID"]):
        for j, s in enumerate(LABELS):
            assert sub[f"{image_id}_{s}"] == pytest.approx(float(p[k, j]), abs=1e-6)
    assert len(sub) == 6 * len(index)
    # With the series model: evaluate's route is embed, then the series of the index.
    run_predict([str(folder), *models(model_dir), "--out", str(out)])
    sub = pd.read_csv(out).set_index("ID")["Label"]
    sequence = keras.saving.load_model(model_dir / "sequence" / "model.keras", compile=False)
    features, _ = embed_index(model, {"context": True}, images, index, flip=True)
    p = predict_series(sequence, series_inputs(features, index), series_rows(index))
    for image_id, row in zip(index["ID"], index["row"], strict=True):
        for j, s in enumerate(LABELS):
            assert sub[f"{image_id}_{s}"] == pytest.approx(float(p[row, j]), abs=1e-6)


def test_sample_submission_order_and_fallback(tiny_dataset, model_dir, tmp_path):
    from ich.__main__ import main

    folder = tmp_path / "test"
    shutil.copytree(tiny_dataset[0] / "stage_2_test", folder)
    broken = sorted(folder.glob("*.dcm"))[0]
    broken.write_bytes(b"not a dicom file")  # one of the sample submission's images
    sample = tiny_dataset[0] / "stage_2_sample_submission.csv"
    out = tmp_path / "sub.csv"
    args = ["predict", str(folder), *models(model_dir)]
    args += ["--sample-submission", str(sample), "--out", str(out)]
    # decoded in this process: the CLI forks its decoders before Keras loads, but here Keras
    # (under JAX too, in make test's JAX run, where this test runs again) is already loaded
    args += ["--workers", "1"]
    assert main(args) == 1, "one image of a few missing is under 99%"
    assert not out.exists()
    assert main([*args, "--allow-missing"]) == 0
    sub, order = pd.read_csv(out), pd.read_csv(sample)
    assert sub["ID"].tolist() == order["ID"].tolist()
    fallback = sub[sub["ID"].str.startswith(broken.stem)]
    assert len(fallback) == 6 and (fallback["Label"] == 0.1).all(), "the natural prior"
    rest = sub[~sub["ID"].str.startswith(broken.stem)]
    assert rest["Label"].between(0, 1).all() and not (rest["Label"] == 0.1).all()


def test_most_images_missing_is_an_error(tiny_dataset, model_dir, tmp_path, capsys):
    from ich.__main__ import main

    one = tmp_path / "one"
    one.mkdir()
    first = sorted((tiny_dataset[0] / "stage_2_test").glob("*.dcm"))[0]
    shutil.copy(first, one / first.name)
    sample = tiny_dataset[0] / "stage_2_sample_submission.csv"
    args = ["predict", str(one), *models(model_dir)]
    assert main([*args, "--sample-submission", str(sample), "--out", str(tmp_path / "s.csv")]) == 1
    err = capsys.readouterr().err
    assert "predicted 1 of the sample submission's" in err
    assert "phantom" not in err  # a card that does not say so gets no warning


def test_a_phantom_trained_model_is_flagged(tiny_dataset, model_dir, tmp_path, capsys):
    from ich.__main__ import main

    phantom = tmp_path / "models"
    shutil.copytree(model_dir, phantom)
    card_path = phantom / "slice" / "preprocessing.json"
    card = json.loads(card_path.read_text())
    card["trained_on"] = {"labels_csv": "data/source/stage_2_train.csv", "phantom": True}
    card_path.write_text(json.dumps(card))
    first = sorted((tiny_dataset[0] / "stage_2_test").glob("*.dcm"))[0]
    args = ["predict", str(first), *models(phantom), "--out", str(tmp_path / "s.csv")]
    assert main([*args, "--workers", "1"]) == 0
    assert "trained on the synthetic phantom" in capsys.readouterr().err


def test_mapped_rows_read_what_the_file_holds(tmp_path):
    """predict reads the decoded images a batch at a time through short-lived maps: the same
    rows as the whole array, in any order, with neighbours' channels too."""
    from ich.predict import MappedRows

    images = np.random.default_rng(0).integers(0, 255, (50, 6, 6, 3), dtype=np.uint8)
    np.save(tmp_path / "images.npy", images)
    rows = MappedRows(tmp_path / "images.npy")
    assert len(rows) == 50 and rows.shape == images.shape
    for picked in (np.array([7]), np.array([49, 3, 20]), np.arange(10, 40)):
        np.testing.assert_array_equal(rows[picked], images[picked])
    prev, nxt = np.maximum(np.arange(50) - 1, 0), np.minimum(np.arange(50) + 1, 49)
    picked = np.array([5, 30, 12])
    np.testing.assert_array_equal(
        gather(rows, picked, (prev, nxt)), gather(images, picked, (prev, nxt))
    )
