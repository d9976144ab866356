"""Grouped cross-validation: the experiments that set `sample.cv_fold`, compared fold by fold.

Run the folds as experiments, one training seed per fold, e.g. for two resolutions:

    for k in 0 1 2; do for r in 64 128; do
      dvc exp run --queue -n cv-r$r-f$k -S sample.cv_fold=$k -S train.seed=$((k+1)) \\
        -S sequence.seed=$((k+1)) -S extract.resolution=$r
    done; done; dvc queue start

then `python -m ich crossval` prints (and writes) each configuration's val weighted log loss
over its folds, and each configuration minus the best, fold by fold.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ich.cli import command
from ich.errors import InputError
from ich.pipeline import paths


def add_parser(commands) -> None:
    ap = command(commands, "crossval", "cross-validation folds compared", __doc__)
    ap.add_argument("--out", type=Path, default=paths.REPORTS / "crossval.md")
    ap.add_argument("--all-commits", action="store_true", help="folds on earlier commits too")
    ap.add_argument(
        "--reference", metavar="NAME", help="pair with this fold's configuration (default: best)"
    )
    ap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ich.eval.compare import experiments
    from ich.eval.crossval import folds, table

    found = folds(experiments(args.all_commits))
    if not found:
        raise InputError("no experiment sets sample.cv_fold yet (see `python -m ich crossval -h`)")
    text = (
        "# Grouped cross-validation (val weighted log loss, mean [min, max] over folds)\n\n"
        + table(found, args.reference)
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0
