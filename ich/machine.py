"""What machine a stage ran on, for diagnosis: numpy's version, its SIMD level and BLAS core.

None of it may change the data stages' bytes (tests/test_machine_independence.py checks the
environments that once did), so it is written beside the outputs, not into them: a declared
output that named the CPU would differ on every machine by design.
"""

from __future__ import annotations

import numpy as np


def blas_info() -> dict:
    """The BLAS numpy loaded: library, version, core type it dispatched to, threads."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # threadpoolctl comes with scikit-learn; without it, say so
        return {"blas": "unknown (threadpoolctl not installed)"}
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            keys = ("internal_api", "version", "architecture", "num_threads")
            return {f"blas_{k}": lib.get(k) for k in keys}
    return {"blas": "none found"}


def machine() -> dict:
    """numpy's version, the SIMD levels it was built for and those it runs here, and its BLAS."""
    from numpy._core._multiarray_umath import (
        __cpu_baseline__,
        __cpu_dispatch__,
        __cpu_features__,
    )

    running = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    return {
        "numpy": np.__version__,
        "simd_baseline": list(__cpu_baseline__),
        "simd_dispatched_here": running,
        **blas_info(),
    }
