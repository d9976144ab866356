"""Streaming batches from the memory-mapped images.npy (RAM bounded by a batch, at any N)."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd

from ich.data.order import EpochOrder, LoaderSpec, epoch_order
from ich.data.readahead import Readahead
from ich.rsna import LABELS

# Rows in epoch order, read in the training thread: what training did before `train.loader`.
IN_ORDER = LoaderSpec(order="rows", chunk=1, window=1, workers=0)


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


@dataclass(frozen=True)
class Share:
    """Which part of each global batch this process feeds (`ich.model.distribution`): the
    `process`-th of `processes` contiguous parts of a batch cut to a multiple of `devices` (a
    short last batch loses at most devices - 1 rows of the epoch's shuffle)."""

    process: int = 0
    processes: int = 1
    devices: int = 1


ONE_DEVICE = Share()


class SliceBatches(keras.utils.PyDataset):
    """(images, labels) batches of one split. With a `seed` they are the training batches:
    epoch k's order is a function of (seed, k) (`ich.data.order`), read as `loader` says."""

    def __init__(
        self,
        images: np.ndarray,
        split: pd.DataFrame,
        batch_size: int,
        seed: int | None = None,
        context: tuple[np.ndarray, np.ndarray] | None = None,
        loader: LoaderSpec = IN_ORDER,
        share: Share = ONE_DEVICE,
    ):
        super().__init__(workers=loader.workers, use_multiprocessing=False)
        self.images, self.batch_size, self.context = images, batch_size, context
        self.rows = split["row"].to_numpy()
        self.labels = split[list(LABELS)].to_numpy(np.float32)
        self.seed, self.loader = seed, loader
        self.share = share
        self.by_row = np.argsort(self.rows, kind="stable")  # `chunks` positions: array order
        self.readahead = Readahead(images)
        self.start_epoch(0)

    def start_epoch(self, epoch: int) -> None:
        """Serve epoch `epoch`'s batches (a resumed run starts past 0)."""
        self.epoch, self.advised = epoch, set()
        if self.seed is None:
            self.order = EpochOrder(np.arange(len(self.rows)), None)
            self.index = self.order.positions
            return
        self.order = epoch_order(self.loader, len(self.rows), self.seed, epoch)
        chunks = self.loader.order == "chunks"
        self.index = self.by_row[self.order.positions] if chunks else self.order.positions

    def __len__(self) -> int:
        return -(-len(self.rows) // self.batch_size)

    def __getitem__(self, i: int):
        start, stop = i * self.batch_size, min((i + 1) * self.batch_size, len(self.rows))
        self.read_ahead(start, stop)
        idx = self.index[start:stop]
        idx = idx[: len(idx) - len(idx) % self.share.devices]  # a last short batch, evened
        # Process k feeds the k-th contiguous part: JAX joins the processes' parts in process
        # order, so the global batch is row for row the one-process batch (dropout masks and
        # all), and the trained weights are the one-process run's.
        part = len(idx) // self.share.processes
        idx = idx[self.share.process * part : (self.share.process + 1) * part]
        return gather(self.images, self.rows[idx], self.context), self.labels[idx]

    def read_ahead(self, start: int, stop: int) -> None:
        """`chunks`: have the kernel read the windows of these places and the next one."""
        windows = self.order.windows(start, stop)
        if not windows:
            return
        last = len(self.order.bounds) - 2
        for w in range(windows.start, min(windows.stop, last) + 1):  # and the next one
            if w not in self.advised:
                self.advised.add(w)
                self.readahead(self.rows[self.by_row[self.order.window_positions(w)]])


class ServeEpochs(keras.callbacks.Callback):
    """Tells the training batches which epoch begins, by Keras's own count (which a resumed
    fit starts past 0). Counting `on_epoch_end` calls would not do: Keras also makes one
    when it peeks at a batch before the first epoch."""

    def __init__(self, batches: SliceBatches):
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self.batches.start_epoch(epoch)


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
