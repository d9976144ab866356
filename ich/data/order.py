"""The order training visits a split's rows in, as a pure function of (seed, epoch).

Every epoch's order is computed from the seed and the epoch number alone, so a run resumed
at epoch k sees the batches an uninterrupted run would (`ich.model.resume`).

- `rows`: a fresh permutation of all rows per epoch. Off the page cache every image is a
  random read of the memory-mapped array.
- `chunks`: the rows, in array order, are cut into chunks of consecutive rows; the chunks are
  shuffled, and the rows of each window of `window` chunks are shuffled together. A batch
  then draws from one window (or two), whose chunks are read ahead as long runs
  (`ich.data.readahead`): near-sequential reads with a window's worth of mixing. RSNA's
  files are named by random IDs, so a run of consecutive rows is not one patient's scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ich.spec import Count, Positive, Spec


class LoaderSpec(Spec):
    """`train.loader` in params.yaml: how the training batches are read."""

    order: Literal["rows", "chunks"]
    chunk: Positive  # chunks: consecutive rows read together
    window: Positive  # chunks: chunks whose rows are shuffled together
    workers: Count  # threads filling batches ahead of training (0: the training thread)


@dataclass(frozen=True)
class EpochOrder:
    """One epoch's order, and where each window starts in it (`chunks`; None for `rows`)."""

    positions: np.ndarray
    bounds: np.ndarray | None  # window w is positions[bounds[w]:bounds[w + 1]]

    def windows(self, start: int, stop: int) -> range:
        """The windows that places start..stop-1 of the order fall in."""
        if self.bounds is None:
            return range(0)
        first = int(np.searchsorted(self.bounds, start, side="right")) - 1
        last = int(np.searchsorted(self.bounds, stop - 1, side="right")) - 1
        return range(first, last + 1)

    def window_positions(self, w: int) -> np.ndarray:
        return self.positions[self.bounds[w] : self.bounds[w + 1]]


def chunk_order(n: int, chunk: int, window: int, seed: int, epoch: int) -> EpochOrder:
    """Epoch `epoch`'s order of positions 0..n-1 (positions in array order): shuffled chunks,
    rows shuffled within each window of chunks."""
    rng = np.random.default_rng([seed, epoch])
    chunks = rng.permutation(-(-n // chunk))
    positions = (chunks[:, None] * chunk + np.arange(chunk)).ravel()
    windows = np.repeat(np.arange(len(chunks)) // window, chunk)
    keep = positions < n  # the last chunk may be short
    positions, windows = positions[keep], windows[keep]
    order = positions[np.lexsort((rng.random(len(positions)), windows))]
    return EpochOrder(order, np.searchsorted(windows, np.arange(windows[-1] + 2) if n else [0]))


def epoch_order(spec: LoaderSpec, n: int, seed: int, epoch: int) -> EpochOrder:
    """Positions 0..n-1 of a split (in array order) in epoch `epoch`'s order."""
    if spec.order == "chunks":
        return chunk_order(n, spec.chunk, spec.window, seed, epoch)
    return EpochOrder(np.random.default_rng([seed, epoch]).permutation(n), None)
