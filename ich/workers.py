"""How many worker processes to use: an option or ICH_WORKERS, else all cores.

Deliberately not a params.yaml key: changing it must rerun nothing, and outputs never depend
on it.
"""

from __future__ import annotations

import os


def count(option: int | None = None) -> int:
    if option is not None:
        return max(1, option)
    env = os.environ.get("ICH_WORKERS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ValueError(f"ICH_WORKERS={env!r}: expected a whole number") from None
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
