"""Slices grouped into series in z order: the unit the series-level model reads.

A series is the array rows of its slices, sorted by their rank along z (`position`, from
extract). Batches pad every series to the longest one in the batch and weight the padding 0,
so the loss and the model see only real slices, at any series length.
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd

from ich.rsna import LABELS


def series_rows(index: pd.DataFrame) -> list[np.ndarray]:
    """Array rows of each series in z order; series sorted by SeriesInstanceUID."""
    order = index.sort_values(["SeriesInstanceUID", "position", "ID"])
    groups = order.groupby("SeriesInstanceUID", sort=True)["row"]
    return [g.to_numpy() for _, g in groups]


def series_inputs(features: np.ndarray, index: pd.DataFrame) -> np.ndarray:
    """Per array row: the slice features and the slice's relative position in its series (0 at
    one end, 1 at the other), the one thing about a slice the features cannot know."""
    position = np.zeros((len(features), 1), np.float32)
    position[index["row"].to_numpy(), 0] = index["relative_position"].to_numpy(np.float32)
    return np.concatenate([features.astype(np.float32), position], axis=1)


def row_labels(size: int, table: pd.DataFrame) -> np.ndarray:
    """(size, 6) labels by array row, from a table with `row` and the six label columns."""
    y = np.zeros((size, len(LABELS)), np.float32)
    y[table["row"].to_numpy()] = table[list(LABELS)].to_numpy(np.float32)
    return y


def pad(
    series: list[np.ndarray], values: np.ndarray, length: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(batch, length, ...) values of each series' rows, zero-padded, and the (batch, length)
    mask of real slices; `length` defaults to the longest series'."""
    longest = length or max(len(s) for s in series)
    out = np.zeros((len(series), longest, *values.shape[1:]), values.dtype)
    mask = np.zeros((len(series), longest), np.float32)
    for i, rows in enumerate(series):
        out[i, : len(rows)] = values[rows]
        mask[i, : len(rows)] = 1
    return out, mask


class SeriesBatches(keras.utils.PyDataset):
    """((inputs, mask), labels, mask) batches of whole series, as the series model's `fit`
    takes them; reshuffled every epoch when `seed` is given. The mask is both a model input
    and the sample weight: padded slices count 0. Every batch is padded to the longest series
    of all (Keras fixes a dataset's shapes from its first batch)."""

    def __init__(
        self,
        inputs: np.ndarray,
        labels: np.ndarray,
        series: list[np.ndarray],
        batch_size: int,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.inputs, self.labels, self.series = inputs, labels, series
        self.batch_size = batch_size
        self.rng = np.random.default_rng(seed) if seed is not None else None
        self.order = np.arange(len(series))
        self.length = max(len(s) for s in series)
        self.on_epoch_end()

    def __len__(self) -> int:
        return -(-len(self.series) // self.batch_size)

    def __getitem__(self, i: int):
        picked = self.order[i * self.batch_size : (i + 1) * self.batch_size]
        batch = [self.series[k] for k in picked]
        x, mask = pad(batch, self.inputs, self.length)
        y, _ = pad(batch, self.labels, self.length)
        return (x, mask), y, mask

    def on_epoch_end(self) -> None:
        if self.rng is not None:
            self.order = self.rng.permutation(len(self.series))


def split_series(index: pd.DataFrame, splits: dict[str, pd.DataFrame]) -> dict[str, list]:
    """For each split, the whole series of its patients (every extracted slice, whatever the
    split's sampling drew)."""
    return {
        name: series_rows(index[index["PatientID"].isin(frame["PatientID"].unique())])
        for name, frame in splits.items()
    }
