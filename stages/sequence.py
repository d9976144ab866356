"""Stage `sequence`: slice features -> models/sequence/ (a series-level model and its card) and
data/sequence/probs.npy (its probabilities for every slice)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ich.data.series import row_labels, series_inputs, series_rows, split_series
from ich.eval.metrics import LABEL_WEIGHTS, weighted_log_loss
from ich.files import write_json, write_npy
from ich.model.card import sequence_card
from ich.model.curves import training_curves
from ich.model.inference import natural_scale
from ich.model.saving import save
from ich.model.sequence import SequenceSpec, predict_series, train_sequence
from ich.pipeline import params, paths
from ich.pipeline.stage import run


def main() -> None:
    spec = params.section(params.load(), "sequence", SequenceSpec)
    index = pd.read_csv(paths.INDEX)
    labelled = index.merge(pd.read_csv(paths.LABELS), on="ID", validate="one_to_one")
    features = np.load(paths.FEATURES)
    inputs, labels = series_inputs(features, index), row_labels(len(features), labelled)
    splits = {s: pd.read_csv(paths.SPLITS / f"{s}.csv") for s in ("train_pool", "val")}
    series = split_series(index, splits)
    history = paths.SEQUENCE_PLOTS / "history.csv"
    model, summary = train_sequence(
        spec, inputs, labels, series["train_pool"], series["val"], history
    )
    save(model, paths.SEQUENCE_MODEL)
    # every series once, here, so that evaluate reads probabilities and needs no model
    probs = predict_series(model, inputs, series_rows(index)).astype(np.float32)
    write_npy(paths.SERIES_PROBS, probs)
    val_rows = np.concatenate(series["val"])
    p_val = probs[val_rows].astype(np.float64)
    slice_card = json.loads(paths.SLICE_CARD.read_text())
    p_val_slice = natural_scale(np.load(paths.SLICE_PROBS)[val_rows].astype(np.float64), slice_card)
    embed = json.loads(paths.EMBED_SETTINGS.read_text())
    write_json(paths.SEQUENCE_CARD, sequence_card(slice_card, embed, labels[val_rows], p_val))
    # every slice of the val patients' series, at natural prevalence: the figure a grouped
    # cross-validation (sample.cv_fold) compares
    val = {
        "sequence": round(weighted_log_loss(labels[val_rows], p_val, LABEL_WEIGHTS), 5),
        "slice_model": round(weighted_log_loss(labels[val_rows], p_val_slice, LABEL_WEIGHTS), 5),
    }
    write_json(paths.SEQUENCE_REPORT, {**summary, "val_weighted_log_loss": val})
    write_json(
        paths.SEQUENCE_METRICS, {"epochs_run": summary["epochs_run"], "val_weighted_log_loss": val}
    )
    training_curves(history, paths.SEQUENCE_PLOTS / "curves.png")
    print(f"sequence: best val loss {summary['best_val_loss']} at epoch {summary['best_epoch']}")


if __name__ == "__main__":
    run(main)
