"""Stage `synthesize`: the embedded default dataset, RSNA 2019 layout, in data/synthetic/."""

from __future__ import annotations

import argparse

from ich.files import write_json
from ich.jobs import worker_count
from ich.pipeline import params, paths
from ich.pipeline.stage import run
from ich.synthetic.cohort import SynthesizeSpec
from ich.synthetic.dataset import synthesize


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workers", type=int, help="processes (default: ICH_WORKERS or all cores)")
    args = ap.parse_args()
    spec = params.section(params.load(), "synthesize", SynthesizeSpec)
    summary = synthesize(spec.cohort(), spec.options(), paths.SYNTHETIC, worker_count(args.workers))
    write_json(paths.SYNTHESIZE_REPORT, summary)


if __name__ == "__main__":
    run(main)
