"""The fuzz test at length: many mutated copies of real and synthetic slices through the
decode, each kept or rejected with a reason, none lost. Prints, per mutation, how many files
were kept and rejected (by reason), the slowest file and the peak memory allocated.

The real slices are the fixture series (../shared/fixtures/rsna_stage2_test_series); the
synthetic ones are drawn here. Usage:
    python benchmarks/fuzz.py [--copies 50] [--seed 0] [--sources 16]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
import warnings
from collections import Counter
from functools import partial
from pathlib import Path

import numpy as np

from ich.data.decode import read_into, store_base
from ich.synthetic.dataset import synthesize
from tests.conftest import FIXTURE_DIR, TINY_SYNTH, tiny_spec
from tests.fuzzing import MUTATIONS, mutants

CONVERT = partial(store_base, 256)  # the decode stage's default base


def run(files: list[Path]) -> tuple[int, Counter, float, float]:
    """(kept, rejections by reason, slowest file in s, peak MB); raises if a file is lost."""
    out = np.empty((1, 256, 256), np.uint16)
    kept, reasons, slowest = 0, Counter(), 0.0
    tracemalloc.start()
    for f in files:
        start = time.perf_counter()
        done = read_into([str(f)], CONVERT, out)
        k, rejected = done["kept"], done["rejected"]
        slowest = max(slowest, time.perf_counter() - start)
        if len(k) + len(rejected) != 1:
            raise AssertionError(f"{f}: neither kept nor rejected")
        kept += len(k)
        reasons.update(r[2] for r in rejected)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return kept, reasons, slowest, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--copies", type=int, default=50, help="mutants per source and mutation")
    ap.add_argument("--sources", type=int, default=16, help="source slices of each kind")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    warnings.simplefilter("ignore")  # pydicom warns about every odd element

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        synthesize(tiny_spec(), dict(TINY_SYNTH), tmp / "synthetic", workers=2)
        kinds = {"synthetic": sorted((tmp / "synthetic" / "stage_2_train").glob("*.dcm"))}
        if FIXTURE_DIR.is_dir():
            kinds["real"] = sorted(FIXTURE_DIR.glob("*.dcm"))
        else:
            print(f"real fixture slices not found at {FIXTURE_DIR}: synthetic only")
        print("| slices | mutation | files | kept | rejected (by reason) | slowest file | peak |")
        print("|---|---|---|---|---|---|---|")
        for kind, sources in kinds.items():
            sources = sources[:: max(1, len(sources) // args.sources)][: args.sources]
            for m in sorted(MUTATIONS):
                files = mutants(sources, m, tmp / kind / m, args.copies, args.seed)
                kept, reasons, slowest, peak = run(files)
                why = ", ".join(f"{r} {n}" for r, n in reasons.most_common())
                print(
                    f"| {kind} | {m} | {len(files)} | {kept} | {sum(reasons.values())} ({why}) "
                    f"| {slowest * 1000:.1f} ms | {peak:.1f} MB |"
                )


if __name__ == "__main__":
    main()
