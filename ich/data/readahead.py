"""Asking the kernel to read rows of a memory-mapped .npy ahead of their use.

Off the page cache, a memory map reads what a page fault asks for and a little around it, one
fault at a time. Told the byte ranges of the rows the next batches need (`WILLNEED`), the
kernel reads them as a few long requests while the current batches train, and the pages land
in the page cache, not in the process: its memory stays bounded by a batch.
"""

from __future__ import annotations

import os

import numpy as np


class Readahead:
    """Read-ahead for the rows of one memory-mapped array (a no-op for an in-memory one)."""

    def __init__(self, images: np.ndarray):
        self.path, self.fd, self.pid = None, None, None
        whole = isinstance(images, np.memmap) and images.filename is not None
        # a slice of a memmap keeps its parent's file offset: only a whole .npy's rows are
        # where offset + row * row_bytes says (np.load(mmap_mode="r") gives one)
        if whole and hasattr(os, "posix_fadvise"):
            size = os.path.getsize(images.filename) - images.offset
            if size == images.nbytes:
                self.path, self.offset = images.filename, images.offset
                self.row_bytes = images.nbytes // max(1, len(images))

    def __call__(self, rows: np.ndarray) -> None:
        """Start reading these array rows (any order); returns at once."""
        if self.path is None or len(rows) == 0:
            return
        if self.pid != os.getpid():  # opened per process: workers may be processes
            self.fd, self.pid = os.open(self.path, os.O_RDONLY), os.getpid()
        rows = np.unique(rows)
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1  # runs of consecutive rows
        for run in np.split(rows, breaks):
            start = self.offset + int(run[0]) * self.row_bytes
            os.posix_fadvise(self.fd, start, len(run) * self.row_bytes, os.POSIX_FADV_WILLNEED)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "fd": None, "pid": None}

    def __del__(self) -> None:
        if self.fd is not None and self.pid == os.getpid():
            os.close(self.fd)
