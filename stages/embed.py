"""Stage `embed`: slice model + images -> data/embeddings/ (features and raw probabilities)."""

from __future__ import annotations

from ich.pipeline.backend import use_params_backend

use_params_backend()  # train.backend: chosen before anything below imports Keras

import json  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ich.files import write_json, write_npy  # noqa: E402
from ich.jobs import progress  # noqa: E402
from ich.model.embedding import EmbedSpec, embed_index  # noqa: E402
from ich.pipeline import params, paths  # noqa: E402
from ich.pipeline.stage import run  # noqa: E402


def main() -> None:
    spec = params.section(params.load(), "embed", EmbedSpec)
    model = keras.saving.load_model(paths.SLICE_MODEL, compile=False)
    card = json.loads(paths.SLICE_CARD.read_text())
    images = np.load(paths.IMAGES, mmap_mode="r")
    index = pd.read_csv(paths.INDEX)
    with progress(total=len(index), unit="slice", desc="embed") as bar:
        features, probs = embed_index(model, card, images, index, spec.flip, bar.update)
    write_npy(paths.FEATURES, features)
    write_npy(paths.SLICE_PROBS, probs)
    write_json(paths.EMBED_SETTINGS, spec.model_dump())
    write_json(paths.EMBED_REPORT, {"slices": int(len(index)), "features": features.shape[1]})
    print(f"embed: {len(index)} slices -> {features.shape[1]} features each")


if __name__ == "__main__":
    run(main)
