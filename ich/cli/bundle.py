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


def trained_on(data) -> dict:
    """The card's `trained_on`, with the dataset an import wrote beside its labels (import.json)."""
    from ich.model.card import trained_on_data

    out = trained_on_data(data)
    report = Path(data.labels_csv).parent / "import.json"
    if report.is_file():
        out["dataset"] = json.loads(report.read_text()).get("source")
    return out


def run(args: argparse.Namespace) -> int:

    from ich.pipeline import backend, params

    p = params.load(args.workspace / "params.yaml")
    for assignment in args.set:
        params.override(p, assignment)
    if args.features_model == "density":
        return density_bundle(args, p)
    backend.use(params.get(p, "train.backend"))  # before anything below imports Keras
    from ich.cv.final import write_bundle
    from ich.cv.run import RECIPE, images_for, labelled_table
    from ich.data.extract import ExtractSpec
    from ich.data.source import DataSpec
    from ich.data.splits import SampleSpec
    from ich.jobs import worker_count
    from ich.model.training import TrainSpec

    specs = []
    for seed in (int(s) for s in args.seeds.split(",")):
        p["train"]["seed"] = seed
        specs.append(params.section(p, "train", TrainSpec))
    data = params.section(p, "data", DataSpec)
    extract = params.section(p, "extract", ExtractSpec)
    images = images_for(args.workspace, p, worker_count(args.workers))
    index, table = labelled_table(args.workspace)
    about = {
        "recipe": {"overrides": args.set, "params": {k: p[k] for k in RECIPE}},
        "cross_validation": json.loads(args.cv.read_text()) if args.cv else None,
    }
    about["recipe"]["params"]["sequence"] = None  # not part of what this bundle ships
    write_bundle(
        specs,
        args.out,
        about,
        images=images,
        index=index,
        table=table,
        val_fraction=args.val_fraction,
        positive_ratio=params.section(p, "sample", SampleSpec).positive_ratio,
        preprocessing=extract.settings(params.get(p, "decode.resolution")).card(),
        trained_on=trained_on(data),
    )
    print(f"bundle: {len(specs)} slice model(s) on every patient -> {args.out}")
    return 0


def density_bundle(args: argparse.Namespace, p: dict) -> int:
    """The density model on every patient of the workspace, as a bundle."""
    from ich.cv.features import final_density
    from ich.cv.run import features_for, labelled_table
    from ich.data.source import DataSpec
    from ich.jobs import worker_count
    from ich.model.bundle import write_density_bundle
    from ich.pipeline import params

    features, info = features_for(args.workspace, worker_count(args.workers))
    c = params.get(p, "evaluate.density_c")
    target = params.get(p, "train.target_sensitivity")
    table = labelled_table(args.workspace)[1]
    model = final_density(features, info, table, c, target, args.folds) | {
        "trained_on": trained_on(params.section(p, "data", DataSpec)),
    }
    about = {
        "recipe": {"features_model": "density", "params": {"evaluate.density_c": c}},
        "cross_validation": json.loads(args.cv.read_text()) if args.cv else None,
    }
    write_density_bundle(args.out, model, about)
    print(f"bundle: the density model on {model['patients']} patients -> {args.out}")
    return 0
