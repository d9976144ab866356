"""Stage `synthesize`: the embedded default dataset, RSNA 2019 layout, in data/synthetic/."""

from __future__ import annotations

import argparse
from pathlib import Path

from ich import params
from ich import workers as W
from ich.cli import run
from ich.reports import write_json
from ich.synthesize import spec_from_params, synthesize

OUT = Path("data/synthetic")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workers", type=int, help="processes (default: ICH_WORKERS or all cores)")
    args = ap.parse_args()
    spec, options = spec_from_params(params.load())
    summary = synthesize(spec, options, OUT, W.count(args.workers))
    write_json("metrics/synthesize.json", summary)


if __name__ == "__main__":
    run(main)
