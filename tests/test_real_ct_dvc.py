"""The real-CT pipeline (real-ct/dvc.yaml) end to end through the `dvc` CLI, on a tiny CT-ICH
download drawn by the test: reproduced from nothing, clean after, and a lever as an experiment
that `dvc exp show` lists with its cross-validated figures."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
import yaml
from PIL import Image

from ich.importers import ct_ich
from tests.conftest import ROOT
from tests.test_import import CSV_HEAD, _label_row
from tests.test_pipeline_dvc import sh

pytestmark = pytest.mark.slow
COPY = ["ich", "stages", "real-ct", "dvc.yaml", "params.yaml", "pyproject.toml", ".gitignore"]
COPY += [".dvcignore"]
PATIENTS = range(60, 68)


def ran(output: str) -> set[str]:
    return set(re.findall(r"Running stage 'real-ct/dvc.yaml:([\w@-]+)'", output))


def download(root) -> None:
    """CT-ICH's JPG edition: eight patients of four slices, every other one with an epidural
    bleed on two of them."""
    rng = np.random.default_rng(3)
    rows = []
    for patient in PATIENTS:
        for number in (1, 2, 3, 4):
            for window in ("brain", "bone"):
                folder = root / "Patients_CT" / f"{patient:03d}" / window
                folder.mkdir(parents=True, exist_ok=True)
                grey = rng.integers(0, 256, (32, 32), dtype=np.uint8)
                Image.fromarray(grey).save(folder / f"{number}.jpg")
            rows.append(_label_row(patient, number, epidural=int(patient % 2 and number > 2)))
    (root / ct_ich.JPG_LABELS).write_text(CSV_HEAD + "".join(rows))


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    repo = tmp_path_factory.mktemp("real-ct") / "ich"
    repo.mkdir()
    for name in COPY:
        src = ROOT / name
        ignore = shutil.ignore_patterns("__pycache__")
        if name == "real-ct":  # its definition, not this checkout's results
            ignore = shutil.ignore_patterns("data", "models", "dvc.lock", "reports", "metrics")
        if src.is_dir():
            shutil.copytree(src, repo / name, ignore=ignore)
        else:
            shutil.copy(src, repo / name)
    params = yaml.safe_load((repo / "real-ct" / "params.yaml").read_text())
    params["cv"].update(folds=[0, 1], seeds=[1])
    params["evaluate"]["bootstrap"] = 20
    (repo / "real-ct" / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    download(repo / "real-ct" / "data" / "raw" / "ct-ich")
    for args in (("git", "init", "-q"), ("git", "config", "user.email", "t@example.com")):
        sh(repo, *args)
    sh(repo, "git", "config", "user.name", "test")
    sh(repo, "dvc", "init", "-q")
    out = sh(repo, "dvc", "repro", "real-ct/dvc.yaml")
    assert ran(out) == {
        *("inputs", "source", "labels", "manifest", "decode", "extract", "hu_features"),
        "folds",
        *("fold_fit@0", "fold_fit@1", "cv", "cv_bundle"),
    }, out
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", "baseline")
    return repo


def test_the_cross_validation_scores_every_patient_beside_the_density_baseline(repo):
    headline = json.loads((repo / "real-ct" / "metrics" / "cv.json").read_text())
    report = json.loads((repo / "real-ct" / "reports" / "cv.json").read_text())
    assert report["patients"] == len(PATIENTS) and report["slices"] == 4 * len(PATIENTS)
    assert report["model"] == "density" and headline["auc_any"] == headline["density_auc_any"]
    assert headline["model_minus_density_auc_any"]["diff"] == 0
    status = sh(repo, "dvc", "status", "real-ct/dvc.yaml")
    stale = [s for s in status.splitlines() if s.endswith(":")]
    assert stale == ["real-ct/dvc.yaml:inputs:", "real-ct/dvc.yaml:manifest:"], status
    bundle = json.loads((repo / "real-ct" / "models" / "real-ct" / "density.json").read_text())
    assert bundle["patients"] == len(PATIENTS) and not bundle["trained_on"]["phantom"]


def test_a_params_change_is_an_experiment_dvc_lists_with_its_cross_validated_figures(repo):
    sh(
        repo,
        "dvc",
        "exp",
        "run",
        "real-ct/dvc.yaml",
        "-S",
        "real-ct/params.yaml:evaluate.bootstrap=30",
        "-n",
        "c1",
    )
    raw = sh(repo, "dvc", "exp", "show", "--json")
    shown = json.loads(raw[raw.index("[") :])
    exps = [e for entry in shown for e in (entry.get("experiments") or []) if e.get("name") == "c1"]
    assert exps, shown
    data = exps[0]["revs"][0]["data"]
    metrics = data["metrics"]["real-ct/metrics/cv.json"]["data"]
    assert set(metrics) >= {"auc_any", "density_auc_any", "model_minus_density_auc_any"}
    assert data["params"]["real-ct/params.yaml"]["data"]["evaluate"]["bootstrap"] == 30
    diff = sh(repo, "dvc", "metrics", "diff", "HEAD", "c1", "--all")
    assert "real-ct/metrics/cv.json" in diff and "density_auc_any" in diff
    # the project's paired comparison reads both experiments' out-of-fold predictions
    compare = ["python", "-m", "ich", "compare", "--cv", "--reference", "c1", "--bootstrap", "20"]
    table = sh(repo, *compare)
    rows = {line.split(" | ")[0] for line in table.splitlines() if line.startswith("| ")}
    assert {"| workspace", "| c1"} <= rows, table
    assert (repo / "reports" / "compare-cv.md").is_file()
