"""Bad params stop a stage before any work, naming the key and the value."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from ich.data.extract import ExtractSpec
from ich.data.splits import SampleSpec
from ich.eval.evaluation import EvaluateSpec
from ich.model.embedding import EmbedSpec
from ich.model.sequence import SequenceSpec
from ich.model.training import TrainSpec
from ich.pipeline.params import ParamError, section
from ich.synthetic.cohort import SynthesizeSpec
from tests.conftest import ROOT

SPECS = {
    "synthesize": SynthesizeSpec,
    "extract": ExtractSpec,
    "sample": SampleSpec,
    "train": TrainSpec,
    "embed": EmbedSpec,
    "sequence": SequenceSpec,
    "evaluate": EvaluateSpec,
}


def read(params: dict, name: str):
    return section(params, name, SPECS[name])


def test_every_section_of_the_default_params_is_valid(project_params):
    for name in SPECS:
        read(project_params, name)


@pytest.mark.parametrize(
    ("name", "key", "value", "message"),
    [
        ("extract", "resolution", 4, "extract.resolution = 4: must be >= 8$"),
        ("extract", "resolution", "64", "extract.resolution = '64': expected an integer$"),
        ("extract", "resolution", True, "extract.resolution = True: expected an integer$"),
        ("extract", "windows", [[40, 0]], r"extract.windows\[0\]\[1\] = 0: must be > 0$"),
        ("extract", "windows", [[40]], r"extract.windows\[0\] = \[40\]: too few values$"),
        ("extract", "windows", [], r"extract.windows = \[\]: expected at least 1 value\(s\)$"),
        (
            "extract",
            "window_at",
            64,
            r"extract.window_at = 64: must be at least extract.resolution \(\d+\) or null$",
        ),
        ("sample", "positive_ratio", 1.5, "sample.positive_ratio = 1.5: must be <= 1$"),
        ("sample", "holdout_fraction", 0, "sample.holdout_fraction = 0: must be > 0$"),
        ("sample", "n_train", -5, "sample.n_train = -5: must be >= 1$"),
        ("sample", "holdout_resample", "no", "sample.holdout_resample = 'no': expected true or"),
        ("train", "dropout", [1.0, 0.2], r"train.dropout\[0\] = 1.0: must be < 1$"),
        ("train", "dropout", [0.3], r"train.dropout = \[0.3\]: too few values$"),
        ("train", "model", "resnet", "train.model = 'resnet': must be one of 'cnn', 'mlp', "),
        ("train", "learning_rate", 0, "train.learning_rate = 0: must be > 0$"),
        ("train", "cnn", {"filters": [16, 0]}, r"train.cnn.filters\[1\] = 0: must be >= 1$"),
        ("sample", "cv_fold", 3, r"sample.cv_fold = 3: folds are numbered 0..2 \(cv_folds 3\)$"),
        ("sequence", "units", 0, "sequence.units = 0: must be >= 1$"),
        ("sequence", "dropout", 1.0, "sequence.dropout = 1.0: must be < 1$"),
        ("evaluate", "bootstrap", 5, "evaluate.bootstrap = 5: must be >= 10$"),
    ],
)
def test_bad_value_names_key_and_value(project_params, name, key, value, message):
    project_params[name][key] = value
    with pytest.raises(ParamError, match="^params.yaml: " + message):
        read(project_params, name)


def test_mlp_needs_one_l2_per_layer(project_params):
    project_params["train"]["mlp"]["l2"] = [0.1, 0.01]
    message = r"train.mlp.l2 = \[0.1, 0.01\]: expected one value per width \(4\)$"
    with pytest.raises(ParamError, match=message):
        read(project_params, "train")


def test_missing_key_is_named(project_params):
    del project_params["train"]["epochs"]
    with pytest.raises(ParamError, match="missing key 'train.epochs'"):
        read(project_params, "train")
    del project_params["train"]
    with pytest.raises(ParamError, match="missing key 'train'"):
        read(project_params, "train")


def test_misspelt_key_is_named_not_ignored(project_params):
    project_params["train"]["augment"]["rotaton"] = 0.1
    with pytest.raises(ParamError, match=r"unknown key 'train.augment.rotaton'"):
        read(project_params, "train")


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
