"""Writing an imported dataset in the RSNA layout: one DICOM per slice, a Kaggle-format label
CSV, `ids.csv` (each ID's patient and slice) and `import.json` (what was and was not imported).

The output folder is written beside and renamed into place, so an interrupted import leaves no
half dataset where a complete one is expected.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ich.data.labels import long_format
from ich.dicom.write import SliceHeader, encode, fmt_ds, write
from ich.files import publish, unpublished, write_csv, write_json
from ich.importers import ct_ich
from ich.importers.ct_ich import CtIchError, Slice
from ich.jobs import pool_map, progress
from ich.rsna import LABELS, SUBTYPES

SHOW = 10  # slices named in the report per kind of mismatch
ORIENTATION = ("1", "0", "0", "0", "1", "0")
HALF_FOV = f"{-float(ct_ich.SPACING_MM) * ct_ich.SIZE / 2:.6f}"


def header(item: Slice) -> SliceHeader:
    """Identifiers from (patient, slice) alone; z = 5 mm per slice number, skull base first."""
    uid = item.sop_uid
    return SliceHeader(
        sop_uid=uid,
        patient_id=ct_ich.stable_id("patient", item.patient),
        study_uid=ct_ich.stable_id("study", item.patient, digits=10),
        series_uid=ct_ich.stable_id("series", item.patient, digits=10),
        media_uid=uid,
        position=(HALF_FOV, HALF_FOV, fmt_ds(ct_ich.SLICE_GAP_MM * (item.number - 1))),
        orientation=ORIENTATION,
        spacing=ct_ich.SPACING_MM,
        encoding="int16",
        intercept=ct_ich.INTERCEPT,
        window_center=fmt_ds(ct_ich.BRAIN[0]),
        window_width=fmt_ds(ct_ich.BRAIN[1]),
    )


def _write_one(job: tuple[Slice, Path]) -> int:
    item, folder = job
    hu = ct_ich.resample(ct_ich.read_hu(item))
    write(folder / f"{item.sop_uid}.dcm", header(item), encode(hu, "int16", ct_ich.INTERCEPT))
    return 1


def _pairs(frame: pd.DataFrame) -> list[str]:
    return [f"patient {p} slice {s}" for p, s in zip(frame["patient"], frame["slice"], strict=True)]


def import_ct_ich(src: Path, out: Path, workers: int = 1, labelled: bool = True) -> dict:
    """Import a CT-ICH folder (JPG or NIfTI edition) into `out`; returns the report. Without
    `labelled` (or without the edition's label CSV) it imports the images only."""
    kind = ct_ich.edition(src)
    slices = ct_ich.jpg_slices(src) if kind == "jpg" else ct_ich.nifti_slices(src)
    if not slices:
        raise CtIchError(f"{src}: no slices found in its {kind} layout")
    csv = src / (ct_ich.JPG_LABELS if kind == "jpg" else ct_ich.NIFTI_LABELS)
    labels = ct_ich.read_labels(csv) if labelled and csv.is_file() else None
    if out.exists() and any(out.iterdir()) and not (out / "ids.csv").is_file():
        raise CtIchError(f"{out}: exists and is no earlier import (no ids.csv): not replaced")
    images = pd.DataFrame(
        {"patient": [s.patient for s in slices], "slice": [s.number for s in slices]}
    )
    images["ID"] = [s.sop_uid for s in slices]
    images["PatientID"] = [ct_ich.stable_id("patient", s.patient) for s in slices]
    images["SeriesInstanceUID"] = [ct_ich.stable_id("series", s.patient, digits=10) for s in slices]
    folder_name = "stage_2_train" if labels is not None else "stage_2_test"
    tmp = unpublished(out, ".tmp")
    (tmp / folder_name).mkdir(parents=True)
    with progress(total=len(slices), unit="slice", desc="import") as bar:
        for n in pool_map(_write_one, [(s, tmp / folder_name) for s in slices], workers, False):
            bar.update(n)
    report = {
        "source": "CT-ICH",
        "edition": kind,
        "patients": int(images.patient.nunique()),
        "images": len(images),
        "folder": folder_name,
    }
    if labels is not None:
        both = images.merge(labels, on=["patient", "slice"], how="outer", indicator=True)
        no_image = both[both["_merge"] == "right_only"]
        no_label = both[both["_merge"] == "left_only"]
        table = both[both["_merge"] == "both"].sort_values(["patient", "slice"])
        wide = table[["ID", *LABELS]].astype({s: int for s in LABELS})
        write_csv(tmp / "stage_2_train.csv", long_format(wide))
        images["labelled"] = images["ID"].isin(table["ID"])
        report |= {
            "labelled_images": len(table),
            "labelled_without_image": {"count": len(no_image), "first": _pairs(no_image)[:SHOW]},
            "image_without_label": {"count": len(no_label), "first": _pairs(no_label)[:SHOW]},
            "positives": {
                s: {
                    "patients": int(table.loc[table[s] == 1, "patient"].nunique()),
                    "slices": int(table[s].sum()),
                }
                for s in (*SUBTYPES, "any")
            },
        }
    write_csv(tmp / "ids.csv", images.sort_values(["patient", "slice"]))
    write_json(tmp / "import.json", report)
    publish(tmp, out)
    return report
