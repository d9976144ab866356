"""Draw the synthetic montage beside real RSNA slices, to judge the synthetic data by eye.

The `montage` stage draws synthetic slices only (a stage reads nothing outside the
repository); this adds a column of real slices from --fixtures when that folder exists, and
says so and draws without it when it does not.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ich.pipeline import params, paths


def add_parser(commands) -> None:
    ap = commands.add_parser(
        "montage", help="synthetic slices beside real ones (PNG)", description=__doc__
    )
    ap.add_argument(
        "--fixtures",
        type=Path,
        default=os.environ.get("ICH_REAL_DICOMS"),
        help="a folder of real .dcm of one series (default: $ICH_REAL_DICOMS)",
    )
    ap.add_argument("--out", type=Path, default=paths.REPORTS / "synthetic_vs_real.png")
    ap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ich.synthetic.cohort import SynthesizeSpec, plan
    from ich.synthetic.montage import draw

    truth_csv = paths.SOURCE / "truth.csv"
    if not truth_csv.exists():
        raise FileNotFoundError(f"{truth_csv} not found: run `dvc repro source` first")
    fixtures = args.fixtures if args.fixtures and args.fixtures.is_dir() else None
    if fixtures is None:
        print(
            f"montage: no real series ({args.fixtures or 'set ICH_REAL_DICOMS'}): "
            "drawing synthetic slices only"
        )
    spec = params.section(params.load(), "synthesize", SynthesizeSpec)
    draw(plan(spec.cohort()), pd.read_csv(truth_csv), paths.SOURCE, fixtures, args.out)
    print(f"montage: {args.out}")
    return 0
