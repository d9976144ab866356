"""Train a recipe's final slice model(s) on every patient of a workspace, into a bundle that
`python -m ich predict DICOMS --model OUT` reads.

    python -m ich bundle WORKSPACE --out models/real-ct [-S key=value ...] [--seeds 1,2]
        [--cv reports/real-ct/cv/chosen.json]

WORKSPACE and -S are as for `kfold`: the same recipe, trained once per seed on every patient
(`--val-fraction` of them stop it early; no holdout: the cross-validation stands in, and --cv
copies its pooled figures into bundle.json). Several seeds make an ensemble, averaged by
`predict`. No series model: on real CT it was worse than the slice model in cross-validation.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ich.cli import command


def add_parser(commands) -> None:
    ap = command(commands, "bundle", "final model(s) of a recipe, for predict", __doc__)
    ap.add_argument("workspace", type=Path, help="a folder where the data stages ran")
    ap.add_argument("--out", type=Path, required=True, help="the bundle folder (replaced)")
    ap.add_argument("-S", "--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--seeds", default="1", help="training seeds, comma-separated: one model each")
    ap.add_argument("--val-fraction", type=float, default=0.15, help="of the patients")
    ap.add_argument("--cv", type=Path, help="the recipe's kfold summary (NAME.json) to cite")
    ap.add_argument("--workers", type=int, help="extract processes (default: all cores)")
    ap.add_argument(
        "--features-model",
        choices=["density"],
        help="no network: the density model on the HU features, fit on every patient",
    )
    ap.add_argument("--folds", type=int, default=5, help="density: folds its thresholds come from")
    ap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ich.cv.run import RECIPE, features_for, images_for, labelled_table
    from ich.jobs import worker_count
    from ich.pipeline import backend, params

    p = params.load(args.workspace / "params.yaml")
    for assignment in args.set:
        params.override(p, assignment)
    cv = {"cross_validation": json.loads(args.cv.read_text()) if args.cv else None}
    workers = worker_count(args.workers)
    index, table = labelled_table(args.workspace)
    if args.features_model == "density":
        from ich.cv.features import density_bundle

        features, info = features_for(args.workspace, workers)
        model = density_bundle(p, args.out, features, info, table, args.folds, cv)
        print(f"bundle: the density model on {model['patients']} patients -> {args.out}")
        return 0
    backend.use(params.get(p, "train.backend"))  # before anything below imports Keras
    from ich.cv.final import network_bundle

    recipe = {"overrides": args.set, "params": {k: p[k] for k in RECIPE}}
    recipe["params"]["sequence"] = None  # not part of what this bundle ships
    seeds = [int(s) for s in args.seeds.split(",")]
    images = images_for(args.workspace, p, workers)
    about = {"recipe": recipe, **cv}
    count = network_bundle(p, args.out, seeds, args.val_fraction, about, images, index, table)
    print(f"bundle: {count} slice model(s) on every patient -> {args.out}")
    return 0
