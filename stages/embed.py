"""Stage `embed`: slice model + images -> data/embeddings/ (features and raw probabilities)."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd

from ich.files import write_json, write_npy
from ich.jobs import progress
from ich.model.embedding import EmbedSpec, embed_index
from ich.pipeline import params, paths
from ich.pipeline.stage import run


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
