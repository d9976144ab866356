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
    """numpy's version and SIMD features in use, and its BLAS."""
    from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_features__

    simd = [f for f in __cpu_features__ if __cpu_features__[f] and f not in __cpu_baseline__]
    return {"numpy": np.__version__, "simd_beyond_baseline": simd, **blas_info()}
