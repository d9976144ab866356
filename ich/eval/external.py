"""External validation: a submission (Kaggle's long format, from `python -m ich predict`)
scored against a second labelled set with the holdout's metrics.

Each label's AUC comes with a patient-bootstrap interval and its positive counts. The reference a
useful model must beat is the set's own prevalence as a constant (an in-sample prior, so a
generous baseline): the model's own training prior is scored beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ich.data.labels import to_wide
from ich.errors import InputError
from ich.eval import metrics
from ich.eval.evaluation import EvaluateSpec, summary, wll_interval
from ich.rsna import LABELS


def wide_predictions(submission: pd.DataFrame, source: str) -> pd.DataFrame:
    """Kaggle's `ID_<image>_<label>,Label` rows -> one row per image (probabilities)."""
    parts = submission["ID"].str.rsplit("_", n=1)
    frame = pd.DataFrame({"ID": parts.str[0], "label": parts.str[1], "p": submission["Label"]})
    unknown = sorted(set(frame["label"]) - set(LABELS))
    if unknown:
        raise InputError(f"{source}: unknown labels {', '.join(unknown)}")
    wide = frame.pivot_table(index="ID", columns="label", values="p", aggfunc="first")
    missing = wide[list(LABELS)].isna().any(axis=1)
    if missing.any():
        raise InputError(f"{source}: {wide.index[missing][0]} lacks some of the six labels")
    return wide[list(LABELS)].reset_index()


def external_report(
    labels_long: pd.DataFrame,
    submission: pd.DataFrame,
    groups: pd.DataFrame,
    train_prior: dict[str, float],
    spec: EvaluateSpec,
    source: str = "submission",
) -> dict:
    """Metrics of `submission` on every labelled image; `groups` maps ID -> PatientID."""
    truth, _ = to_wide(labels_long, "labels")
    preds = wide_predictions(submission, source)
    table = truth.merge(preds, on="ID", how="left", suffixes=("", "_p"), validate="one_to_one")
    unscored = table[f"{LABELS[0]}_p"].isna()
    if unscored.any():
        raise InputError(
            f"{source}: {int(unscored.sum())} labelled images have no prediction "
            f"(first: {table.loc[unscored, 'ID'].iloc[0]})"
        )
    table = table.merge(groups[["ID", "PatientID"]], on="ID", how="left", validate="one_to_one")
    if table["PatientID"].isna().any():
        raise InputError(
            f"groups: no PatientID for {table.loc[table.PatientID.isna(), 'ID'].iloc[0]}"
        )
    y = table[list(LABELS)].to_numpy(np.float64)
    p = table[[f"{s}_p" for s in LABELS]].to_numpy(np.float64)
    patients = table["PatientID"].to_numpy()
    own = np.tile(y.mean(axis=0), (len(y), 1))
    trained = np.tile([train_prior[s] for s in LABELS], (len(y), 1))
    per_label = {}
    for i, s in enumerate(LABELS):
        auc = metrics.roc_auc(y[:, i], p[:, i])
        lo, hi, _ = metrics.bootstrap_auc_ci(y[:, i], p[:, i], patients, spec.bootstrap, spec.seed)
        per_label[s] = {
            "auc": auc,
            "auc_ci95_low": lo,
            "auc_ci95_high": hi,
            "positive_slices": int(y[:, i].sum()),
            "positive_patients": int(pd.unique(patients[y[:, i] == 1]).size),
        }
    return {
        "images": int(len(table)),
        "patients": int(pd.unique(patients).size),
        "model": {**summary(y, p), "weighted_log_loss_ci95": wll_interval(y, p, patients, spec)},
        "labels": per_label,
        "share_called_any": float((p[:, -1] >= 0.5).mean()),
        "baselines": {
            "prior_of_this_set": summary(y, own),
            "prior_the_model_trained_at": summary(y, trained),
        },
    }
