"""Work arrays reused across calls within one process."""

from __future__ import annotations

import numpy as np

_arrays: dict[tuple, np.ndarray] = {}


def scratch(shape: tuple[int, ...], dtype) -> np.ndarray:
    """A work array reused across calls in this process. Each slice's intermediates are
    0.1-0.5 MB: allocated afresh, their page faults cost more than the arithmetic (measured).
    The contents are valid until the next call for the same shape and dtype."""
    key = (shape, dtype)
    array = _arrays.get(key)
    if array is None:
        array = _arrays[key] = np.empty(shape, dtype)
    return array
