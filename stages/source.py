"""Stage `source`: the labelled data in the RSNA layout, as `data.source` says: the phantom
synthesized, or CT-ICH imported, into data/source/; or the RSNA download read in place."""

from __future__ import annotations

import argparse

from ich.data.source import DataSpec
from ich.files import write_json
from ich.importers.provide import provide
from ich.jobs import worker_count
from ich.pipeline import params, paths
from ich.pipeline.stage import run
from ich.synthetic.cohort import SynthesizeSpec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workers", type=int, help="processes (default: ICH_WORKERS or all cores)")
    args = ap.parse_args()
    p = params.load()
    data = params.section(p, "data", DataSpec)
    phantom = params.section(p, "synthesize", SynthesizeSpec)
    report = provide(data, phantom, paths.SOURCE, worker_count(args.workers))
    write_json(paths.SOURCE_REPORT, report)
    print(f"source: {data.source} -> {data.labels_csv}, {data.dicom_dir}")


if __name__ == "__main__":
    run(main)
