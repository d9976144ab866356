"""The training batches: per-epoch seeded orders, the chunked shuffle, read-ahead, and each
process's share of a global batch."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from ich.data.inputs import Share, SliceBatches
from ich.data.order import LoaderSpec, chunk_order, epoch_order
from ich.data.readahead import Readahead
from ich.rsna import LABELS

CHUNKS = LoaderSpec(order="chunks", chunk=4, window=3, workers=0)
ROWS = LoaderSpec(order="rows", chunk=1, window=1, workers=0)


def split_of(rows: np.ndarray) -> pd.DataFrame:
    labels = {name: (rows + k) % 2 for k, name in enumerate(LABELS)}
    return pd.DataFrame({"row": rows, **labels})


def images_on_disk(tmp_path, n: int = 200) -> np.ndarray:
    """A memory-mapped (n, 4, 4, 1) array whose every pixel holds its row number mod 256."""
    array = np.broadcast_to(
        (np.arange(n) % 256).astype(np.uint8)[:, None, None, None], (n, 4, 4, 1)
    )
    np.save(tmp_path / "images.npy", np.ascontiguousarray(array))
    return np.load(tmp_path / "images.npy", mmap_mode="r")


@pytest.mark.parametrize("loader", [ROWS, CHUNKS])
def test_every_epoch_visits_each_row_once_in_an_order_fixed_by_seed_and_epoch(loader):
    orders = [epoch_order(loader, 50, seed=3, epoch=e).positions for e in range(3)]
    for order in orders:
        assert sorted(order) == list(range(50))
    assert not np.array_equal(orders[0], orders[1]), "reshuffled every epoch"
    again = epoch_order(loader, 50, seed=3, epoch=2).positions
    np.testing.assert_array_equal(again, orders[2])
    other = epoch_order(loader, 50, seed=4, epoch=2).positions
    assert not np.array_equal(other, orders[2])


def test_a_chunked_window_is_whole_chunks_with_their_rows_mixed():
    n, chunk, window = 103, 4, 3  # the last chunk is short
    order = chunk_order(n, chunk, window, seed=0, epoch=1)
    assert order.bounds[0] == 0 and order.bounds[-1] == n
    mixed = 0
    for w in range(len(order.bounds) - 1):
        rows = order.window_positions(w)
        chunks = set(rows // chunk)
        assert len(chunks) <= window
        whole = {r for c in chunks for r in range(c * chunk, min(n, (c + 1) * chunk))}
        assert set(rows) == whole, "a window holds its chunks whole"
        mixed += not np.array_equal(rows, np.sort(rows))
    assert mixed >= len(order.bounds) - 2, "rows are shuffled within windows"
    assert [len(order.windows(0, n))] == [len(order.bounds) - 1]


@pytest.mark.parametrize("loader", [ROWS, CHUNKS])
def test_batches_hold_the_rows_and_labels_of_the_split(loader, tmp_path):
    images = images_on_disk(tmp_path)
    rows = np.random.default_rng(1).choice(200, 90, replace=False)  # a split: a subset
    split = split_of(rows)
    batches = SliceBatches(images, split, 16, seed=7, loader=loader)
    seen = []
    for i in range(len(batches)):
        x, y = batches[i]
        got = x[:, 0, 0, 0].astype(int)
        expected = split.set_index("row").loc[got, list(LABELS)].to_numpy(np.float32)
        np.testing.assert_array_equal(y, expected)
        seen.extend(got)
    assert sorted(seen) == sorted(rows % 256)


def test_a_resumed_epoch_serves_the_batches_an_uninterrupted_run_would(tmp_path):
    images = images_on_disk(tmp_path)
    split = split_of(np.arange(0, 200, 2))
    for loader in (ROWS, CHUNKS):
        running = SliceBatches(images, split, 8, seed=11, loader=loader)
        for epoch in range(4):  # served epochs 0-2 in full, then epoch 3
            running.start_epoch(epoch)
            _ = [running[i] for i in range(len(running))]
        resumed = SliceBatches(images, split, 8, seed=11, loader=loader)
        resumed.start_epoch(3)
        for i in range(len(running)):
            np.testing.assert_array_equal(running[i][0], resumed[i][0])


def test_processes_split_each_global_batch_evened_to_the_devices(tmp_path):
    images = images_on_disk(tmp_path)
    split = split_of(np.arange(37))  # batches of 8: the last holds 5 rows
    whole = SliceBatches(images, split, 8, seed=2)
    parts = [SliceBatches(images, split, 8, seed=2, share=Share(p, 2, 4)) for p in (0, 1)]
    for i in range(len(whole)):
        rows = whole[i][0][:, 0, 0, 0]
        joined = np.concatenate([part[i][0][:, 0, 0, 0] for part in parts])  # as JAX joins them
        np.testing.assert_array_equal(joined, rows[: len(rows) - len(rows) % 4])
        assert len(parts[0][i][0]) == len(parts[1][i][0])
    assert len(parts[0][len(whole) - 1][0]) == 2, "5 rows over 4 devices: 4 kept, 2 each"


def test_readahead_asks_for_each_run_of_rows_once(tmp_path, monkeypatch):
    images = images_on_disk(tmp_path)
    calls = []
    monkeypatch.setattr(
        os, "posix_fadvise", lambda fd, start, size, how: calls.append((start, size))
    )
    Readahead(images)(np.array([9, 4, 3, 5, 4]))
    row = 16  # bytes per row
    offset = images.offset
    assert calls == [(offset + 3 * row, 3 * row), (offset + 9 * row, row)]
    calls.clear()
    Readahead(np.array(images))(np.array([1, 2]))
    assert calls == [], "an array in memory has nothing to read ahead"


def test_chunked_batches_read_their_windows_ahead(tmp_path, monkeypatch):
    images = images_on_disk(tmp_path)
    split = split_of(np.arange(200))
    asked = []
    monkeypatch.setattr(
        os, "posix_fadvise", lambda fd, start, size, how: asked.append((start, size))
    )
    batches = SliceBatches(images, split, 10, seed=0, loader=CHUNKS)  # windows of 12 rows
    batches[0]
    window_rows = sum(size for _, size in asked) // 16
    assert window_rows == 24, "the first batch's window and the next one"
    asked.clear()
    batches[0]
    assert asked == [], "each window once per epoch"
