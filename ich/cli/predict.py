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
    ap.add_argument("--model", type=Path, default=paths.SLICE_MODEL, help="the slice model")
    ap.add_argument(
        "--sequence",
        type=Path,
        default=paths.SEQUENCE_MODEL,
        help="the series model on its features; `none`: the slice model alone",
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
    import tempfile

    import pandas as pd

    from ich.files import write_csv
    from ich.jobs import worker_count
    from ich.predict import (
        check_coverage,
        decode,
        find_dicoms,
        load_card,
        phantom_warning,
        predict_images,
        study_summary,
        submission,
    )

    use(args.backend)  # before anything imports Keras
    use_sequence = str(args.sequence) != "none"
    for path in (args.model, args.sequence) if use_sequence else (args.model,):
        if not path.exists():
            raise FileNotFoundError(f"{path}: model not found (run `make repro` first)")
    start = time.perf_counter()
    files = find_dicoms(args.inputs)
    prep = load_card(args.model, "preprocessing.json")
    warning = phantom_warning(prep)
    if warning:
        print(warning, file=sys.stderr)
    card = load_card(args.sequence, "card.json") if use_sequence else prep
    with tempfile.TemporaryDirectory(prefix="ich-predict-") as tmp:
        # decoded first, in forked workers, before Keras (and its threads) is loaded
        index, rejected, images = decode(
            files, prep, Path(tmp) / "images.npy", worker_count(args.workers)
        )
        import keras

        model = keras.saving.load_model(args.model, compile=False)
        sequence = keras.saving.load_model(args.sequence, compile=False) if use_sequence else None
        probs = predict_images(model, prep, images, index, sequence, card)
        del images
    order = pd.read_csv(args.sample_submission)["ID"] if args.sample_submission else None
    if order is not None and not args.allow_missing:
        check_coverage(index["ID"], order)
    write_csv(args.out, submission(index, probs, prep.get("prior", {}), order))
    if args.studies:
        model_threshold = card.get("thresholds", {}).get("any", 0.5)
        threshold = args.threshold if args.threshold is not None else model_threshold
        write_csv(args.studies, study_summary(index, probs, threshold))
    for r in rejected.itertuples():
        detail = f": {r.detail}" if r.detail else ""
        print(f"unreadable: {r.path} ({r.reason}{detail})", file=sys.stderr)
    print(
        f"predicted {len(index)} slices of {len(files)} files in "
        f"{time.perf_counter() - start:.1f} s -> {args.out}; {len(rejected)} unreadable"
    )
    return 0
