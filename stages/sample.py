"""Stage `sample`: labels + extracted index -> data/splits/{train,val,holdout}.csv."""

from __future__ import annotations

import pandas as pd

from ich.data.splits import SampleSpec, describe, make_splits
from ich.files import write_csv, write_json
from ich.pipeline import params, paths
from ich.pipeline.stage import run


def main() -> None:
    spec = params.section(params.load(), "sample", SampleSpec)
    labels = pd.read_csv(paths.LABELS)
    index = pd.read_csv(paths.INDEX)
    table = index.merge(labels, on="ID", how="inner", validate="one_to_one")
    splits = make_splits(table, spec)
    for name, frame in splits.items():
        write_csv(paths.SPLITS / f"{name}.csv", frame)
    write_json(paths.SAMPLE_REPORT, describe(splits, spec.positive_ratio))
    print("sample: " + ", ".join(f"{k} {len(v)}" for k, v in splits.items()))


if __name__ == "__main__":
    run(main)
