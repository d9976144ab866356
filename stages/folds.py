"""Stage `folds` (real-ct/dvc.yaml): every labelled patient dealt to a fold once, stratified by
what the patient has (rarest label first), for every recipe alike."""

from __future__ import annotations

import pandas as pd

from ich.cv.folds import CVSpec, deal_folds
from ich.files import write_csv
from ich.pipeline import params, paths
from ich.pipeline.stage import run


def main() -> None:
    spec = params.section(params.load(), "cv", CVSpec)
    index, labels = pd.read_csv(paths.INDEX), pd.read_csv(paths.LABELS)
    table = index.merge(labels, on="ID", validate="one_to_one")
    folds = deal_folds(table, spec)
    write_csv(paths.FOLDS, folds)
    sizes = folds["fold"].value_counts().sort_index().tolist()
    print(f"folds: {len(folds)} patients in {len(spec.folds)} folds of {sizes}")


if __name__ == "__main__":
    run(main)
