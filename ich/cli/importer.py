"""Import a labelled real dataset into the RSNA layout that every stage and `predict` read.

    python -m ich import ct-ich SRC --out DIR

SRC is CT-ICH's JPG edition (Patients_CT/ and hemorrhage_diagnosis.csv) or its NIfTI edition
(ct_scans/ and hemorrhage_diagnosis_raw_ct.csv). DIR receives stage_2_train/ (one DICOM per
slice), stage_2_train.csv (Kaggle's label format), ids.csv (each ID's patient and slice) and
import.json (counts, and the labelled slices without images and images without labels). Without
the label CSV, or with --images-only, the images go to stage_2_test/ for `predict`.
To train on it: data.source rsna, data.labels_csv DIR/stage_2_train.csv and data.dicom_dir
DIR/stage_2_train; or let the pipeline import it (data.source ct-ich, data.raw SRC).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ich.cli import command
from ich.jobs import worker_count

SOURCES = ("ct-ich",)


def add_parser(commands) -> None:
    ap = command(commands, "import", "a real dataset -> the RSNA layout", __doc__)
    ap.add_argument("source", choices=SOURCES, help="the dataset's kind")
    ap.add_argument("src", type=Path, help="the dataset's folder, as downloaded")
    ap.add_argument("--out", type=Path, required=True, help="the RSNA-layout folder to write")
    ap.add_argument("--images-only", action="store_true", help="ignore the labels, if any")
    ap.add_argument("--workers", type=int, help="processes (default: ICH_WORKERS or all cores)")
    ap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ich.importers.convert import import_ct_ich

    if not args.src.is_dir():
        raise FileNotFoundError(f"{args.src}: no such folder")
    report = import_ct_ich(args.src, args.out, worker_count(args.workers), not args.images_only)
    print(f"import: {report['images']} images of {report['patients']} patients -> {args.out}")
    for key in ("labelled_without_image", "image_without_label"):
        if key in report and report[key]["count"]:
            first = ", ".join(report[key]["first"])
            print(f"import: {report[key]['count']} {key.replace('_', ' ')}s: {first}, ...")
    return 0
