"""Stage `explain`: slice model + holdout -> plots/explain/saliency.png (occlusion maps).

It explains the slice model, the one that sees pixels (the series model reads features), so
it reruns with that model, not with a `sequence.*` or `evaluate.*` change.
"""

from __future__ import annotations

from ich.pipeline.backend import use_params_backend

use_params_backend()  # train.backend: chosen before anything below imports Keras

import json  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ich.data.neighbours import neighbour_rows  # noqa: E402
from ich.eval.plots import saliency_grid  # noqa: E402
from ich.model.inference import natural_scale  # noqa: E402
from ich.model.saliency import saliency_examples  # noqa: E402
from ich.pipeline import paths  # noqa: E402
from ich.pipeline.stage import run  # noqa: E402


def main() -> None:
    index = pd.read_csv(paths.INDEX)
    holdout = pd.read_csv(paths.SPLITS / "holdout.csv")
    card = json.loads(paths.SLICE_CARD.read_text())
    p = natural_scale(np.load(paths.SLICE_PROBS)[holdout["row"].to_numpy()], card)
    model = keras.saving.load_model(paths.SLICE_MODEL, compile=False)
    images = np.load(paths.IMAGES, mmap_mode="r")
    context = neighbour_rows(index) if card["context"] else None
    xs, maps, titles = saliency_examples(model, images, holdout, p, context)
    channels = len(card["windows"])  # with context the centre slice's channels come second
    paths.SALIENCY.parent.mkdir(parents=True, exist_ok=True)
    saliency_grid(xs, maps, titles, paths.SALIENCY, channel=channels if context else 0)
    print(f"explain: occlusion maps of {len(xs)} holdout slices -> {paths.SALIENCY}")


if __name__ == "__main__":
    run(main)
