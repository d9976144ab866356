"""Stage `montage`: plots/synthetic_samples.png, synthetic slices per subtype beside real ones.

The real column comes from the fixture series when it is present (`--fixtures`, default
../shared/fixtures/rsna_stage2_test_series); without it the montage shows synthetic slices only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ich import params
from ich.cli import run
from ich.cohort import plan
from ich.montage import draw
from ich.synthesize import spec_from_params

DATA = Path("data/synthetic")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--fixtures", type=Path, default=Path("../shared/fixtures/rsna_stage2_test_series")
    )
    args = ap.parse_args()
    spec, _ = spec_from_params(params.load())
    truth = pd.read_csv(DATA / "truth.csv")
    draw(plan(spec), truth, DATA, args.fixtures, Path("plots/synthetic_samples.png"))


if __name__ == "__main__":
    run(main)
