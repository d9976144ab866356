"""Stage `synthesize`: the embedded default dataset, RSNA 2019 layout, in data/synthetic/."""

from __future__ import annotations

import argparse
from pathlib import Path

from ich import params
from ich import workers as W
from ich.cohort import plan
from ich.montage import draw
from ich.reports import write_json
from ich.synthesize import spec_from_params, synthesize

OUT = Path("data/synthetic")
FIXTURES = Path("../shared/fixtures/rsna_stage2_test_series")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workers", type=int, help="processes (default: ICH_WORKERS or all cores)")
    args = ap.parse_args()
    spec, options = spec_from_params(params.load())
    summary = synthesize(spec, options, OUT, W.count(args.workers))
    write_json("metrics/synthesize.json", summary)
    truth = __import__("pandas").read_csv(OUT / "truth.csv")
    draw(plan(spec), truth, OUT, FIXTURES, Path("plots/synthetic_samples.png"))


if __name__ == "__main__":
    main()
