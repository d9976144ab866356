"""Stage `sequence`: slice features -> models/sequence/ (a series-level model and its card) and
data/sequence/probs.npy (its probabilities for every slice)."""

from __future__ import annotations

from ich.pipeline.backend import use_params_backend

use_params_backend()  # train.backend: chosen before anything below imports Keras

import json  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ich.data.series import series_rows  # noqa: E402
from ich.eval.sequence_inputs import FIT, STOP, SequenceInputs  # noqa: E402
from ich.files import write_csv, write_json, write_npy  # noqa: E402
from ich.model.card import sequence_card  # noqa: E402
from ich.model.curves import training_curves  # noqa: E402
from ich.model.saving import save  # noqa: E402
from ich.model.sequence import SequenceSpec, predict_series, train_sequence  # noqa: E402
from ich.pipeline import params, paths  # noqa: E402
from ich.pipeline.stage import run  # noqa: E402


def main() -> None:
    spec = params.section(params.load(), "sequence", SequenceSpec)
    data = SequenceInputs.build(
        index=pd.read_csv(paths.INDEX),
        labels=pd.read_csv(paths.LABELS),
        features=np.load(paths.FEATURES),
        slice_probs=np.load(paths.SLICE_PROBS),
        splits={s: pd.read_csv(paths.SPLITS / f"{s}.csv") for s in (FIT, STOP)},
        slice_card=json.loads(paths.SLICE_CARD.read_text()),
    )
    history = paths.SEQUENCE_PLOTS / "history.csv"
    model, summary = train_sequence(
        spec,
        data.inputs,
        data.labels,
        data.series[FIT],
        data.series[STOP],
        history,
        live=paths.SEQUENCE_PLOTS / "live",
    )
    provenance = data.provenance(pd.read_csv(paths.SPLITS / "train.csv"))
    write_csv(paths.SEQUENCE_PROVENANCE, provenance)
    save(model, paths.SEQUENCE_MODEL)
    # every series once, here, so that evaluate reads probabilities and needs no model
    probs = predict_series(model, data.inputs, series_rows(data.index)).astype(np.float32)
    write_npy(paths.SERIES_PROBS, probs)
    embed = json.loads(paths.EMBED_SETTINGS.read_text())
    val_rows = data.val_rows
    p_val = probs[val_rows].astype(np.float64)
    card = sequence_card(data.slice_card, embed, data.labels[val_rows], p_val, provenance)
    write_json(paths.SEQUENCE_CARD, card)
    val = data.val_scores(probs)
    write_json(paths.SEQUENCE_REPORT, {**summary, "val_weighted_log_loss": val})
    write_json(
        paths.SEQUENCE_METRICS, {"epochs_run": summary["epochs_run"], "val_weighted_log_loss": val}
    )
    training_curves(history, paths.SEQUENCE_PLOTS / "curves.png")
    print(f"sequence: best val loss {summary['best_val_loss']} at epoch {summary['best_epoch']}")


if __name__ == "__main__":
    run(main)
