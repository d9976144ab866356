"""dvc.yaml against the code: every stage lists exactly the code it executes and exactly the
paths its module uses, and the headline metrics stay small."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ich.pipeline import deps, paths
from ich.rsna import LABELS
from tests.conftest import ROOT

PIPELINE = yaml.safe_load((ROOT / "dvc.yaml").read_text())
STAGES = PIPELINE["stages"]
MAX_HEADLINE_NUMBERS = 25


def entries(spec: dict, kind: str) -> list[str]:
    """Paths of one list of a stage (`deps`, `outs`, `metrics`), options dropped."""
    return [next(iter(e)) if isinstance(e, dict) else e for e in spec.get(kind, [])]


@pytest.mark.parametrize("pipeline", ["dvc.yaml", "real-ct/dvc.yaml"])
def test_code_deps_are_the_import_graph(pipeline):
    problems = deps.differences(ROOT / pipeline, ROOT)
    fix = f"(`python -m ich deps --write --dvc-yaml {pipeline}` fixes it)"
    assert not problems, "\n".join([*problems, fix])


def test_a_removed_dependency_is_named_with_its_import_chain(tmp_path):
    shutil.copytree(ROOT / "ich", tmp_path / "ich", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "stages", tmp_path / "stages")
    text = (ROOT / "dvc.yaml").read_text()
    # decode reads every RSNA pixel through the fast reader: drop it from decode's deps only
    start = text.index("  decode:")
    cut = text.index("      - ich/dicom/fast.py\n", start)
    (tmp_path / "dvc.yaml").write_text(
        text[:cut] + text[cut + len("      - ich/dicom/fast.py\n") :]
    )
    problems = deps.differences(tmp_path / "dvc.yaml", tmp_path)
    assert problems == [
        "stage 'decode': dvc.yaml misses ich/dicom/fast.py (stages/decode.py -> "
        "ich/data/decode.py -> ich/dicom/read.py -> ich/dicom/fast.py)"
    ]
    assert deps.write(tmp_path / "dvc.yaml", tmp_path)
    assert deps.differences(tmp_path / "dvc.yaml", tmp_path) == []


def test_a_listed_file_the_stage_never_imports_is_named(tmp_path):
    shutil.copytree(ROOT / "ich", tmp_path / "ich", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "stages", tmp_path / "stages")
    text = (ROOT / "dvc.yaml").read_text()
    text = text.replace(
        "      - stages/labels.py\n", "      - stages/labels.py\n      - ich/eval/plots.py\n", 1
    )
    (tmp_path / "dvc.yaml").write_text(text)
    assert deps.differences(tmp_path / "dvc.yaml", tmp_path) == [
        "stage 'labels': dvc.yaml lists ich/eval/plots.py, which it never imports"
    ]


def test_lazy_and_package_imports_count(tmp_path):
    """An import inside a function may run, and `import a.b` runs a/__init__.py too."""
    pkg = tmp_path / "ich" / "sub"
    pkg.mkdir(parents=True)
    (tmp_path / "ich" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "lazy.py").write_text("X = 1\n")
    (pkg / "unused.py").write_text("")
    (tmp_path / "stages").mkdir()
    (tmp_path / "stages" / "s.py").write_text("def main():\n    from ich.sub import lazy\n")
    assert deps.stage_code("s", tmp_path) == [
        "stages/s.py",
        "ich/__init__.py",
        "ich/sub/__init__.py",
        "ich/sub/lazy.py",
    ]


def test_relative_imports_resolve(tmp_path):
    (tmp_path / "ich" / "sub").mkdir(parents=True)
    (tmp_path / "stages").mkdir()
    files = {
        "ich/__init__.py": "",
        "ich/top.py": "",
        "ich/sub/__init__.py": "from . import a\n",
        "ich/sub/a.py": "from .. import top\nfrom .b import X\n",
        "ich/sub/b.py": "X = 1\n",
        "stages/s.py": "import ich.sub\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert sorted(deps.stage_code("s", tmp_path)) == sorted(files)


def used_paths(stage: str) -> set[str]:
    """The ich.pipeline.paths names a stage module uses, as the paths they stand for."""
    tree = ast.parse((ROOT / "stages" / f"{stage}.py").read_text())
    names = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "paths"
    }
    # decode's note on the machine it ran on is deliberately no output (ich/machine.py)
    used = {getattr(paths, name) for name in names} - paths.UNTRACKED - {paths.DECODE_MACHINE}
    if stage in paths.FINGERPRINTS:  # read by no module: there so DVC reruns the stage
        used.add(paths.FINGERPRINTS[stage])
    return {Path(path).as_posix() for path in used}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_paths_match_dvc_yaml(stage):
    spec = STAGES[stage]
    declared = {
        p
        for kind in ("deps", "outs", "metrics")
        for p in entries(spec, kind)
        if not deps.is_code(p) and "${" not in p
    }
    assert used_paths(stage) == declared, f"stage '{stage}': dvc.yaml and stages/{stage}.py"


def test_param_paths_are_read_through_their_params():
    for stage, spec in STAGES.items():
        for dep in entries(spec, "deps"):
            for key in re.findall(r"\$\{([\w.]+)\}", dep):
                assert key in spec["params"], f"stage '{stage}' reads ${{{key}}} without its param"


def test_only_the_decode_reads_dicoms():
    """Resolution and windows experiments never touch the DICOMs: of the stages after the
    manifest, only `decode` imports the DICOM reader or names the DICOM folder."""
    for stage, spec in STAGES.items():
        reads = any(p.startswith("ich/dicom/read") for p in entries(spec, "deps"))
        named = "data.dicom_dir" in spec.get("params", [])
        assert reads == (stage in {"decode", "montage"}), stage
        assert named == (stage in {"manifest", "decode"}), stage
    assert STAGES["manifest"].get("always_changed") is True


def test_plots_draw_declared_outputs():
    """Every top-level plot is a file some stage writes: declared under its outs, and there in
    the committed run (a stale name would make `dvc plots show` fail to load it)."""
    outs = [p for spec in STAGES.values() for p in entries(spec, "outs")]
    for plot in PIPELINE["plots"]:
        files = plot if isinstance(plot, str) else list(next(iter(plot.values()))["y"])
        for f in [files] if isinstance(files, str) else files:
            assert any(f == o or f.startswith(o + "/") for o in outs), f
            assert (ROOT / f).is_file(), f"{f}: declared as a plot, but no stage wrote it"


def numbers(tree) -> int:
    if isinstance(tree, dict):
        return sum(numbers(v) for v in tree.values())
    return int(isinstance(tree, int | float) and not isinstance(tree, bool))


def test_headline_metrics_fit_the_budget():
    """`dvc exp show` reads at a glance: all declared metrics hold at most 25 numbers."""
    files = [p for spec in STAGES.values() for p in entries(spec, "metrics")]
    expected = (paths.TRAIN_METRICS, paths.SEQUENCE_METRICS, paths.HOLDOUT_METRICS)
    assert files == [p.as_posix() for p in expected]
    total = sum(numbers(json.loads((ROOT / f).read_text())) for f in files)
    assert 0 < total <= MAX_HEADLINE_NUMBERS


def test_every_keras_stage_chooses_and_lists_the_backend():
    """A stage that runs any code importing Keras picks train.backend before it loads, and
    lists the key, so a backend change reruns it."""
    for stage, spec in STAGES.items():
        code = [p for p in entries(spec, "deps") if deps.is_code(p)]
        runs_keras = any(
            re.search(r"^(import keras|from keras)", (ROOT / p).read_text(), re.M) for p in code
        )
        module = (ROOT / "stages" / f"{stage}.py").read_text()
        chooses = "\nuse_params_backend()" in module
        listed = {"train", "train.backend"} & set(spec.get("params", []))
        assert runs_keras == chooses == bool(listed), stage
        if chooses:  # first thing: no import above it but the chooser's own
            head = module[: module.index("\nuse_params_backend()")]
            imports = re.findall(r"^(?:import|from) (\S+)", head, re.M)
            assert set(imports) <= {"__future__", "ich.pipeline.backend"}, stage


def test_a_label_without_positives_still_gets_its_declared_curve_files(tmp_path):
    """A holdout that lacks a subtype (a small or a real one) has no curve for it; the files
    dvc.yaml declares exist anyway, header only, so `dvc plots show` loads every plot."""
    from ich.eval.plots import holdout_plots

    rng = np.random.default_rng(0)
    y = np.zeros((40, len(LABELS)), bool)
    y[::3, LABELS.index("any")] = y[::3, LABELS.index("epidural")] = True
    holdout_plots(y, rng.random(y.shape), tmp_path, 0.5)
    for label in LABELS:
        roc = pd.read_csv(tmp_path / "roc" / f"{label}.csv")
        assert list(roc.columns) == ["fpr", "tpr"]
        assert roc.empty == (not y[:, LABELS.index(label)].any()), label
    assert pd.read_csv(tmp_path / "pr" / "subdural.csv").columns.tolist() == ["recall", "precision"]


@pytest.mark.parametrize("folder", [".", "real-ct"])
def test_the_lock_keeps_no_stage_the_pipeline_no_longer_has(folder):
    """DVC never prunes dvc.lock: a stage removed from dvc.yaml stays there until removed."""
    lock = ROOT / folder / "dvc.lock"
    if not lock.is_file():
        pytest.skip(f"{folder}: never reproduced here")
    stages = set(yaml.safe_load((ROOT / folder / "dvc.yaml").read_text())["stages"])
    locked = {name.split("@", 1)[0] for name in yaml.safe_load(lock.read_text())["stages"]}
    assert locked <= stages, f"stale in {lock.name}: {sorted(locked - stages)}"
