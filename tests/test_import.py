"""`python -m ich import ct-ich`: both editions -> the RSNA layout the stages read."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pydicom
import pytest
from PIL import Image

from ich.__main__ import main
from ich.data.labels import read_long, to_wide
from ich.importers import ct_ich
from ich.rsna import LABELS

CSV_HEAD = (
    "PatientNumber,SliceNumber,Intraventricular,Intraparenchymal,Subarachnoid,Epidural,"
    "Subdural,No_Hemorrhage,Fracture_Yes_No\n"
)


def _label_row(patient: int, number: int, epidural: int = 0, subdural: int = 0) -> str:
    none = int(not (epidural or subdural))
    return f"{patient},{number},0,0,0,{epidural},{subdural},{none},0\n"


def jpg_edition(root: Path, size: int = 40) -> Path:
    """Two patients, three slices each, in the JPG layout; one labelled slice has no image and
    one image has no label row."""
    rng = np.random.default_rng(0)
    for patient in (49, 50):
        for number in (1, 2, 3):
            for window in ("brain", "bone"):
                folder = root / "Patients_CT" / f"{patient:03d}" / window
                folder.mkdir(parents=True, exist_ok=True)
                grey = rng.integers(0, 256, (size, size), dtype=np.uint8)
                Image.fromarray(grey).save(folder / f"{number}.jpg", quality=95)
    rows = [_label_row(49, 1), _label_row(49, 2, epidural=1), _label_row(49, 3, 1, 1)]
    rows += [_label_row(50, 1), _label_row(50, 2), _label_row(50, 4)]  # 50/3 unlabelled
    (root / ct_ich.JPG_LABELS).write_text(CSV_HEAD + "".join(rows))
    return root


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(f.relative_to(folder).as_posix().encode() + f.read_bytes())
    return h.hexdigest()


def test_windows_are_inverted_as_the_convention_says():
    brain = np.array([[0, 1, 128, 254, 255, 0]], np.uint8)
    bone = np.array([[0, 9, 9, 9, 200, 40]], np.uint8)
    hu = ct_ich.hu_from_windows(brain, bone)
    expected = [-1000.0, -20 + 120 / 255, -20 + 128 * 120 / 255, -20 + 254 * 120 / 255]
    expected += [-900 + 200 * 3200 / 255, -900 + 40 * 3200 / 255]
    np.testing.assert_allclose(hu[0], expected)


def test_resampling_keeps_a_linear_ramp_and_constant_images():
    ramp = np.tile(np.arange(650, dtype=np.float64), (650, 1))
    out = ct_ich.resample(ramp)
    assert out.shape == (512, 512)
    inner = out[:, 2:-2]  # away from the clamped borders a linear ramp stays linear
    np.testing.assert_allclose(np.diff(inner, axis=1), 650 / 512, atol=1e-9)
    np.testing.assert_array_equal(ct_ich.resample(np.full((650, 600), 37.0)), 37.0)


def test_jpg_edition_imports_to_the_rsna_layout(tmp_path, capsys):
    src = jpg_edition(tmp_path / "src")
    out = tmp_path / "out"
    assert main(["import", "ct-ich", str(src), "--out", str(out), "--workers", "2"]) == 0
    report = json.loads((out / "import.json").read_text())
    assert report["images"] == 6 and report["labelled_images"] == 5
    assert report["labelled_without_image"] == {"count": 1, "first": ["patient 50 slice 4"]}
    assert report["image_without_label"] == {"count": 1, "first": ["patient 50 slice 3"]}
    assert "1 labelled without images" in capsys.readouterr().out
    wide, _ = to_wide(read_long(out / "stage_2_train.csv"))
    ids = pd.read_csv(out / "ids.csv")
    table = wide.merge(ids, on="ID", validate="one_to_one")
    assert len(table) == 5
    got = table.set_index(["patient", "slice"])[list(LABELS)]
    assert got.loc[(49, 2)].tolist() == [1, 0, 0, 0, 0, 1]
    assert got.loc[(49, 3)].tolist() == [1, 0, 0, 0, 1, 1]
    assert got.loc[(50, 1)].tolist() == [0] * 6
    # every image is a DICOM whose pixels are the conventions' HU (pydicom as the reader)
    for row in ids.itertuples():
        ds = pydicom.dcmread(out / "stage_2_train" / f"{row.ID}.dcm")
        assert (ds.Rows, ds.Columns) == (512, 512)
        assert ds.PatientID == row.PatientID and ds.SOPInstanceUID == row.ID
        assert float(ds.ImagePositionPatient[2]) == 5.0 * (row.slice - 1)
        assert float(ds.RescaleIntercept) == -1024 and float(ds.PixelSpacing[0]) == 0.488281
        folder = src / "Patients_CT" / f"{row.patient:03d}"
        brain, bone = (
            np.asarray(Image.open(folder / w / f"{row.slice}.jpg")) for w in ("brain", "bone")
        )
        expected = np.rint(ct_ich.resample(ct_ich.hu_from_windows(brain, bone)))
        hu = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + ds.RescaleIntercept
        np.testing.assert_array_equal(hu, expected)
    assert len({r.SeriesInstanceUID for r in ids.itertuples()}) == 2


def test_a_rerun_writes_the_same_bytes_with_any_worker_count(tmp_path):
    src = jpg_edition(tmp_path / "src")
    main(["import", "ct-ich", str(src), "--out", str(tmp_path / "a"), "--workers", "1"])
    main(["import", "ct-ich", str(src), "--out", str(tmp_path / "b"), "--workers", "2"])
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_images_only_goes_to_the_test_folder(tmp_path):
    src = jpg_edition(tmp_path / "src")
    out = tmp_path / "out"
    main(["import", "ct-ich", str(src), "--out", str(out), "--images-only", "--workers", "1"])
    assert len(list((out / "stage_2_test").glob("*.dcm"))) == 6
    assert not (out / "stage_2_train.csv").exists()


def test_nifti_edition_keeps_true_hu(tmp_path):
    nibabel = pytest.importorskip("nibabel")
    src = tmp_path / "src"
    (src / "ct_scans").mkdir(parents=True)
    rng = np.random.default_rng(1)
    volume = rng.integers(-1000, 2000, (512, 512, 3)).astype(np.int16)
    nibabel.save(nibabel.Nifti1Image(volume, np.eye(4)), src / "ct_scans" / "066.nii")
    rows = [_label_row(66, 1), _label_row(66, 2, subdural=1), _label_row(66, 3)]
    (src / ct_ich.NIFTI_LABELS).write_text(CSV_HEAD + "".join(rows))
    out = tmp_path / "out"
    assert main(["import", "ct-ich", str(src), "--out", str(out), "--workers", "1"]) == 0
    ids = pd.read_csv(out / "ids.csv")
    for row in ids.itertuples():
        ds = pydicom.dcmread(out / "stage_2_train" / f"{row.ID}.dcm")
        hu = ds.pixel_array.astype(np.int32) + int(ds.RescaleIntercept)
        np.testing.assert_array_equal(hu, volume[:, :, row.slice - 1].T)
    wide, _ = to_wide(read_long(out / "stage_2_train.csv"))
    assert wide.merge(ids, on="ID").set_index("slice")["subdural"].to_dict() == {1: 0, 2: 1, 3: 0}


def test_other_layouts_and_bad_labels_are_refused(tmp_path, capsys):
    (tmp_path / "elsewhere" / "scans").mkdir(parents=True)
    assert main(["import", "ct-ich", str(tmp_path / "elsewhere"), "--out", str(tmp_path / "o")])
    assert "not a CT-ICH folder" in capsys.readouterr().err
    src = jpg_edition(tmp_path / "src")
    (src / ct_ich.JPG_LABELS).write_text(CSV_HEAD + "49,1,0,0,0,1,0,1,0\n")
    assert main(["import", "ct-ich", str(src), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "hemorrhage_diagnosis.csv: line 2: No_Hemorrhage contradicts" in err
    assert not (tmp_path / "o").exists()  # nothing half-written
    (src / "Patients_CT" / "049" / "bone" / "2.jpg").unlink()
    assert main(["import", "ct-ich", str(src), "--out", str(tmp_path / "o")]) == 1
    assert "2.jpg: no bone-window image beside it" in capsys.readouterr().err


def test_an_import_cross_validates_end_to_end(tmp_path, capsys):
    """import -> workspace (the data stages) -> kfold: every labelled slice scored out of fold."""
    rng = np.random.default_rng(3)
    src = tmp_path / "src"
    rows = []
    for patient in range(60, 66):
        for number in (1, 2, 3):
            for window in ("brain", "bone"):
                folder = src / "Patients_CT" / f"{patient:03d}" / window
                folder.mkdir(parents=True, exist_ok=True)
                grey = rng.integers(0, 256, (32, 32), dtype=np.uint8)
                Image.fromarray(grey).save(folder / f"{number}.jpg")
            rows.append(_label_row(patient, number, epidural=int(patient % 2 and number == 2)))
    (src / ct_ich.JPG_LABELS).write_text(CSV_HEAD + "".join(rows))
    out, ws = tmp_path / "import", tmp_path / "ws"
    assert main(["import", "ct-ich", str(src), "--out", str(out), "--workers", "1"]) == 0
    assert main(["workspace", str(ws), "--data", str(out)]) == 0
    sets = ["extract.resolution=16", "train.epochs=1", "train.cnn.filters=[4]", "train.patience=0"]
    sets += ["sequence.epochs=1", "sequence.units=4", "sample.positive_ratio=null"]
    args = ["kfold", str(ws), "--name", "tiny", "--folds", "2", "--val-fraction", "0.5"]
    args += [f"-S{s}" for s in sets] + ["--out", str(tmp_path / "cv")]
    assert main(args) == 0
    oof = pd.read_csv(tmp_path / "cv" / "tiny.csv.gz")
    assert sorted(oof["ID"]) == sorted(pd.read_csv(out / "ids.csv")["ID"])
    summary = json.loads((tmp_path / "cv" / "tiny.json").read_text())
    assert summary["patients"] == 6 and summary["slices"] == 18
    assert summary["slice_model"]["epidural"]["positive_patients"] == 3
    assert "kfold tiny: slice model: AUC(any)" in capsys.readouterr().out
    # a later run adds seeds to the same recipe and keeps the ones it has
    assert main([*args[:4], "--seeds", "1,2", *args[4:]]) == 0
    both = pd.read_csv(tmp_path / "cv" / "tiny.csv.gz")
    assert sorted(both["seed"].unique()) == [1, 2]
    pd.testing.assert_frame_equal(both[both["seed"] == 1].reset_index(drop=True), oof)
    assert "seeds [1] kept" in capsys.readouterr().out
    two = json.loads((tmp_path / "cv" / "tiny.json").read_text())
    assert two["seed_ensemble_slice"]["any"]["positive_slices"] == 3  # counted once, not twice
    # the final models on every patient, as a bundle predict reads whole
    bundle = tmp_path / "bundle"
    sets_args = [f"-S{s}" for s in sets]
    cv = ["--cv", str(tmp_path / "cv" / "tiny.json")]
    assert main(["bundle", str(ws), "--out", str(bundle), "--seeds", "1,2", *sets_args, *cv]) == 0
    manifest = json.loads((bundle / "bundle.json").read_text())
    assert manifest["cross_validation"]["patients"] == 6 and manifest["sequence"] is None
    card = json.loads((bundle / "slice-1" / "preprocessing.json").read_text())
    assert card["trained_on"] == {
        **card["trained_on"],
        **{"dataset": "CT-ICH", "phantom": False, "source": "rsna"},
    }
    assert [t["patients"] for t in manifest["training"]] == [6, 6]
    scans = tmp_path / "scans"
    assert main(["import", "ct-ich", str(src), "--out", str(scans), "--images-only"]) == 0
    subs = {}
    for name, model in (
        ("bundle", bundle),
        *((k, bundle / k / "model.keras") for k in ("slice-0", "slice-1")),
    ):
        subs[name] = tmp_path / f"{name}.csv"
        args = [
            "predict",
            str(scans / "stage_2_test"),
            "--model",
            str(model),
            "--out",
            str(subs[name]),
        ]
        assert main([*args, "--sequence", "none", "--workers", "1"]) == 0
    got = {k: pd.read_csv(v).set_index("ID")["Label"] for k, v in subs.items()}
    assert len(got["bundle"]) == 6 * 18
    mean = (got["slice-0"] + got["slice-1"]) / 2  # the ensemble: the mean of its models
    np.testing.assert_allclose(got["bundle"], mean.loc[got["bundle"].index], atol=2e-6)
    assert not np.allclose(got["slice-0"], got["slice-1"]), "two seeds, two models"
    (bundle / "slice-1" / "model.keras").unlink()
    assert main(["predict", str(scans), "--model", str(bundle)]) != 0
    assert "slice-1/model.keras is missing" in capsys.readouterr().err
