"""Streaming batches from the memory-mapped images.npy (RAM bounded by a batch, at any N)."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd

from ich.rsna import LABELS


def neighbour_rows(index: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For each array row, the rows of the previous and next slice of its series (by z).

    The first and last slice of a series are their own missing neighbour.
    """
    order = index.sort_values(["SeriesInstanceUID", "position"])
    rows = order["row"].to_numpy()
    same_prev = (
        order["SeriesInstanceUID"].to_numpy()[1:] == order["SeriesInstanceUID"].to_numpy()[:-1]
    )
    prev, nxt = rows.copy(), rows.copy()
    prev[1:][same_prev] = rows[:-1][same_prev]
    nxt[:-1][same_prev] = rows[1:][same_prev]
    # Indexed by array row; rows of rejected files (blank, never asked for) point to themselves.
    size = int(rows.max()) + 1 if len(rows) else 0
    out_prev, out_next = np.arange(size), np.arange(size)
    out_prev[rows], out_next[rows] = prev, nxt
    return out_prev, out_next


def gather(images: np.ndarray, rows: np.ndarray, context: tuple[np.ndarray, np.ndarray] | None):
    """Images of `rows` (any order), with the neighbours' channels appended when context is set."""
    order = np.argsort(rows)  # sorted reads are sequential on a memmap
    x = np.empty((len(rows), *images.shape[1:]), images.dtype)
    x[order] = images[rows[order]]
    if context is None:
        return x
    prev, nxt = context
    return np.concatenate(
        [gather(images, prev[rows], None), x, gather(images, nxt[rows], None)], axis=-1
    )


class SliceBatches(keras.utils.PyDataset):
    """(images, labels) batches of one split; reshuffled every epoch when `seed` is given."""

    def __init__(
        self,
        images: np.ndarray,
        split: pd.DataFrame,
        batch_size: int,
        seed: int | None = None,
        context: tuple[np.ndarray, np.ndarray] | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.images, self.batch_size, self.context = images, batch_size, context
        self.rows = split["row"].to_numpy()
        self.labels = split[list(LABELS)].to_numpy(np.float32)
        self.rng = np.random.default_rng(seed) if seed is not None else None
        self.order = np.arange(len(self.rows))
        self.on_epoch_end()

    def __len__(self) -> int:
        return -(-len(self.rows) // self.batch_size)

    def __getitem__(self, i: int):
        idx = self.order[i * self.batch_size : (i + 1) * self.batch_size]
        return gather(self.images, self.rows[idx], self.context), self.labels[idx]

    def on_epoch_end(self) -> None:
        if self.rng is not None:
            self.order = self.rng.permutation(len(self.rows))


def channel_stats(batches: SliceBatches, per_pixel: bool) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the training inputs, per pixel-and-channel or per channel."""
    total, total_sq, n = 0.0, 0.0, 0
    for i in range(len(batches)):
        x = batches[i][0].astype(np.float64)
        axes = 0 if per_pixel else (0, 1, 2)
        total = total + x.sum(axis=axes)
        total_sq = total_sq + (x**2).sum(axis=axes)
        n += x.shape[0] if per_pixel else x.shape[0] * x.shape[1] * x.shape[2]
    mean = total / n
    var = np.maximum(total_sq / n - mean**2, 1e-6)
    return mean.astype(np.float32), var.astype(np.float32)
