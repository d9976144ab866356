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


def models_to_use(model: Path, sequence: Path | None) -> tuple[list[Path], Path | None]:
    """The slice model(s) and the series model (or None) that `--model` and `--sequence` name:
    a bundle folder brings its own; a single slice model pairs with the pipeline's series model."""
    from ich.model.bundle import read_bundle

    if model.is_dir():
        bundle = read_bundle(model)
        slices, default = bundle.slice_models, bundle.sequence
    else:
        slices, default = [model], paths.SEQUENCE_MODEL
    chosen = default if sequence is None else (None if str(sequence) == "none" else sequence)
    for path in [*slices, *([chosen] if chosen else [])]:
        if not path.exists():
            raise FileNotFoundError(f"{path}: model not found (run `make repro` first)")
    return slices, chosen


def ensemble_card(preps: list[dict]) -> dict:
    """The slice models' card for --studies: an ensemble's `any` threshold is the mean of its
    models' (each chosen on its own val patients at the same target sensitivity)."""
    if len(preps) == 1:
        return preps[0]
    mean = sum(p["thresholds"]["any"] for p in preps) / len(preps)
    return {**preps[0], "thresholds": {**preps[0]["thresholds"], "any": mean}}


def run(args: argparse.Namespace) -> int:
    import tempfile

    from ich.data.scans import find_dicoms
    from ich.jobs import worker_count
    from ich.model.bundle import read_bundle
    from ich.predict import decode, load_card, phantom_warning, predict_ensemble

    use(args.backend)  # before anything imports Keras
    start = time.perf_counter()
    density = read_bundle(args.model).density if args.model.is_dir() else None
    if args.model.suffix == ".json":
        density = args.model
    if density is not None:
        return run_density(args, density, start)
    slice_models, sequence_path = models_to_use(args.model, args.sequence)
    files = find_dicoms(args.inputs)
    preps = [load_card(m, "preprocessing.json") for m in slice_models]
    prep = preps[0]  # an ensemble's inputs agree (ich.model.bundle)
    warning = phantom_warning(prep)
    if warning:
        print(warning, file=sys.stderr)
    card = load_card(sequence_path, "card.json") if sequence_path else ensemble_card(preps)
    with tempfile.TemporaryDirectory(prefix="ich-predict-") as tmp:
        # decoded first, in forked workers, before Keras (and its threads) is loaded
        index, rejected, images = decode(
            files, prep, Path(tmp) / "images.npy", worker_count(args.workers)
        )
        import keras

        models = [keras.saving.load_model(m, compile=False) for m in slice_models]
        sequence = keras.saving.load_model(sequence_path, compile=False) if sequence_path else None
        probs = predict_ensemble(models, preps, images, index, sequence, card)
        del images
    return write_outputs(args, index, probs, rejected, prep, card, len(files), start)


def write_outputs(args, index, probs, rejected, prep: dict, card: dict, files: int, start) -> int:
    """The submission (and --studies), the unreadable files, one closing line."""
    import pandas as pd

    from ich.files import write_csv
    from ich.predict import check_coverage, study_summary, submission

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
        f"predicted {len(index)} slices of {files} files in "
        f"{time.perf_counter() - start:.1f} s -> {args.out}; {len(rejected)} unreadable"
    )
    return 0


def run_density(args: argparse.Namespace, path: Path, start: float) -> int:
    """A density model (a bundle's, or evaluate's baseline): no network, the HU features of
    each slice and the regression on them."""
    import json

    from ich.data.scans import find_dicoms
    from ich.errors import InputError
    from ich.jobs import worker_count
    from ich.predict import phantom_warning, predict_density_files

    if not path.is_file():
        raise InputError(f"{path}: density model not found (run `make repro` first)")
    model = json.loads(path.read_text())
    if "labels" not in model or "base" not in model:
        raise InputError(f"{path}: not a density model (no labels or base grid; rerun its stage)")
    warning = phantom_warning(model)
    if warning:
        print(warning, file=sys.stderr)
    files = find_dicoms(args.inputs)
    index, probs, rejected = predict_density_files(model, files, worker_count(args.workers))
    return write_outputs(args, index, probs, rejected, model, model, len(files), start)
