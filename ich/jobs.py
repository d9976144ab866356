"""Long work over many items: how many worker processes, a pool map, a progress bar.

The worker count is deliberately not a params.yaml key: outputs never depend on it, so
changing it must rerun nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from multiprocessing import get_context
from typing import Any

from tqdm import tqdm


def worker_count(option: int | None = None) -> int:
    """An explicit option, else ICH_WORKERS, else every core this process may use."""
    if option is not None:
        return max(1, option)
    env = os.environ.get("ICH_WORKERS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ValueError(f"ICH_WORKERS={env!r}: expected a whole number") from None
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def pool_map(
    fn: Callable[[Any], Any], jobs: list, workers: int, ordered: bool = True
) -> Iterator[Any]:
    """fn over jobs in `workers` forked processes (in this one when 1), results as they come:
    in job order when `ordered`, else as each finishes."""
    if workers <= 1 or len(jobs) <= 1:
        yield from map(fn, jobs)
        return
    with get_context("fork").Pool(workers) as pool:
        if ordered:
            yield from pool.imap(fn, jobs, chunksize=1)
        else:
            yield from pool.imap_unordered(fn, jobs)


def progress(iterable: Iterable | None = None, **kwargs: Any) -> tqdm:
    """A tqdm bar that refreshes rarely when stderr is a log file (DVC, CI), not a terminal."""
    quiet = not sys.stderr.isatty()
    return tqdm(iterable, mininterval=10 if quiet else 0.1, **kwargs)
