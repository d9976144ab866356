"""`data.source`: one option switches the data; the params that must agree with it are checked
up front, and the source stage fills data/source/ (or reads the RSNA layout in place)."""

from __future__ import annotations

import pytest

from ich.data.source import DataSpec, trained_on_data
from ich.errors import InputError
from ich.importers.provide import provide
from ich.pipeline.params import ParamError, load, section
from ich.synthetic.cohort import SynthesizeSpec
from tests.conftest import ROOT
from tests.test_import import jpg_edition

INSIDE = {"labels_csv": "data/source/stage_2_train.csv", "dicom_dir": "data/source/stage_2_train"}


def spec(**data) -> DataSpec:
    return section({"data": {"raw": None, **INSIDE, **data}}, "data", DataSpec)


def test_the_default_is_the_phantom_and_cards_say_so():
    default = section(load(ROOT / "params.yaml"), "data", DataSpec)
    assert default.phantom and trained_on_data(default)["phantom"] is True
    assert trained_on_data(spec(source="ct-ich", raw="x"))["phantom"] is False


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (
            {"source": "phantom", "labels_csv": "/data/rsna/stage_2_train.csv"},
            "data.source phantom writes data/source/stage_2_train.csv, but data.labels_csv is "
            "'/data/rsna/stage_2_train.csv'",
        ),
        ({"source": "rsna"}, "data.labels_csv points into data/source/"),
        ({"source": "ct-ich"}, "data.source ct-ich imports from data.raw: set it"),
        ({"source": "cq500"}, "data.source = 'cq500': must be one of"),
    ],
)
def test_params_that_disagree_with_the_source_are_refused(data, why):
    with pytest.raises(ParamError, match="params.yaml: ") as error:
        spec(**data)
    assert why in str(error.value)


def test_ct_ich_is_imported_into_the_source_folder(tmp_path):
    out = tmp_path / "source"
    phantom = section(load(ROOT / "params.yaml"), "synthesize", SynthesizeSpec)
    raw = jpg_edition(tmp_path / "raw")
    report = provide(spec(source="ct-ich", raw=str(raw)), phantom, out, 1)
    assert report["images"] == 6 and (out / "stage_2_train.csv").is_file()
    assert len(list((out / "stage_2_train").glob("*.dcm"))) == 6
    with pytest.raises(InputError, match="data.raw = 'nowhere': no such folder"):
        provide(spec(source="ct-ich", raw="nowhere"), phantom, tmp_path / "other", 1)


def test_rsna_is_read_in_place_and_missing_files_are_named(tmp_path):
    phantom = section(load(ROOT / "params.yaml"), "synthesize", SynthesizeSpec)
    labels = tmp_path / "stage_2_train.csv"
    labels.write_text("ID,Label\n")
    (tmp_path / "stage_2_train").mkdir()
    paths = {"labels_csv": str(labels), "dicom_dir": str(tmp_path / "stage_2_train")}
    out = tmp_path / "source"
    assert provide(spec(source="rsna", **paths), phantom, out, 1)["dicom_dir"] == paths["dicom_dir"]
    assert [p.name for p in out.iterdir()] == ["source.json"], "nothing copied"
    gone = {**paths, "dicom_dir": str(tmp_path / "gone")}
    with pytest.raises(InputError, match="data.dicom_dir = .*gone': not found"):
        provide(spec(source="rsna", **gone), phantom, tmp_path / "other", 1)
