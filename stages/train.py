"""Stage `train`: splits + images -> models/slice/, metrics/train.json, plots/train/."""

from __future__ import annotations

from ich.pipeline.backend import use_params_backend

use_params_backend()  # train.backend: chosen before anything below imports Keras

import json  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ich.data.source import DataSpec, trained_on_data  # noqa: E402
from ich.files import write_json  # noqa: E402
from ich.model.card import model_card  # noqa: E402
from ich.model.curves import training_curves  # noqa: E402
from ich.model.resume import backup_folder, run_identity  # noqa: E402
from ich.model.saving import save  # noqa: E402
from ich.model.training import TrainSpec, train  # noqa: E402
from ich.pipeline import params, paths  # noqa: E402
from ich.pipeline.stage import run  # noqa: E402


def main() -> None:
    p = params.load()
    spec = params.section(p, "train", TrainSpec)
    trained_on = trained_on_data(params.section(p, "data", DataSpec))
    images = np.load(paths.IMAGES, mmap_mode="r")
    index = pd.read_csv(paths.INDEX)
    splits = {s: pd.read_csv(paths.SPLITS / f"{s}.csv") for s in ("train", "val", "train_pool")}
    history = paths.TRAIN_PLOTS / "history.csv"
    inputs = [paths.IMAGES, paths.INDEX, *(paths.SPLITS / f"{s}.csv" for s in ("train", "val"))]
    backup = backup_folder(paths.SLICE_BACKUP, run_identity(spec.model_dump(), inputs))
    live = paths.TRAIN_PLOTS / "live"  # DVCLive: curves DVC shows while training runs
    started = time.perf_counter()
    model, summary = train(
        spec, images, index, splits["train"], splits["val"], history, backup, live
    )
    seconds = round(time.perf_counter() - started)  # this process's: a resumed run's own part
    if summary["distribution"]["process"] > 0:
        return  # several processes trained it: process 0 alone writes the outputs
    save(model, paths.SLICE_MODEL)
    preprocessing = json.loads(paths.PREPROCESSING.read_text())
    card = model_card(model, spec, preprocessing, images, index, splits, trained_on)
    write_json(paths.SLICE_CARD, card)
    write_json(paths.TRAIN_REPORT, summary)
    headline = {k: summary[k] for k in ("epochs_run", "best_val_loss")}
    write_json(paths.TRAIN_METRICS, {**headline, "train_seconds": seconds})
    training_curves(history, paths.TRAIN_PLOTS / "curves.png")
    shutil.rmtree(backup)  # the outputs are complete: nothing left to resume


if __name__ == "__main__":
    run(main)
