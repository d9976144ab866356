"""Synthetic data generation speed: ms per 512x512 slice, one core and all cores.

Prints one line per setting (median of 3 runs). Target (issue 2): <= 20 ms per slice per core.
Usage: python benchmarks/synthesize_speed.py [--patients 8]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from ich.jobs import worker_count
from ich.synthetic.cohort import CohortSpec, plan
from ich.synthetic.dataset import render_all


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patients", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    spec = CohortSpec.plain(seed=1, patients=args.patients)
    plans = plan(spec)
    n = sum(len(p.z) for p in plans)
    cores = worker_count()
    print(f"{n} slices of 512x512, {os.cpu_count()} CPUs visible")
    for workers in sorted({1, cores}):
        times = []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as d:
                t = time.perf_counter()
                render_all(plans, spec.seed, Path(d), workers)
                times.append(time.perf_counter() - t)
        wall = statistics.median(times)
        print(
            f"workers={workers}: {wall / n * 1e3:.1f} ms/slice wall, "
            f"{wall * workers / n * 1e3:.1f} ms/slice per core, {n / wall:.0f} slices/s"
        )


if __name__ == "__main__":
    main()
