"""`python -m ich hu-scales`: the deep brain's HU of each set, its slices with a label left out."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ich.__main__ import main
from ich.dicom.hu import AIR_HU
from ich.pipeline import paths
from ich.rsna import LABELS

N, AREA = 128, 4


def slice_codes(brain_hu: float, blood: bool) -> np.ndarray:
    """Brain of radius 50 px at `brain_hu` in an 6 px bone ring, in air; a 70 HU disc deep in
    it when `blood`."""
    r, c = np.mgrid[:N, :N]
    d = np.hypot(r - 64, c - 64)
    hu = np.full((N, N), float(AIR_HU))
    hu[d < 56] = 1000.0
    hu[d < 50] = brain_hu
    if blood:
        hu[d < 12] = 70.0
    return ((hu - AIR_HU) * AREA).astype(np.uint16)


def workspace(folder, offset: float) -> None:
    """Four slices, the last with blood and labelled so."""
    codes = np.stack([slice_codes(30 + offset, blood=i == 3) for i in range(4)])
    (folder / paths.DECODED).mkdir(parents=True)
    np.save(folder / paths.CODES, codes)
    np.save(folder / paths.AREAS, np.full(4, AREA, np.uint16))
    ids = [f"ID_{i}" for i in range(4)]
    pd.DataFrame({"row": range(4), "ID": ids}).to_csv(folder / paths.INDEX, index=False)
    labels = pd.DataFrame({"ID": ids, **{s: [0, 0, 0, 1] for s in LABELS}})
    labels.to_csv(folder / paths.LABELS, index=False)


def test_each_set_is_measured_on_its_slices_without_blood(tmp_path, capsys):
    workspace(tmp_path / "calibrated", 0)
    workspace(tmp_path / "offset", 10)
    out = tmp_path / "scales.png"
    args = ["hu-scales", "--set", f"a={tmp_path / 'calibrated'}", "--set"]
    args += [f"b={tmp_path / 'offset'}", "--out", str(out), "--table", str(tmp_path / "t.md")]
    assert main(args) == 0
    scales = json.loads(out.with_suffix(".json").read_text())
    assert (
        out.is_file()
        and "| a (slices without a label) | 3 | 30.0 |" in (tmp_path / "t.md").read_text()
    )
    assert scales["a"]["slices"] == 3, "the labelled slice is left out"
    assert scales["a"]["median_mean_hu"] == pytest.approx(30.0)
    assert scales["b"]["median_mean_hu"] == pytest.approx(40.0)
    assert scales["a"]["share_50_90"] == 0, "no blood among the slices measured"
    assert sum(scales["b"]["share"]) == pytest.approx(1.0)
    assert "b: 3 slices, deep brain median 40.0 HU" in capsys.readouterr().out
    assert main(["hu-scales", "--set", "c", "--out", str(out)]) == 1
    assert "--set c: expected NAME=FOLDER" in capsys.readouterr().err
