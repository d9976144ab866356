"""Every stage before training gives the same bytes on any x86-64 machine: a tiny project's data
stages (source ... sample) run in fresh processes under other BLAS kernels, BLAS thread counts
and numpy SIMD levels, and every output is compared, byte for byte, with the others and with the
hashes committed in tests/golden/ (write them with ICH_WRITE_GOLDEN=1 after a deliberate change).

The project exercises what differs between machines: non-512 and non-square slices (the decode's
resampling route), wrapped and int16 encodings, and a resolution that does not divide the base
(extract's float route, windowed at a finer grid first).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "data_stages.json"
STAGES = ["source", "labels", "manifest", "decode", "extract", "sample"]
# Written by the stages but no evidence of the bytes: the manifest's scan cache holds mtimes, and
# decode's machine note names the machine on purpose.
NOT_COMPARED = {"data/manifest.hashes.csv", "reports/decode.machine.json"}

PARAMS = {
    "synthesize": {
        "patients": 6,
        "test_patients": 1,
        "slices_per_series": [8, 10],
        "second_series": 0.3,
        "duplicated_ids": 2,
        "quirks": {"wrapped": 0.2, "intercept_1000": 0.2, "odd_size": 0.3, "extreme_values": 0.5},
    },
    "manifest": {"stamps": "md5"},
    "decode": {"max_rejected_fraction": 0.1},
    "extract": {"resolution": 48, "window_at": 96},
    "sample": {"holdout_fraction": 0.3, "val_fraction": 0.3},
}

# Each stage's own `__main__`, in one fresh interpreter per environment; then the phantom's
# float images before rounding (a last-bit difference there flips a pixel only rarely, so a
# tiny project's bytes alone would seldom show it).
CHILD = """
import hashlib, runpy
for stage in {stages!r}:
    runpy.run_module("stages." + stage, run_name="__main__")
from ich.synthetic.cohort import CohortSpec, plan
from ich.synthetic.phantom import Frame, render
floats = hashlib.md5()
for p in plan(CohortSpec.plain(3, 2))[:2]:
    frame = Frame(p.head, p.grid)
    for z in p.z[::4]:
        floats.update(render(frame, p.head, p.bleeds, z)[0].tobytes())
print("phantom floats", floats.hexdigest())
"""


def _cpu_has(feature: str) -> bool:
    from numpy._core._multiarray_umath import __cpu_features__

    return bool(__cpu_features__.get(feature))


def environments() -> dict[str, dict[str, str]]:
    """Named environment changes that must not change a byte (kernels this CPU can run)."""
    envs = {
        "plain": {},
        "prescott-1-thread": {"OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "1"},
        "no-avx2": {"NPY_DISABLE_CPU_FEATURES": "X86_V3", "OPENBLAS_CORETYPE": "Sandybridge"},
    }
    if _cpu_has("AVX2"):
        envs["haswell-2-threads"] = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "2"}
    return envs


def _merge(base: dict, changes: dict) -> dict:
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merge(base[key], value) if isinstance(value, dict) else value
    return out


def _start(where: Path, env_changes: dict[str, str]) -> subprocess.Popen:
    where.mkdir(parents=True)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    (where / "params.yaml").write_text(yaml.safe_dump(_merge(params, PARAMS), sort_keys=False))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENBLAS", "NPY_", "OMP_"))}
    env.update(env_changes, PYTHONPATH=str(ROOT), ICH_WORKERS="1")
    code = CHILD.format(stages=STAGES)
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=where, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _hashes(where: Path) -> dict[str, str]:
    files = sorted(
        p for top in ("data", "reports") for p in (where / top).rglob("*") if p.is_file()
    )
    hashes = {str(p.relative_to(where)): hashlib.md5(p.read_bytes()).hexdigest() for p in files}
    return {k: v for k, v in hashes.items() if k not in NOT_COMPARED}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, dict[str, str]]:
    """Each environment's output hashes; two environments at a time (two cores)."""
    base = tmp_path_factory.mktemp("machines")
    envs, results, running = environments(), {}, []
    for name, changes in envs.items():
        running.append((name, _start(base / name, changes)))
        if len(running) == 2 or name == list(envs)[-1]:
            for done, proc in running:
                log, _ = proc.communicate(timeout=300)
                assert proc.returncode == 0, f"{done}: the data stages failed:\n{log[-3000:]}"
                floats = log.rsplit("phantom floats ", 1)[-1].strip()
                results[done] = _hashes(base / done) | {"phantom floats": floats}
            running = []
    return results


def test_every_environment_gives_the_same_bytes(outputs):
    plain = outputs["plain"]
    assert any(k.endswith("codes.npy") for k in plain) and len(plain) > 10
    for name, hashes in outputs.items():
        differ = sorted(k for k in plain.keys() | hashes.keys() if plain.get(k) != hashes.get(k))
        assert not differ, f"{name}: these outputs differ from the plain run's: {differ}"


def test_the_bytes_are_the_committed_golden_ones(outputs):
    """Another machine (or an older numpy) that gives other bytes fails here, naming them."""
    plain = outputs["plain"]
    if os.environ.get("ICH_WRITE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(plain, indent=1, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())
    differ = sorted(k for k in plain.keys() | golden.keys() if plain.get(k) != golden.get(k))
    assert not differ, f"outputs that differ from {GOLDEN.relative_to(ROOT)}: {differ}"


def test_the_project_takes_the_route_that_once_differed(outputs, tmp_path_factory):
    """Worth something only if some slices were resampled (not 512 x 512: stored in sixteenths
    of a code, area 16) and others summed exactly."""
    from ich.data.codes import FIXED_POINT

    run = next(tmp_path_factory.getbasetemp().glob("machines*/plain"))
    areas = np.load(run / "data" / "decoded" / "areas.npy")
    assert (areas == FIXED_POINT).any() and (areas == 4).any(), np.unique(areas)
