"""Across machines and processes. First, every stage before training gives the same bytes on
any x86-64 machine: a tiny project's data stages (source ... sample) run in fresh processes
under other BLAS kernels, BLAS thread counts and numpy SIMD levels, and every output is
compared, byte for byte, with the others and with the hashes committed in tests/golden/ (write
them with ICH_WRITE_GOLDEN=1 after a deliberate change).

The project exercises what differs between machines: non-512 and non-square slices (the decode's
resampling route), wrapped and int16 encodings, and a resolution that does not divide the base
(extract's float route, windowed at a finer grid first).

Then training across processes: two `python -m stages.train` processes on that project, joined
by Keras's variables, train the model a one-process two-device run trains; and a process that
dies stops the other with a clear error instead of a hang.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
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


@dataclass
class Runs:
    root: Path  # one project per environment, named as in `environments()`
    hashes: dict[str, dict[str, str]]  # environment -> output path -> md5


def environments() -> dict[str, dict[str, str]]:
    """Named environment changes that must not change a byte. The plain run uses the BLAS
    kernel this CPU selects (Haswell or newer here) and its thread count."""
    return {
        "plain": {},
        "prescott-1-thread": {"OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "1"},
        "no-avx2-2-threads": {
            "NPY_DISABLE_CPU_FEATURES": "X86_V3",
            "OPENBLAS_CORETYPE": "Sandybridge",
            "OPENBLAS_NUM_THREADS": "2",
        },
    }


def _merge(base: dict, changes: dict) -> dict:
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merge(base[key], value) if isinstance(value, dict) else value
    return out


def _start(where: Path, env_changes: dict[str, str]) -> subprocess.Popen:
    where.mkdir(parents=True)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    (where / "params.yaml").write_text(yaml.safe_dump(_merge(params, PARAMS), sort_keys=False))
    env = _clean_env(env_changes)
    code = CHILD.format(stages=STAGES)
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=where, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _clean_env(changes: dict[str, str]) -> dict[str, str]:
    prefixes = ("OPENBLAS", "NPY_", "OMP_", "KERAS_", "XLA_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return env | changes | {"PYTHONPATH": str(ROOT), "ICH_WORKERS": "1"}


def _hashes(where: Path) -> dict[str, str]:
    files = sorted(
        p for top in ("data", "reports") for p in (where / top).rglob("*") if p.is_file()
    )
    hashes = {str(p.relative_to(where)): hashlib.md5(p.read_bytes()).hexdigest() for p in files}
    return {k: v for k, v in hashes.items() if k not in NOT_COMPARED}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Runs:
    """Each environment's output hashes (all at once: three small projects)."""
    base = tmp_path_factory.mktemp("machines")
    running = {name: _start(base / name, changes) for name, changes in environments().items()}
    results = {}
    for name, proc in running.items():
        log, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{name}: the data stages failed:\n{log[-3000:]}"
        floats = log.rsplit("phantom floats ", 1)[-1].strip()
        results[name] = _hashes(base / name) | {"phantom floats": floats}
    return Runs(base, results)


def test_every_environment_gives_the_same_bytes(outputs):
    plain = outputs.hashes["plain"]
    assert any(k.endswith("codes.npy") for k in plain) and len(plain) > 10
    for name, hashes in outputs.hashes.items():
        differ = sorted(k for k in plain.keys() | hashes.keys() if plain.get(k) != hashes.get(k))
        assert not differ, f"{name}: these outputs differ from the plain run's: {differ}"


def test_the_bytes_are_the_committed_golden_ones(outputs):
    """Another machine (or an older numpy) that gives other bytes fails here, naming them."""
    plain = outputs.hashes["plain"]
    if os.environ.get("ICH_WRITE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(plain, indent=1, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())
    differ = sorted(k for k in plain.keys() | golden.keys() if plain.get(k) != golden.get(k))
    assert not differ, f"outputs that differ from {GOLDEN.relative_to(ROOT)}: {differ}"


def test_the_project_takes_the_route_that_once_differed(outputs):
    """Worth something only if some slices were resampled (not 512 x 512: stored in sixteenths
    of a code, area 16) and others summed exactly."""
    from ich.data.codes import FIXED_POINT

    areas = np.load(outputs.root / "plain" / "data" / "decoded" / "areas.npy")
    assert (areas == FIXED_POINT).any() and (areas == 4).any(), np.unique(areas)


def test_decode_names_the_machine_beside_its_outputs_not_in_them(outputs):
    """numpy's version in the report (the lock pins it); the SIMD level and BLAS core in a
    git-ignored note, as they differ by machine, and differ here between environments."""
    reports = {n: outputs.root / n / "reports" for n in outputs.hashes}
    assert json.loads((reports["plain"] / "decode.json").read_text())["numpy"] == np.__version__
    notes = {n: json.loads((r / "decode.machine.json").read_text()) for n, r in reports.items()}
    forced = notes["prescott-1-thread"]  # OpenBLAS names its Prescott kernels after Katmai
    assert forced["blas_architecture"] != notes["plain"]["blas_architecture"]
    assert forced["blas_num_threads"] == 1
    assert "X86_V3" not in notes["no-avx2-2-threads"]["simd_dispatched_here"]
    ignored = subprocess.run(["git", "check-ignore", "-q", "reports/decode.machine.json"], cwd=ROOT)
    assert ignored.returncode == 0, "the machine note must stay out of git"


# --- training across processes --------------------------------------------------------------

TRAIN = {"backend": "jax", "distribution": "data_parallel", "epochs": 2, "batch_size": 16}
TRAIN_CNN = {"filters": [4, 8]}


def _training_project(outputs, tmp_path: Path, name: str, **changes) -> Path:
    """A copy of the plain run's project (its data stages done), set to train under JAX."""
    plain = outputs.root / "plain"
    project = tmp_path / name
    shutil.copytree(plain, project)
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["train"].update({**TRAIN, **changes})
    params["train"]["cnn"].update(TRAIN_CNN)
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return project


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _train(project: Path, env_changes: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "stages.train"], cwd=project, env=_clean_env(env_changes),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _processes(port: int, i: int) -> dict[str, str]:
    """Keras's own variables for process i of two on this machine, one CPU device each."""
    return {
        "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"127.0.0.1:{port},127.0.0.1:{port + 1}",
        "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
        "KERAS_DISTRIBUTION_PROCESS_ID": str(i),
    }


def test_two_processes_train_the_model_one_process_with_two_devices_trains(outputs, tmp_path):
    import keras

    apart, together = (_training_project(outputs, tmp_path, n) for n in ("apart", "together"))
    port = _free_port()
    runs = [_train(apart, _processes(port, i)) for i in (0, 1)]
    runs.append(_train(together, {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}))
    logs = [r.communicate(timeout=300)[0] for r in runs]
    for r, log in zip(runs, logs, strict=True):
        assert r.returncode == 0, log[-3000:]
    assert "process 1 of 2 joined" in logs[1]
    history = (apart / "plots" / "train" / "history.csv").read_text().splitlines()
    assert len(history) == 1 + TRAIN["epochs"], "one writer: one history, not two interleaved"
    summary = json.loads((apart / "reports" / "train.json").read_text())
    assert summary["distribution"] == {"kind": "data_parallel", "process": 0, "processes": 2,
                                       "devices": 2}  # fmt: skip
    model = "models/slice/model.keras"
    a, b = (keras.saving.load_model(p / model, compile=False) for p in (apart, together))
    for x, y in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-4)


def test_a_dead_process_stops_the_other_with_a_clear_error(outputs, tmp_path):
    project = _training_project(outputs, tmp_path, "dead", epochs=500, patience=0)
    port = _free_port()
    survivor, victim = (_train(project, _processes(port, i)) for i in (0, 1))
    for line in victim.stdout:  # kill it once it trains
        if line.startswith("Epoch 1/"):
            break
    victim.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    log, _ = survivor.communicate(timeout=120)
    waited = time.monotonic() - killed
    assert survivor.returncode != 0, log[-2000:]
    assert waited < 30, f"the survivor took {waited:.0f} s to stop"
    assert "another task died" in log or "heartbeat" in log, log[-2000:]
    assert not (project / "models" / "slice" / "model.keras").exists()
