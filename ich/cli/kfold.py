"""Patient-grouped k-fold cross-validation of a recipe on a labelled dataset: how a recipe is
chosen on real CT (never on the phantom).

    python -m ich kfold WORKSPACE --name NAME [-S train.augment.rotation=0.05 ...] --seeds 1,2,3

WORKSPACE is a folder where the data stages ran on the dataset (`dvc repro sample` with the data
params pointing at it): its decoded codes, index, labels and params.yaml are read; -S changes a
params key for this run only (extract.*, sample.positive_ratio, train.*, sequence.*). Each seed
trains a slice model per fold and the series model on their out-of-fold probabilities; the
folds stay the same for every seed and recipe (--fold-seed), so recipes are paired patient by
patient. Writes OUT/NAME.csv.gz (every slice's out-of-fold probabilities, per seed) and
OUT/NAME.json (the params and pooled figures); `python -m ich levers` pairs recipes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ich.cli import command
from ich.cv import DEFAULT_OUT
from ich.errors import InputError


def add_parser(commands) -> None:
    ap = command(commands, "kfold", "patient-grouped cross-validation of a recipe", __doc__)
    ap.add_argument("workspace", type=Path, help="a folder where the data stages ran")
    ap.add_argument("--name", required=True, help="the recipe's name (file names in --out)")
    ap.add_argument("-S", "--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--seeds", default="1", help="training seeds, comma-separated")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--fold-seed", type=int, default=0, help="which patients share a fold")
    ap.add_argument(
        "--fold-ensemble",
        action="store_true",
        help="score each fold with the average of the models trained without it and one other "
        "fold (nested: an ensemble of fold models against one model)",
    )
    ap.add_argument(
        "--features-model",
        choices=["density", "hybrid"],
        help="no network: the density baseline on the HU features, or the hybrid (the same "
        "regression with --stack-on's out-of-fold CNN logits as inputs)",
    )
    ap.add_argument("--stack-on", type=Path, help="hybrid: a CNN recipe's NAME.csv.gz from kfold")
    ap.add_argument("--val-fraction", type=float, default=0.15, help="of each fold's training")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--workers", type=int, help="extract processes (default: all cores)")
    ap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ich.pipeline import backend, params

    if args.fold_ensemble and args.folds < 3:
        raise InputError(f"--fold-ensemble needs --folds 3 or more (got {args.folds})")
    p = params.load(args.workspace / "params.yaml")
    for assignment in args.set:
        params.override(p, assignment)
    backend.use(params.get(p, "train.backend"))  # before anything below imports Keras
    if (args.features_model == "hybrid") != (args.stack_on is not None):
        raise InputError("--stack-on goes with --features-model hybrid, and only with it")
    from ich.cv.run import Options, run_features_recipe, run_recipe

    options = Options(
        name=args.name,
        out=args.out,
        overrides=tuple(args.set),
        folds=args.folds,
        fold_seed=args.fold_seed,
        fold_ensemble=args.fold_ensemble,
        val_fraction=args.val_fraction,
        workers=args.workers,
        features_model=args.features_model,
        stack_on=args.stack_on,
    )
    seeds = [int(s) for s in args.seeds.split(",")]
    run_one = run_features_recipe if args.features_model else run_recipe
    summary = run_one(args.workspace, p, options, seeds)
    for model in ("slice_model", "series_model", "prior"):
        auc, wll = summary[model]["any"], summary[model]["weighted_log_loss"]
        print(
            f"kfold {args.name}: {model.replace('_', ' ')}: AUC(any) {auc['auc']} "
            f"[{auc['low']}, {auc['high']}], weighted log loss {wll['value']} "
            f"[{wll['low']}, {wll['high']}]"
        )
    return 0
