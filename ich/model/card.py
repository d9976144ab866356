"""What travels with the weights in `models/slice/preprocessing.json`: how to feed the model,
the two priors that put its outputs on the natural scale, and its operating points (and the
series model's smaller card, `models/sequence/card.json`).

`evaluate` and `predict` read it, so both see the same preprocessing, correction and
thresholds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ich.data.inputs import SliceBatches
from ich.data.neighbours import neighbour_rows
from ich.data.splits import prevalence
from ich.model.inference import prior_shift
from ich.model.thresholds import operating_points
from ich.model.training import TrainSpec
from ich.rsna import LABELS


def model_card(
    model,
    spec: TrainSpec,
    preprocessing: dict,
    images: np.ndarray,
    index: pd.DataFrame,
    splits: dict[str, pd.DataFrame],
    trained_on: dict,
) -> dict:
    """The card of a model trained on splits["train"]: the natural prior comes from
    splits["train_pool"] and the thresholds from splits["val"], at the natural scale.
    `trained_on` names the data (`trained_on_data`), so `predict` can warn about the phantom."""
    natural, trained = prevalence(splits["train_pool"]), prevalence(splits["train"])
    context = neighbour_rows(index) if spec.context else None
    p_val = prior_shift(predict_split(model, images, splits["val"], context), trained, natural)
    y_val = splits["val"][list(LABELS)].to_numpy()
    return {
        **preprocessing,
        "trained_on": trained_on,
        "context": spec.context,
        "prior": dict(zip(LABELS, natural, strict=True)),  # natural: predict's fallback too
        "train_prior": dict(zip(LABELS, trained, strict=True)),
        "target_sensitivity": spec.target_sensitivity,
        "thresholds": operating_points(y_val, p_val, spec.target_sensitivity),
    }


def sequence_card(
    slice_card: dict, embed: dict, y_val: np.ndarray, p_val: np.ndarray, provenance: pd.DataFrame
) -> dict:
    """The series model's card: how its features were computed (`embed`'s settings, which
    predict repeats with the same slice model), on which slices it learned (counts from
    `provenance`), and, as its outputs are on the natural scale already (it is trained on whole
    series), only the operating points, chosen on val like the slice model's, and the natural
    prior (predict's fallback for unreadable files)."""
    target = slice_card["target_sensitivity"]
    seen = provenance.groupby("role")["slice_model_trained_on"]
    return {
        "embed": embed,
        "features": {
            role: {"slices": int(n), "slice_model_trained_on": int(k)}
            for role, n, k in zip(seen.size().index, seen.size(), seen.sum(), strict=True)
        },
        "prior": slice_card["prior"],
        "target_sensitivity": target,
        "thresholds": operating_points(y_val, p_val, target),
    }


def predict_split(model, images: np.ndarray, split: pd.DataFrame, context, batch_size: int = 256):
    """The model's raw probabilities (n, 6) for the rows of one split."""
    data = SliceBatches(images, split, batch_size, None, context)
    return np.asarray(model.predict(data, verbose=0), dtype=np.float64)
