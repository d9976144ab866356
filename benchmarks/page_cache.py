"""Dropping files from the page cache between benchmark steps (no root needed)."""

from __future__ import annotations

import os
from pathlib import Path


def evict(paths: list[Path]) -> None:
    """Drop these files' pages from the page cache (written back first)."""
    os.sync()
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
