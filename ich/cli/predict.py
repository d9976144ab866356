"""Predict new scans: DICOM files or folders -> a Kaggle submission CSV (six rows per slice).

Unreadable files are reported (and, with --sample-submission, given the training prior); the
rest are predicted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ich.pipeline import paths


def add_parser(commands) -> None:
    ap = commands.add_parser("predict", help="DICOMs -> Kaggle submission CSV", description=__doc__)
    ap.add_argument("inputs", nargs="+", type=Path, help="DICOM files or folders (searched)")
    ap.add_argument("--model", type=Path, default=paths.MODEL)
    ap.add_argument("--out", type=Path, default=Path("submission.csv"))
    ap.add_argument("--sample-submission", type=Path, help="Kaggle's, for its order and IDs")
    ap.add_argument("--studies", type=Path, help="also write a per-study summary CSV")
    ap.add_argument("--threshold", type=float, help="for --studies (default: the model's)")
    ap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import keras
    import pandas as pd

    from ich.files import write_csv
    from ich.predict import (
        find_dicoms,
        load_preprocessing,
        predict_files,
        study_summary,
        submission,
    )

    if not args.model.exists():
        raise FileNotFoundError(f"{args.model}: model not found (run `make repro` first)")
    start = time.perf_counter()
    files = find_dicoms(args.inputs)
    prep = load_preprocessing(args.model)
    model = keras.saving.load_model(args.model, compile=False)
    index, probs, rejected = predict_files(model, prep, files)
    order = pd.read_csv(args.sample_submission)["ID"] if args.sample_submission else None
    write_csv(args.out, submission(index, probs, prep.get("prior", {}), order))
    if args.studies:
        threshold = args.threshold if args.threshold is not None else prep.get("threshold", 0.5)
        write_csv(args.studies, study_summary(index, probs, threshold))
    for r in rejected.itertuples():
        detail = f": {r.detail}" if r.detail else ""
        print(f"unreadable: {r.path} ({r.reason}{detail})", file=sys.stderr)
    print(
        f"predicted {len(index)} slices of {len(files)} files in "
        f"{time.perf_counter() - start:.1f} s -> {args.out}; {len(rejected)} unreadable"
    )
    return 0
