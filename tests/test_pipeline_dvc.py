"""The DVC pipeline end to end, through the real `dvc` CLI, on a tiny synthetic dataset."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from ich.rsna import LABELS
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
COPY = ["ich", "stages", "dvc.yaml", "params.yaml", "pyproject.toml", ".gitignore", ".dvcignore"]


def sh(cwd: Path, *args: str, check: bool = True) -> str:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(cwd),
        "ICH_WORKERS": "2",
        "DVC_NO_ANALYTICS": "1",
    }
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def ran(output: str) -> set[str]:
    return set(re.findall(r"Running stage '([\w-]+)'", output))


# the stages that run every time: the files params name, and the DICOM folder, rescanned
ALWAYS = {"inputs", "manifest"}


def only_the_manifest_scan(repo: Path) -> None:
    """`dvc status` of a project with nothing to redo: the inputs and manifest stages rescan
    what they fingerprint on every run (always changed), nothing else is out of date."""
    status = sh(repo, "dvc", "status")
    stale = re.findall(r"^(\w+):", status, re.M)
    assert "always changed" in status and set(stale) == ALWAYS, status


def set_param(repo: Path, key: str, value) -> None:
    params = yaml.safe_load((repo / "params.yaml").read_text())
    node = params
    *path, last = key.split(".")
    for part in path:
        node = node[part]
    node[last] = value
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def restore(repo: Path) -> None:
    """Back to the committed baseline without recomputing anything: git's files, then DVC's
    outputs from its cache."""
    sh(repo, "git", "reset", "-q", "--hard", "HEAD")  # dvc autostages: index too
    sh(repo, "dvc", "checkout", "--force")
    only_the_manifest_scan(repo)


def baselines(repo: Path) -> str:
    """Every figure reported for the baselines: the full report's section and the headline's."""
    report = json.loads((repo / "reports" / "holdout.json").read_text())
    headline = json.loads((repo / "metrics" / "holdout.json").read_text())["weighted_log_loss"]
    moving = {"model", "slice_model"}
    return json.dumps([report["baselines"], {k: v for k, v in headline.items() if k not in moving}])


def tiny_params(repo: Path) -> None:
    for key, value in {
        "synthesize.patients": 10,
        "synthesize.test_patients": 1,
        "synthesize.slices_per_series": [8, 10],
        "synthesize.profile": "custom",
        "synthesize.prevalence.epidural": 0.6,
        "synthesize.prevalence.subdural": 0.6,
        "decode.max_rejected_fraction": 0.05,
        "extract.resolution": 16,
        "sample.holdout_fraction": 0.3,
        "sample.val_fraction": 0.3,
        "train.epochs": 3,
        "train.batch_size": 32,
        "sequence.epochs": 3,
        "evaluate.bootstrap": 20,
    }.items():
        set_param(repo, key, value)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("project") / "ich"
    repo.mkdir()
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy(src, repo / name)
    sh(repo, "git", "init", "-q")
    sh(repo, "git", "config", "user.email", "test@example.com")
    sh(repo, "git", "config", "user.name", "test")
    sh(repo, "dvc", "init", "-q")
    shutil.copy(ROOT / ".dvc" / "config", repo / ".dvc" / "config")
    tiny_params(repo)
    out = sh(repo, "dvc", "repro")
    assert ran(out) == {
        *("inputs", "source", "montage", "labels", "manifest", "decode", "extract"),
        "hu_features",
        *("sample", "train", "embed", "explain", "sequence", "evaluate", "bundle"),
    }
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", "baseline")
    return repo


def exps_header(repo: Path) -> list[str]:
    """The columns `python -m ich exps` shows (what `make exps` prints)."""
    return sh(repo, "python", "-m", "ich", "exps", "--csv").splitlines()[0].split(",")


def test_status_clean_after_repro(repo):
    only_the_manifest_scan(repo)
    header = exps_header(repo)  # no experiments yet: the headline metrics all the same
    assert "auc.any" in header and "weighted_log_loss.model" in header, header
    assert not [c for c in header if "." in c and not c.startswith(("auc.", "weighted_"))], header
    assert ran(sh(repo, "dvc", "repro")) == ALWAYS, "an unchanged folder: only the scans"
    report = json.loads((repo / "reports" / "holdout.json").read_text())
    assert set(report["baselines"]) == {"prior", "always_negative", "position", "density"}
    headline = json.loads((repo / "metrics" / "holdout.json").read_text())
    shown = set(report["baselines"]) - {"always_negative"}  # 1.88 in every run: not a headline
    assert set(headline["weighted_log_loss"]) == {"model", "slice_model", *shown}
    assert set(report["sequence_vs_slice"]) == {"weighted_log_loss", *(f"auc_{s}" for s in LABELS)}
    for stage in ("train", "sequence"):
        assert (repo / "plots" / stage / "history.csv").exists()
    assert (repo / "models" / "slice").is_dir()
    assert not (repo / "models" / "slice.partial").exists(), "train's backup, gone once done"
    import pandas as pd

    splits = {
        n: pd.read_csv(repo / "data" / "splits" / f"{n}.csv") for n in ("train", "val", "holdout")
    }
    for key in ("PatientID", "StudyInstanceUID"):
        seen = [set(df[key]) for df in splits.values()]
        assert not (seen[0] & seen[1] or seen[0] & seen[2] or seen[1] & seen[2]), key


def test_the_density_baseline_was_fit_on_the_training_patients_only(repo):
    """Read from the stages' own outputs: the regression evaluate fit (its row count and
    features) against the sample stage's training pool and holdout."""
    import pandas as pd

    density = json.loads((repo / "data" / "predictions" / "density.json").read_text())
    splits = {
        n: pd.read_csv(repo / "data" / "splits" / f"{n}.csv") for n in ("train_pool", "holdout")
    }
    assert density["train_rows"] == len(splits["train_pool"])
    assert not set(splits["train_pool"]["PatientID"]) & set(splits["holdout"]["PatientID"])
    info = json.loads((repo / "data" / "hu_features" / "features.json").read_text())
    assert (
        density["features"] == info["features"] and density["features_version"] == info["version"]
    )
    # refit on the training pool's rows of the stage's features: the same numbers
    from ich.model.density import fit_density

    x = np.load(repo / "data" / "hu_features" / "features.npy")[splits["train_pool"]["row"]]
    y = splits["train_pool"][list(LABELS)].to_numpy()
    refit = fit_density(x, y, info, density["c"])
    np.testing.assert_allclose(refit["mean"], density["mean"], rtol=1e-6)
    for s in LABELS:
        np.testing.assert_allclose(
            refit["labels"][s]["weights"], density["labels"][s]["weights"], rtol=1e-4, atol=1e-6
        )


def test_the_series_model_learns_on_slices_the_slice_model_never_trained_on(repo):
    """Read from the stages' own outputs: the series model's provenance (sequence) against the
    slice model's training rows (sample)."""
    import pandas as pd

    provenance = pd.read_csv(repo / "data" / "sequence" / "provenance.csv")
    slice_train = pd.read_csv(repo / "data" / "splits" / "train.csv")
    fit = provenance[provenance["role"] == "fit"]
    assert len(fit) and set(provenance["role"]) == {"fit", "early_stopping"}
    assert not set(fit["ID"]) & set(slice_train["ID"])
    assert not set(fit["PatientID"]) & set(slice_train["PatientID"]), "whole patients kept out"
    assert not provenance["slice_model_trained_on"].any()
    card = json.loads((repo / "models" / "sequence" / "card.json").read_text())
    assert card["features"]["fit"] == {"slices": len(fit), "slice_model_trained_on": 0}


def test_a_real_source_neither_synthesizes_nor_draws_the_phantom(repo, tmp_path):
    """data.source rsna: the files are read in place (here a copy of the phantom's, outside
    the repository); the source stage writes only where they are, montage draws them."""
    download = tmp_path / "download"
    shutil.copytree(repo / "data" / "source" / "stage_2_train", download / "stage_2_train")
    shutil.copy(repo / "data" / "source" / "stage_2_train.csv", download)
    set_param(repo, "data.source", "rsna")
    set_param(repo, "data.labels_csv", str(download / "stage_2_train.csv"))
    set_param(repo, "data.dicom_dir", str(download / "stage_2_train"))
    try:
        out = sh(repo, "dvc", "repro", "montage")
        assert {"source", "montage"} <= ran(out) and "synthesize" not in out, out
        assert [p.name for p in (repo / "data" / "source").iterdir()] == ["source.json"]
        assert json.loads((repo / "reports" / "source.json").read_text())["source"] == "rsna"
        assert (repo / "plots" / "source_samples.png").stat().st_size > 10_000
        set_param(repo, "data.source", "phantom")  # pointing elsewhere: a clear error
        failed = sh(repo, "dvc", "repro", "source", check=False)
        assert "data.source phantom writes data/source/stage_2_train.csv" in failed, failed
    finally:
        restore(repo)


DOWNSTREAM = {"train", "embed", "explain", "sequence", "evaluate", "bundle"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # a train.* change alone: `dvc status` in the backend test below (a retrain costs 45 s)
        ({"sequence.units": 8}, {"sequence", "evaluate", "bundle"}),
        # sampling, and resolution (derived from the decoded codes, no DICOM read), in one run
        (
            {"sample.positive_ratio": 0.6, "extract.resolution": 20},
            {"extract", "sample", *DOWNSTREAM},
        ),
    ],
    ids=["sequence", "sample-and-extract"],
)
def test_param_change_reruns_only_affected_stages(repo, changes, expected):
    before = baselines(repo)
    for key, value in changes.items():
        set_param(repo, key, value)
    try:
        out = sh(repo, "dvc", "repro")
        assert ran(out) == {*ALWAYS, *expected}, out
        for skipped in {"source", "labels", "decode"} | ({"sample", "train"} - expected):
            assert f"Stage '{skipped}' didn't change, skipping" in out
        # the judge does not move with the judged: every baseline figure, byte for byte
        assert baselines(repo) == before
    finally:
        restore(repo)


def test_a_backend_change_is_seen_by_every_stage_that_runs_keras(repo):
    """`train.backend` is a param, not an environment variable: DVC knows what it affects
    (not run here: the JAX runs of the model tests cover the backend itself)."""
    set_param(repo, "train.backend", "jax")
    try:
        status = sh(repo, "dvc", "status")
        stale = set(re.findall(r"^(\w+):", status, re.M)) - ALWAYS
        assert stale == {"train", "embed", "explain", "sequence"}, status
        assert "train.backend" in status, status
    finally:
        restore(repo)


def test_code_edit_reruns_exactly_the_stages_that_import_it(repo):
    """The plotting code is imported by evaluate and explain alone; the DICOM reader by decode
    and montage (whose outputs do not change, so nothing after them reruns)."""
    try:
        for path in ("ich/eval/plots.py", "ich/dicom/fast.py"):
            with (repo / path).open("a") as f:
                f.write("# an edit\n")
        out = sh(repo, "dvc", "repro")
        assert ran(out) == {*ALWAYS, "evaluate", "explain", "decode", "montage"}, out
        assert "Stage 'extract' didn't change, skipping" in out
        assert "Stage 'train' didn't change, skipping" in out
    finally:
        restore(repo)


def test_montage_command_adds_real_slices_when_present(repo, tmp_path):
    """The stage reads nothing outside the repo; the command adds the real column if it can."""
    from tests.conftest import REAL_DICOMS

    alone = sh(repo, "python", "-m", "ich", "montage", "--fixtures", "nowhere", "--out", "a.png")
    assert "no real series (nowhere): drawing synthetic slices only" in alone
    assert (repo / "a.png").stat().st_size > 10_000
    if REAL_DICOMS.is_dir():
        sh(repo, "python", "-m", "ich", "montage", "--fixtures", str(REAL_DICOMS), "--out", "b.png")
        import matplotlib.image

        widths = [matplotlib.image.imread(repo / f).shape[1] for f in ("a.png", "b.png")]
        assert widths[1] > widths[0], "a real column beside the synthetic ones"
    for f in ("a.png", "b.png"):
        (repo / f).unlink(missing_ok=True)


def test_queued_sweep_gives_comparable_experiments(repo, tmp_path):
    # series-model params: each experiment reruns only sequence and evaluate (the suite's time)
    sh(repo, "dvc", "exp", "run", "--queue", "-S", "sequence.units=8")
    sh(repo, "dvc", "exp", "run", "--queue", "-S", "sequence.units=16")
    sh(repo, "dvc", "queue", "start", "-j", "1")
    deadline = time.time() + 600
    while time.time() < deadline:
        status = sh(repo, "dvc", "queue", "status")
        if not re.search(r"\b(Queued|Running)\b", status):
            break
        time.sleep(3)
    assert "Failed" not in status, status
    raw = sh(repo, "dvc", "exp", "show", "--json")
    shown = json.loads(raw[raw.index("[") :])
    names = [
        e["name"] for entry in shown for e in (entry.get("experiments") or []) if e.get("name")
    ]
    assert len(names) == 2, shown
    compare = ["python", "-m", "ich", "compare", "--reference", names[0], "--bootstrap", "50"]
    table = sh(repo, *compare, "--out", str(tmp_path / "compare.md"))
    assert "Paired differences" in table
    pair = f"| {names[1]} | {names[0]} |"
    row = next(line for line in table.splitlines() if line.startswith(pair))
    assert "not paired" not in row and row.count("[") == 8, row  # WLL natural and raw, 6 AUCs
    diff = sh(repo, "dvc", "metrics", "diff", names[0], names[1])
    assert "metrics/train.json" in diff or "metrics/holdout.json" in diff
    page = tmp_path / "plots"
    sh(repo, "dvc", "plots", "diff", names[0], names[1], "-o", str(page))
    html = (page / "index.html").read_text()
    assert names[0] in html and names[1] in html and "val_loss" in html
    header = exps_header(repo)
    assert "sequence.units" in header and len(header) <= 30, header
    assert not [c for c in header if "/" in c], f"dependency hashes shown: {header}"


def test_plots_show_loads_every_plot(repo, tmp_path):
    out = sh(repo, "dvc", "plots", "show", "-o", str(tmp_path / "page"))
    assert "failed to load" not in out, out
    html = (tmp_path / "page" / "index.html").read_text()
    for plot in yaml.safe_load((repo / "dvc.yaml").read_text())["plots"]:
        if isinstance(plot, str):  # an image, copied next to the page
            assert f"workspace_{plot.replace('/', '_')}" in html, plot
        else:  # a data plot, drawn under its title
            name, config = next(iter(plot.items()))
            assert config["title"] in html, name


def test_a_team_shares_through_a_dvc_remote_and_a_git_remote(repo, tmp_path):
    """Push outputs and an experiment from one clone, pull them into a fresh one: there
    nothing reruns, and the experiment is there to compare. (Runs after the sweep above,
    whose experiments it shares; the DVC remote is a folder here, S3 or SSH alike.)"""
    storage, origin, fresh = tmp_path / "storage", tmp_path / "origin.git", tmp_path / "fresh"
    sh(tmp_path, "git", "init", "-q", "--bare", "--initial-branch=main", str(origin))
    sh(repo, "git", "remote", "add", "origin", str(origin))
    sh(repo, "dvc", "remote", "add", "--local", "-d", "team", str(storage))
    sh(repo, "git", "push", "-q", "origin", "HEAD:refs/heads/main")
    sh(repo, "dvc", "push")
    shared = sh(repo, "dvc", "exp", "list", "--name-only").split()[0]
    sh(repo, "dvc", "exp", "push", "origin", shared)
    sh(tmp_path, "git", "clone", "-q", "-b", "main", str(origin), str(fresh))
    sh(fresh, "dvc", "remote", "add", "--local", "-d", "team", str(storage))
    sh(fresh, "dvc", "pull")
    only_the_manifest_scan(fresh)
    out = sh(fresh, "dvc", "repro")
    assert ran(out) == ALWAYS, "a pulled project reruns nothing but the always-run scans"
    assert "Stage 'decode' didn't change, skipping" in out, "content stamps: same manifest"
    assert (fresh / "data" / "extracted" / "images.npy").read_bytes() == (
        repo / "data" / "extracted" / "images.npy"
    ).read_bytes()
    codes = fresh / "data" / "decoded" / "codes.npy"
    assert codes.stat().st_nlink > 1 or codes.is_symlink(), "a link to the cache, no copy"
    sh(fresh, "dvc", "exp", "pull", "origin", shared)
    assert shared in sh(fresh, "dvc", "exp", "list", "--name-only").split()
    sh(fresh, "dvc", "exp", "apply", shared)  # its outputs come from the DVC remote
    only_the_manifest_scan(fresh)
    # the model registry's way: a version tagged in GTO's format on the git remote, its files
    # from the DVC one
    sh(repo, "git", "tag", "-a", "ich-model@v0.1.0", "-m", "Registering ich-model v0.1.0")
    sh(repo, "git", "push", "-q", "origin", "ich-model@v0.1.0")
    config = tmp_path / "remote.config"
    config.write_text(f"[core]\n    remote = team\n['remote \"team\"']\n    url = {storage}\n")
    fetched = tmp_path / "fetched"
    sh(
        tmp_path,
        "dvc",
        "artifacts",
        "get",
        str(origin),
        "ich-model",
        "-o",
        str(fetched),
        "--config",
        str(config),
    )
    tests = repo / "data" / "source" / "stage_2_test"
    by = {name: tmp_path / f"{name}.csv" for name in ("artifact", "pipeline")}
    sh(
        repo,
        "python",
        "-m",
        "ich",
        "predict",
        str(tests),
        "--model",
        str(fetched),
        "--out",
        str(by["artifact"]),
    )
    sh(repo, "python", "-m", "ich", "predict", str(tests), "--out", str(by["pipeline"]))
    assert by["artifact"].read_text() == by["pipeline"].read_text(), "the same two models"


def test_data_stages_byte_reproducible_on_fresh_clone(repo, tmp_path):
    clone = tmp_path / "clone"
    sh(tmp_path, "git", "clone", "-q", str(repo), str(clone))
    sh(clone, "dvc", "repro", "extract", "sample")
    committed = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]
    fresh = yaml.safe_load((clone / "dvc.lock").read_text())["stages"]
    for stage in ("source", "labels", "manifest", "decode", "extract", "sample"):
        assert fresh[stage] == committed[stage], stage


def test_replacing_the_file_train_init_names_in_place_reruns_train(repo):
    """DVC tracks `train.init`'s value, a path; the inputs stage fingerprints the file, so a new
    model under the same name is a change to `train` (shown by `dvc status`, not retrained)."""
    init = repo / "init.keras"
    shutil.copy(repo / "models" / "slice" / "model.keras", init)
    set_param(repo, "train.init", "init.keras")
    try:
        sh(repo, "dvc", "repro", "inputs")
        sh(repo, "dvc", "commit", "-f", "train")  # as if train had run from this file
        assert "train:" not in sh(repo, "dvc", "status")
        shutil.copy(repo / "models" / "sequence" / "model.keras", init)  # same name, new bytes
        sh(repo, "dvc", "repro", "inputs")
        status = sh(repo, "dvc", "status")
        assert re.search(
            r"^train:\n\tchanged deps:\n\t\tmodified:\s+data/inputs/train.json", status, re.M
        ), status
    finally:
        init.unlink()
        restore(repo)
