"""Predict new scans: DICOM files or folders -> a Kaggle submission CSV (six rows per slice).

Usage:
  python -m stages.predict <DICOM files or folders> --model models/model.keras --out submission.csv
      [--sample-submission stage_2_sample_submission.csv] [--studies studies.csv] [--threshold T]
Unreadable files are reported (and, with --sample-submission, given the training prior); the rest
are predicted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("inputs", nargs="+", type=Path)
    ap.add_argument("--model", type=Path, default=Path("models/model.keras"))
    ap.add_argument("--out", type=Path, default=Path("submission.csv"))
    ap.add_argument("--sample-submission", type=Path)
    ap.add_argument("--studies", type=Path, help="also write a per-study summary CSV")
    ap.add_argument("--threshold", type=float, help="for --studies (default: the model's)")
    args = ap.parse_args(argv)

    import keras  # after argument parsing: --help stays fast

    from ich.predict import (
        find_dicoms,
        load_preprocessing,
        predict_files,
        study_summary,
        submission,
    )
    from ich.reports import write_csv

    if not args.model.exists():
        ap.error(f"{args.model}: model not found (run `make repro` first)")
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
        print(
            f"unreadable: {r.path} ({r.reason}{': ' + r.detail if r.detail else ''})",
            file=sys.stderr,
        )
    print(
        f"predicted {len(index)} slices of {len(files)} files in "
        f"{time.perf_counter() - start:.1f} s -> {args.out}; {len(rejected)} unreadable"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
