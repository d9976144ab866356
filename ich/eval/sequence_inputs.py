"""What the series model is trained and scored on, read from one place: the workspace (the
`sequence` stage) or any experiment's outputs through DVC (`python -m ich sequence-cv`).

Both read the same files and compute the same scores, so retraining the series model on an
experiment's cached slice features gives that experiment's own figures back.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ich.data.series import row_labels, series_inputs, split_series
from ich.eval.metrics import LABEL_WEIGHTS, weighted_log_loss
from ich.model.inference import natural_scale
from ich.pipeline import paths

Reader = Callable[[Path], bytes]  # a pipeline file's bytes
# The series model learns on the series patients' slices, which the slice model never trained
# on (ich.data.splits), and stops early on val's.
FIT, STOP = "series_pool", "val"


def workspace(path: Path) -> bytes:
    return Path(path).read_bytes()


def at_revision(rev: str) -> Reader:
    """Files as an experiment (or commit) left them, from the DVC cache."""
    import dvc.api

    def read(path: Path) -> bytes:
        with dvc.api.open(Path(path).as_posix(), rev=rev, mode="rb") as f:
            return f.read()

    return read


@dataclass
class SequenceInputs:
    index: pd.DataFrame
    inputs: np.ndarray  # by array row: slice features and relative position
    labels: np.ndarray  # (rows, 6) by array row
    series: dict[str, list[np.ndarray]]  # FIT and STOP: each series' rows, in z order
    slice_probs: np.ndarray  # the slice model's probabilities on the natural scale, by row
    slice_card: dict

    @classmethod
    def build(
        cls,
        index: pd.DataFrame,
        labels: pd.DataFrame,
        features: np.ndarray,
        slice_probs: np.ndarray,
        splits: dict[str, pd.DataFrame],
        slice_card: dict,
    ) -> SequenceInputs:
        """From the extract index, the labels table, embed's features and raw probabilities,
        the FIT and STOP splits and the slice model's card."""
        labelled = index.merge(labels, on="ID", validate="one_to_one")
        return cls(
            index=index,
            inputs=series_inputs(features, index),
            labels=row_labels(len(features), labelled),
            series=split_series(index, splits),
            slice_probs=natural_scale(slice_probs.astype(np.float64), slice_card),
            slice_card=slice_card,
        )

    @classmethod
    def read(cls, read: Reader = workspace) -> SequenceInputs:
        """The pipeline's files, through `read` (the workspace, or `at_revision`)."""

        def csv(path: Path) -> pd.DataFrame:
            return pd.read_csv(io.BytesIO(read(path)))

        def npy(path: Path) -> np.ndarray:
            return np.load(io.BytesIO(read(path)))

        return cls.build(
            index=csv(paths.INDEX),
            labels=csv(paths.LABELS),
            features=npy(paths.FEATURES),
            slice_probs=npy(paths.SLICE_PROBS),
            splits={s: csv(paths.SPLITS / f"{s}.csv") for s in (FIT, STOP)},
            slice_card=json.loads(read(paths.SLICE_CARD)),
        )

    @property
    def val_rows(self) -> np.ndarray:
        return np.concatenate(self.series[STOP])

    def provenance(self, slice_train: pd.DataFrame) -> pd.DataFrame:
        """Each slice the series model learns from (role fit) or stops early on (role
        early_stopping), and whether the slice model trained on it: what makes its features
        in-sample or not."""
        by_row = self.index.set_index("row")[["ID", "PatientID"]]  # series hold array rows
        frames = []
        for role, split in (("fit", FIT), ("early_stopping", STOP)):
            rows = np.concatenate(self.series[split])
            frames.append(by_row.loc[rows].reset_index(drop=True).assign(role=role))
        out = pd.concat(frames, ignore_index=True)
        out["slice_model_trained_on"] = out["ID"].isin(slice_train["ID"])
        return out

    def val_scores(self, probs: np.ndarray) -> dict:
        """Weighted log loss on every slice of the val patients' series (natural prevalence)
        of the series model's `probs` and of the slice model it reads: the figures a grouped
        cross-validation compares."""
        rows, y = self.val_rows, self.labels[self.val_rows]
        wll = {
            "sequence": weighted_log_loss(y, probs[rows].astype(np.float64), LABEL_WEIGHTS),
            "slice_model": weighted_log_loss(y, self.slice_probs[rows], LABEL_WEIGHTS),
        }
        return {k: round(v, 5) for k, v in wll.items()}
