"""Bad params stop a stage before any work, naming the key and the value."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from ich.pipeline.params import ParamError
from stages.extract import read_settings
from stages.sample import read_spec as sample_spec
from stages.train import read_spec as train_spec
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("section", "key", "value", "reader", "message"),
    [
        ("extract", "resolution", 4, read_settings, "extract.resolution = 4: must be >= 8"),
        ("extract", "resolution", "64", read_settings, "extract.resolution = '64'"),
        ("extract", "windows", [[40, 0]], read_settings, r"extract.windows\[0\]\[1\] = 0"),
        ("extract", "windows", [[40]], read_settings, r"extract.windows\[0\] = \[40\]"),
        ("sample", "positive_ratio", 1.5, sample_spec, "sample.positive_ratio = 1.5"),
        ("sample", "holdout_fraction", 0, sample_spec, "sample.holdout_fraction = 0"),
        ("sample", "n_train", -5, sample_spec, "sample.n_train = -5"),
        ("train", "dropout", [1.0, 0.2], train_spec, r"train.dropout\[0\] = 1.0: must be < 1"),
        ("train", "dropout", [0.3], train_spec, r"train.dropout = \[0.3\]"),
        ("train", "model", "resnet", train_spec, "train.model = 'resnet': must be one of"),
        ("train", "learning_rate", 0, train_spec, "train.learning_rate = 0"),
    ],
)
def test_bad_value_names_key_and_value(project_params, section, key, value, reader, message):
    project_params[section][key] = value
    with pytest.raises(ParamError, match=message):
        reader(project_params)


def test_missing_key_is_named(project_params):
    del project_params["train"]["epochs"]
    with pytest.raises(ParamError, match="missing key 'train.epochs'"):
        train_spec(project_params)


def test_stage_with_a_missing_path_writes_nothing(tmp_path, project_params):
    """A path that does not exist (with shell metacharacters, which run nothing) stops labels."""
    project_params["data"]["labels_csv"] = "nowhere/$(touch pwned);.csv"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(project_params))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "stages.labels"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "data.labels_csv = 'nowhere/$(touch pwned);.csv': path does not exist" in done.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "metrics").exists()
    assert not (tmp_path / "pwned").exists()
