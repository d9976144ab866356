"""Shared fixtures: real RSNA DICOMs and a tiny synthetic dataset.

The real-data tests read the folder `ICH_REAL_DICOMS` names: one real head-CT series in the RSNA
format (e.g. a series copied out of the Kaggle download), by default the project's fixture
series beside the checkout. With another folder, tests of what holds for any real series run;
those that check the fixture's own counts are skipped, saying so.
"""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

import pytest
import yaml

from ich.model.training import TrainSpec
from ich.pipeline.params import section
from ich.synthetic.cohort import CohortSpec
from ich.synthetic.dataset import synthesize

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_DIR = ROOT.parent / "shared" / "fixtures" / "rsna_stage2_test_series"
REAL_DICOMS = Path(os.environ.get("ICH_REAL_DICOMS") or FIXTURE_DIR)
THE_FIXTURE = REAL_DICOMS.resolve() == FIXTURE_DIR.resolve()

TINY_SYNTH = {
    "min_visible_mm2": 12,
    "duplicated_ids": 2,
}


def tiny_spec(seed: int = 5, patients: int = 6, **overrides) -> CohortSpec:
    """A few short series, with every encoding and quirk forced to appear."""
    quirks = dict(
        test_patients=1,
        second_series=0.3,
        slices=(8, 10),
        wrapped=0.15,
        intercept_1000=0.15,
        odd_size=0.15,
        tilt=0.5,
        extreme_values=0.5,
        truncated=1,
    )
    return CohortSpec.plain(seed, patients, **{**quirks, **overrides})


def _merge(base: dict, changes: dict) -> dict:
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merge(base[key], value) if isinstance(value, dict) else value
    return out


def train_spec(**changes) -> TrainSpec:
    """params.yaml's train section with `changes` (nested dicts merge), validated."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    return section({"train": _merge(params["train"], changes)}, "train", TrainSpec)


@pytest.fixture(scope="session")
def fixture_files() -> list[Path]:
    """The real series' files (ICH_REAL_DICOMS, by default the fixture series)."""
    if not REAL_DICOMS.is_dir():
        pytest.skip(f"no real DICOMs at {REAL_DICOMS}: set ICH_REAL_DICOMS to a real series")
    files = sorted(REAL_DICOMS.glob("*.dcm"))
    if not files:
        pytest.fail(f"ICH_REAL_DICOMS={REAL_DICOMS}: no .dcm files in it")
    return files


@pytest.fixture(scope="session")
def the_fixture_series(fixture_files) -> list[Path]:
    """The fixture series itself, for tests of its own counts and values."""
    if not THE_FIXTURE:
        pytest.skip(f"checks the fixture series' own figures; ICH_REAL_DICOMS={REAL_DICOMS}")
    return fixture_files


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> tuple[Path, dict]:
    """A tiny synthetic dataset on disk and its summary."""
    out = tmp_path_factory.mktemp("synth") / "synthetic"
    # forked workers, unless JAX already runs its threads here (a fork could deadlock); the
    # bytes do not depend on the worker count (tested)
    workers = 1 if "jax" in sys.modules else 2
    summary = synthesize(tiny_spec(), dict(TINY_SYNTH), out, workers=workers)
    return out, summary


@pytest.fixture()
def project_params() -> dict:
    return copy.deepcopy(yaml.safe_load((ROOT / "params.yaml").read_text()))


def sequence_spec(**changes):
    """params.yaml's sequence section with `changes`, validated."""
    from ich.model.sequence import SequenceSpec

    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    return section({"sequence": _merge(params["sequence"], changes)}, "sequence", SequenceSpec)
