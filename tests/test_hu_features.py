"""The HU features (`ich.data.hu_features`) on slices drawn with known answers: blood inside the
skull is counted with its area, near the inner table or deep; the same blood outside the skull
is not; neighbours and position come from the series; the bytes do not depend on the workers.
And the density baseline (`ich.model.density`) against scikit-learn's own predictions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ich.__main__ import main
from ich.data import hu_features as hf
from ich.dicom.hu import AIR_HU

N = 256
AREA = 4
PX_MM2 = (250 / 256) ** 2  # a 256 px grid's pixel


def sums_of(hu: np.ndarray) -> np.ndarray:
    return ((hu - AIR_HU) * AREA).astype(np.uint16)


def head(blood: list[tuple[int, int, int, float]] = ()) -> tuple[np.ndarray, list[np.ndarray]]:
    """Brain (30 HU) of radius 90 px in a bone ring (1,000 HU, 8 px) under 22 px of scalp (30
    HU, a swollen one), in air; each (row, col, radius, HU) disc drawn on top. Returns the HU
    and each disc's mask."""
    r, c = np.mgrid[:N, :N]
    d = np.hypot(r - 128, c - 128)
    hu = np.full((N, N), float(AIR_HU))
    hu[d < 120] = 30.0  # scalp, then overwritten inside
    hu[d < 98] = 1000.0
    hu[d < 90] = 30.0
    masks = []
    for row, col, radius, value in blood:
        disc = np.hypot(r - row, c - col) <= radius
        hu[disc] = value
        masks.append(disc)
    return hu, masks


def features(hu: np.ndarray) -> dict[str, float]:
    return dict(zip(hf.SLICE_FEATURES, hf.slice_features(sums_of(hu), AREA), strict=True))


def test_a_blood_disc_deep_in_the_brain_gives_its_area():
    hu, (disc,) = head([(128, 128, 10, 70.0)])
    f = features(hu)
    area = disc.sum() * PX_MM2
    assert f["blood_blob_mm2"] == pytest.approx(area, rel=0.03)  # the median filter rounds corners
    assert f["blood_deep_mm2"] == pytest.approx(area, rel=0.03)
    assert f["blood_near_mm2"] == 0
    assert f["blood_blobs"] == 1
    assert f["brain_mm2"] == pytest.approx((np.hypot(*np.mgrid[:N, :N] - 128) < 90).sum() * PX_MM2)
    assert f["deep_60_75"] * f["brain_mm2"] == pytest.approx(area, rel=0.03)
    assert f["brain_p50"] == pytest.approx(30.0)


def test_the_same_disc_outside_the_skull_counts_nothing():
    hu, _ = head([(128, 128 + 109, 8, 70.0)])  # in the scalp, outside the bone ring
    f = features(hu)
    assert f["blood_blob_mm2"] == 0
    assert f["blood_near_mm2"] == f["blood_deep_mm2"] == 0
    no_blood = features(head()[0])
    assert f["brain_mm2"] == pytest.approx(no_blood["brain_mm2"])


def test_blood_against_the_inner_table_is_near_and_relative_bands_follow_the_brain():
    hu, (disc,) = head([(128, 128 + 86, 3, 70.0)])  # against the ring's inner edge at 90
    f = features(hu)
    assert f["blood_near_mm2"] > 0.7 * disc.sum() * PX_MM2
    assert f["blood_deep_mm2"] < 0.3 * disc.sum() * PX_MM2
    shifted = features(hu + 10 * ((hu > 0) & (hu < 100)))
    # brain and blood both 10 HU higher (a scanner offset): the relative bands do not move
    rel = [n for n in hf.SLICE_FEATURES if "_rel" in n]
    assert [f[n] for n in rel] == pytest.approx([shifted[n] for n in rel])


def test_a_slice_without_brain_is_all_zero_past_its_areas():
    hu = np.full((N, N), float(AIR_HU))
    f = features(hu)
    assert all(v == 0 for v in f.values())


def test_neighbours_and_position_come_from_the_series():
    slices = np.zeros((5, len(hf.SLICE_FEATURES)))
    j = hf.SLICE_FEATURES.index("blood_deep_mm2")
    slices[:, j] = [1.0, 2.0, 3.0, 4.0, 5.0]
    # rows 0-2 one series in z order 2, 0, 1; rows 3-4 another
    index = pd.DataFrame(
        {
            "row": [0, 1, 2, 3, 4],
            "SeriesInstanceUID": ["a", "a", "a", "b", "b"],
            "position": [1, 2, 0, 0, 1],
            "relative_position": [0.5, 1.0, 0.0, 0.0, 1.0],
        }
    )
    out = pd.DataFrame(hf.with_context(slices, index), columns=hf.FEATURES)
    assert out["blood_deep_mm2_nb_max"].tolist() == [3.0, 1.0, 1.0, 5.0, 4.0]
    assert out["blood_deep_mm2_nb_min"].tolist() == [2.0, 1.0, 1.0, 5.0, 4.0]
    assert out["position"].tolist() == [0.5, 1.0, 0.0, 0.0, 1.0]
    assert out["position_mid"].tolist() == [0.0, 0.5, 0.5, 0.5, 0.5]


def test_the_bytes_do_not_depend_on_the_workers(tmp_path):
    rng = np.random.default_rng(0)
    stack = []
    for k in range(6):
        hu, _ = head([(100 + 10 * k, 128, 3 + k, 65.0)])
        stack.append(sums_of(hu + rng.normal(0, 3, hu.shape) * (hu > -500)))
    np.save(tmp_path / "codes.npy", np.stack(stack))
    areas = np.array([AREA, AREA, 0, AREA, AREA, AREA])  # row 2 rejected
    index = pd.DataFrame(
        {
            "row": [0, 1, 3, 4, 5],
            "SeriesInstanceUID": ["s"] * 5,
            "position": range(5),
            "relative_position": np.linspace(0, 1, 5),
        }
    )
    one = hf.compute(tmp_path / "codes.npy", areas, index, workers=1)
    two = hf.compute(tmp_path / "codes.npy", areas, index, workers=2)
    assert one.tobytes() == two.tobytes()
    assert np.isnan(one[2]).all() and not np.isnan(one[[0, 1, 3, 4, 5]]).any()


def test_the_density_baseline_predicts_as_scikit_learn_does():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ich.model.density import fit_density, predict_density
    from ich.rsna import LABELS

    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 4)) * [1, 10, 100, 0.1]
    y = np.zeros((300, len(LABELS)), int)
    y[:, 0] = x[:, 0] + rng.normal(size=300) > 1
    y[:, -1] = x[:, 1] / 10 + rng.normal(size=300) > 0.5
    y[0, 2] = 1  # one positive: too few to fit, the prevalence instead
    model = fit_density(x, y, {"features": ["a", "b", "c", "d"], "version": "t", "base": 8}, c=0.1)
    p = predict_density(model, x)
    reference = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))
    for i in (0, len(LABELS) - 1):
        expected = reference.fit(x, y[:, i]).predict_proba(x)[:, 1]
        np.testing.assert_allclose(p[:, i], expected, atol=1e-6)
    np.testing.assert_allclose(p[:, 2], 1 / 300)
    assert model["labels"][LABELS[2]]["constant"] and not model["labels"][LABELS[0]]["constant"]


def test_predict_computes_the_stage_features_and_refuses_other_versions(fixture_files, tmp_path):
    """A density bundle on real DICOMs: `predict` decodes them and computes the features with
    the stage's code (the same numbers as decode + `compute` on the same files), and refuses a
    model whose features version this code does not compute."""
    from ich.data.decode import decode
    from ich.errors import InputError
    from ich.model.density import fit_density, predict_density
    from ich.predict import predict_density_files
    from ich.rsna import LABELS

    files = sorted(fixture_files)[:6]
    folder = tmp_path / "dicoms"
    folder.mkdir()
    for f in files:
        (folder / f.name).write_bytes(f.read_bytes())
    ids = [f.stem for f in files]
    index, _, areas = decode(ids, folder, tmp_path / "codes.npy", 64, workers=1)
    features = hf.compute(tmp_path / "codes.npy", areas, index, workers=1)
    y = np.zeros((len(ids), len(LABELS)), int)
    y[:3, [0, -1]] = 1
    model = fit_density(features, y, hf.info(64), 0.1)
    index_p, probs, rejected = predict_density_files(model, sorted(folder.iterdir()))
    assert len(rejected) == 0
    expected = predict_density(model, features[index.set_index("ID").loc[index_p["ID"], "row"]])
    np.testing.assert_allclose(probs, expected)
    with pytest.raises(InputError, match="rebuild the bundle"):
        predict_density_files(model | {"features_version": "hu-features-0"}, [])
    # the holdout's baseline as written by evaluate: `predict --model density.json`
    (tmp_path / "density.json").write_text(json.dumps(model))
    out = tmp_path / "sub.csv"
    assert (
        main(["predict", str(folder), "--model", str(tmp_path / "density.json"), "--out", str(out)])
        == 0
    )
    sub = pd.read_csv(out).set_index("ID")["Label"]
    first = index_p["ID"].iloc[0]
    assert sub[f"{first}_any"] == pytest.approx(probs[0, -1], abs=1e-6)
    (tmp_path / "bad.json").write_text(json.dumps({"labels": {}}))
    assert main(["predict", str(folder), "--model", str(tmp_path / "bad.json")]) == 1


def test_one_sided_blood_is_asymmetric_and_a_mirrored_pair_is_not():
    hu, (disc,) = head([(128, 90, 8, 70.0)])  # deep, left of the midline
    f = features(hu)
    area = disc.sum() * PX_MM2
    assert f["blood_deep_asym_mm2"] == pytest.approx(area, rel=0.05)
    assert f["blood_deep_asym_share"] == 1.0 and f["blood_near_asym_mm2"] == 0
    assert f["rel20_asym_mm2"] == pytest.approx(area, rel=0.05), "70 HU is 40 above the brain"
    assert f["hemisphere_hu_diff"] > 0.5
    mirrored, _ = head([(128, 90, 8, 70.0), (128, 166, 8, 70.0)])
    g = features(mirrored)
    assert g["blood_deep_mm2"] == pytest.approx(2 * area, rel=0.05)
    assert g["blood_deep_asym_share"] < 0.05 and g["hemisphere_hu_diff"] < 0.1
