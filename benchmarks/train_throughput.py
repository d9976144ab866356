"""Training throughput (images/s) of the project's models, as `train` builds them.

mlp and cnn at resolution 64 and 128 (3 windows), random uint8 inputs streamed through
`SliceBatches` from an in-memory array, Keras `fit` for one epoch after a warm-up.
Any backend: set KERAS_BACKEND (tensorflow by default; jax on a GPU machine).
Usage: python benchmarks/train_throughput.py [--images 2048]
"""

from __future__ import annotations

import argparse
import json
import time

import keras
import numpy as np
import pandas as pd

from ich.data.inputs import SliceBatches
from ich.model.losses import WeightedBCE
from ich.model.networks import build
from ich.model.training import TrainSpec
from ich.pipeline import params
from ich.rsna import LABELS


def case(name: str, size: int, n: int, batch: int) -> dict:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (n, size, size, 3), dtype=np.uint8)
    split = pd.DataFrame({"row": np.arange(n), **{s: rng.integers(0, 2, n) for s in LABELS}})
    spec = params.section(params.load(), "train", TrainSpec)  # the default network's shape
    flip = spec.augment.model_copy(update={"flip": name == "cnn"})
    spec = spec.model_copy(update={"model": name, "dropout": (0.3, 0.2), "augment": flip})
    per = size * size * 3 if name == "mlp" else 3
    model = build(spec, (size, size, 3), np.full(per, 100.0), np.full(per, 900.0))
    opt = keras.optimizers.SGD(0.1) if name == "mlp" else keras.optimizers.Adam(1e-3)
    model.compile(optimizer=opt, loss=WeightedBCE())
    data = SliceBatches(images, split, batch, seed=0)
    warm = SliceBatches(images[: batch * 2], split.iloc[: batch * 2], batch, seed=0)
    model.fit(warm, epochs=1, verbose=0)
    t = time.perf_counter()
    model.fit(data, epochs=1, verbose=0)
    dt = time.perf_counter() - t
    return {
        "model": name,
        "resolution": size,
        "batch": batch,
        "images": n,
        "img_per_s": round(n / dt, 1),
        "params": model.count_params(),
        "backend": keras.backend.backend(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--images", type=int, default=2048)
    args = ap.parse_args()
    for name, batch in (("mlp", 256), ("cnn", 32)):
        for size in (64, 128):
            print(json.dumps(case(name, size, args.images, batch)), flush=True)


if __name__ == "__main__":
    main()
