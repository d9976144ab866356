"""Where the labelled data comes from: the `data` section of params.yaml.

One option, `data.source`, switches the data; every stage after `source` reads the RSNA layout
at `data.labels_csv` and `data.dicom_dir` and never asks where it came from:

- `phantom`: the synthetic head-CT phantom is synthesized into data/source/ (the default);
- `ct-ich`: the CT-ICH download at `data.raw` is imported into data/source/;
- `rsna`: the files already in the RSNA layout at `data.labels_csv` and `data.dicom_dir` (the
  Kaggle download, or anything imported into its layout) are read in place, nothing is copied.

With a real source nothing synthesizes or draws the phantom.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import model_validator

from ich.pipeline import paths
from ich.spec import Spec

Source = Literal["phantom", "ct-ich", "rsna"]
FILLED = ("phantom", "ct-ich")  # the sources the stage writes into data/source/
LABELS_IN_SOURCE = str(paths.SOURCE / "stage_2_train.csv")
DICOMS_IN_SOURCE = str(paths.SOURCE / "stage_2_train")


class DataSpec(Spec):
    """The `data` section of params.yaml."""

    source: Source
    raw: str | None  # ct-ich: the download's folder (JPG or NIfTI edition)
    labels_csv: str  # the RSNA-layout label CSV every stage reads ...
    dicom_dir: str  # ... and its DICOM folder

    @model_validator(mode="after")
    def _paths_fit_the_source(self) -> DataSpec:
        if self.source in FILLED:
            for key, expected in (
                ("labels_csv", LABELS_IN_SOURCE),
                ("dicom_dir", DICOMS_IN_SOURCE),
            ):
                if Path(getattr(self, key)) != Path(expected):
                    raise ValueError(
                        f"data.source {self.source} writes {expected}, but data.{key} is "
                        f"{getattr(self, key)!r}: set data.{key}: {expected}, or data.source: "
                        "rsna to read files already in the RSNA layout in place"
                    )
        else:
            for key in ("labels_csv", "dicom_dir"):
                if Path(getattr(self, key)).is_relative_to(paths.SOURCE):
                    raise ValueError(
                        f"data.source rsna reads the files in place, but data.{key} points into "
                        f"{paths.SOURCE}/, which the source stage writes: point it at the download"
                    )
        if self.source == "ct-ich" and not self.raw:
            raise ValueError("data.source ct-ich imports from data.raw: set it to the download")
        return self

    @property
    def phantom(self) -> bool:
        return self.source == "phantom"


def trained_on_data(data: DataSpec) -> dict:
    """What the card says about the training data: its source, the label file (as params.yaml
    names it), whether it is the synthetic phantom, and the dataset an import wrote beside the
    labels (import.json), when there is one."""
    out = {"source": data.source, "labels_csv": data.labels_csv, "phantom": data.phantom}
    report = Path(data.labels_csv).parent / "import.json"
    if report.is_file():
        out["dataset"] = json.loads(report.read_text()).get("source")
    return out
