"""Predict new scans: DICOM files or folders -> a Kaggle submission CSV (six rows per slice).

Probabilities are on the natural scale (corrected for the training sample's prior, as evaluate
scores them). Unreadable files are reported; with --sample-submission they get the natural
prior, and fewer than 99% of its images predicted is an error unless --allow-missing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ich.pipeline import paths
from ich.pipeline.backend import BACKENDS, use


def add_parser(commands) -> None:
    ap = commands.add_parser("predict", help="DICOMs -> Kaggle submission CSV", description=__doc__)
    ap.add_argument("inputs", nargs="+", type=Path, help="DICOM files or folders (searched)")
    ap.add_argument(
        "--model",
        type=Path,
        default=paths.SLICE_MODEL,
        help="the slice model, a bundle folder (e.g. models/real-ct: its models and cards), or "
        "a density model's JSON (e.g. data/predictions/density.json, the holdout's baseline)",
    )
    ap.add_argument(
        "--sequence",
        type=Path,
        help=f"the series model on its features (default: {paths.SEQUENCE_MODEL}, or the "
        "bundle's); `none`: the slice model(s) alone",
    )
    ap.add_argument("--out", type=Path, default=Path("submission.csv"))
    ap.add_argument("--sample-submission", type=Path, help="Kaggle's, for its order and IDs")
    ap.add_argument("--studies", type=Path, help="also write a per-study summary CSV")
    ap.add_argument(
        "--threshold", type=float, help="for --studies (default: the model's `any` threshold)"
    )
    ap.add_argument("--workers", type=int, help="decoding processes (default: all cores)")
    ap.add_argument(
        "--backend",
        choices=BACKENDS,
        default=os.environ.get("KERAS_BACKEND", "tensorflow"),
        help="Keras's backend for the models (default: $KERAS_BACKEND, else tensorflow); "
        "a model trained on either runs on either",
    )
    ap.add_argument(
        "--allow-missing",
        action="store_true",
        help="write the submission even if under 99%% of its images were predicted",
    )
    ap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ich.files import write_csv
    from ich.jobs import worker_count
    from ich.predict import check_coverage, predict_scans, study_summary, submission

    use(args.backend)  # before anything imports Keras
    start = time.perf_counter()
    done = predict_scans(args.inputs, args.model, args.sequence, worker_count(args.workers))
    if done.warning:
        print(done.warning, file=sys.stderr)
    order = pd.read_csv(args.sample_submission)["ID"] if args.sample_submission else None
    if order is not None and not args.allow_missing:
        check_coverage(done.index["ID"], order)
    write_csv(args.out, submission(done.index, done.probs, done.prior, order))
    if args.studies:
        model_threshold = done.card.get("thresholds", {}).get("any", 0.5)
        threshold = args.threshold if args.threshold is not None else model_threshold
        write_csv(args.studies, study_summary(done.index, done.probs, threshold))
    for r in done.rejected.itertuples():
        detail = f": {r.detail}" if r.detail else ""
        print(f"unreadable: {r.path} ({r.reason}{detail})", file=sys.stderr)
    print(
        f"predicted {len(done.index)} slices of {done.files} files in "
        f"{time.perf_counter() - start:.1f} s -> {args.out}; {len(done.rejected)} unreadable"
    )
    return 0
