"""Stage `folds` (real-ct/dvc.yaml): every labelled patient dealt to a fold once, stratified by
what the patient has (rarest label first), for every recipe alike."""

from __future__ import annotations

from ich.cv.folds import CVSpec, deal_folds, labelled_table
from ich.files import write_csv
from ich.pipeline import params, paths
from ich.pipeline.stage import run


def main() -> None:
    spec = params.section(params.load(), "cv", CVSpec)
    _, table = labelled_table()
    folds = deal_folds(table, spec)
    write_csv(paths.FOLDS, folds)
    sizes = folds["fold"].value_counts().sort_index().tolist()
    print(f"folds: {len(folds)} patients in {len(spec.folds)} folds of {sizes}")


if __name__ == "__main__":
    run(main)
