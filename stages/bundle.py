"""Stage `bundle`: the slice and series models -> models/bundle/, the one folder that
`predict --model` reads and `dvc artifacts get` fetches (artifact `ich-model` in dvc.yaml)."""

from __future__ import annotations

import json

from ich.model.bundle import pack
from ich.pipeline import paths
from ich.pipeline.stage import run


def main() -> None:
    about = {
        "made_by": "the pipeline (dvc repro): trained on train, stopped on val, scored on holdout",
        "holdout": json.loads(paths.HOLDOUT_METRICS.read_text()),
    }
    slice_model = (paths.SLICE_MODEL, paths.SLICE_CARD)
    pack(slice_model, (paths.SEQUENCE_MODEL, paths.SEQUENCE_CARD), about, paths.BUNDLE)


if __name__ == "__main__":
    run(main)
