"""Stage `sample`: labels + extracted index -> data/splits/{train,val,holdout}.csv."""

from __future__ import annotations

import pandas as pd

from ich.data.splits import SampleSpec, describe, make_splits
from ich.files import write_csv, write_json
from ich.pipeline import params, paths
from ich.pipeline.stage import run


def optional_count(p: dict, key: str) -> int | None:
    return None if params.get(p, key) is None else params.integer(p, key, 1)


def read_spec(p: dict) -> SampleSpec:
    return SampleSpec(
        seed=params.integer(p, "sample.seed", 0),
        holdout_fraction=params.number(
            p, "sample.holdout_fraction", 0, 1, lo_open=True, hi_open=True
        ),
        val_fraction=params.number(p, "sample.val_fraction", 0, 1, lo_open=True, hi_open=True),
        positive_ratio=params.number(p, "sample.positive_ratio", 0, 1),
        n_train=optional_count(p, "sample.n_train"),
        n_val=optional_count(p, "sample.n_val"),
        n_holdout=optional_count(p, "sample.n_holdout"),
        holdout_resample=params.boolean(p, "sample.holdout_resample"),
    )


def main() -> None:
    spec = read_spec(params.load())
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
