"""No malformed file stops the decode: mutated copies of real and synthetic slices are each
kept or rejected with a reason and their path, none lost, none hanging, none allocating what a
corrupt length field claims. A longer run of the same mutations: benchmarks/fuzz.py."""

from __future__ import annotations

import time
import tracemalloc
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from ich.data.decode import read_into, store_base
from tests.fuzzing import MUTATIONS, mutants

BASE = 128
# pydicom warns about what it guesses on a broken header: expected here
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydicom")


def check_every_file_accounted_for(files: list[Path]) -> dict[str, int]:
    out = np.empty((len(files), BASE, BASE), np.uint16)
    tracemalloc.start()
    start = time.perf_counter()
    done = read_into([str(f) for f in files], partial(store_base, BASE), out)
    kept, rejected = done["kept"], done["rejected"]
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rejected_paths = [r[1] for r in rejected]
    assert len(kept) + len(rejected) == len(files), "a file was neither kept nor rejected"
    assert sorted([str(files[i]) for i in kept] + rejected_paths) == sorted(map(str, files))
    assert all(reason and path for _, path, reason, _ in rejected)
    assert seconds < 0.05 * len(files), f"{seconds:.1f} s for {len(files)} files"
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.0f} MB allocated"
    reasons: dict[str, int] = {}
    for r in rejected:
        reasons[r[2]] = reasons.get(r[2], 0) + 1
    return reasons


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_mutated_synthetic_slices(tiny_dataset, tmp_path, mutation):
    folder, _ = tiny_dataset
    sources = sorted((folder / "stage_2_train").glob("*.dcm"))[::7][:12]
    files = mutants(sources, mutation, tmp_path, copies=4, seed=1)
    reasons = check_every_file_accounted_for(files)
    assert sum(reasons.values()) > 0 or mutation in ("bit_flip", "insert", "zero"), reasons


def test_mutated_real_slices(fixture_files, tmp_path):
    files = [
        f
        for mutation in sorted(MUTATIONS)
        for f in mutants(fixture_files[:8], mutation, tmp_path / mutation, copies=2, seed=2)
    ]
    reasons = check_every_file_accounted_for(files)
    assert sum(reasons.values()) > len(files) // 4, reasons
