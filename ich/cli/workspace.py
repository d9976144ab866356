"""Prepare a cross-validation workspace: a folder where the data stages ran on a labelled
dataset in the RSNA layout (e.g. an import), for `python -m ich kfold` and `levers`.

    python -m ich workspace DIR --data data/ct-ich

writes DIR/params.yaml (this project's params.yaml with data.source rsna and the two data
params pointing at DATA/stage_2_train.csv and DATA/stage_2_train) and runs the `labels`,
`manifest` and `decode` stages in DIR, exactly as `dvc repro` would: DIR/data/ then holds the
labels, the index and the decoded codes that every recipe derives its images from.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import yaml

from ich.cli import command
from ich.errors import InputError
from ich.pipeline import paths

ROOT = Path(__file__).resolve().parents[2]
DATA_STAGES = ("labels", "manifest", "decode")


def add_parser(commands) -> None:
    ap = command(commands, "workspace", "run the data stages on a dataset, for kfold", __doc__)
    ap.add_argument("dir", type=Path, help="the workspace folder (created)")
    ap.add_argument("--data", type=Path, required=True, help="an RSNA-layout dataset folder")
    ap.add_argument("--params", type=Path, default=ROOT / paths.PARAMS, help="params to start from")
    ap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    labels, dicoms = args.data / "stage_2_train.csv", args.data / "stage_2_train"
    if not labels.is_file() or not dicoms.is_dir():
        raise InputError(f"{args.data}: expected stage_2_train.csv and stage_2_train/ in it")
    params = yaml.safe_load(args.params.read_text())
    params["data"] = {
        "source": "rsna",  # the RSNA layout, read in place
        "raw": None,
        "labels_csv": str(labels.resolve()),
        "dicom_dir": str(dicoms.resolve()),
    }
    args.dir.mkdir(parents=True, exist_ok=True)
    (args.dir / paths.PARAMS).write_text(yaml.safe_dump(params, sort_keys=False))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    for stage in DATA_STAGES:
        done = subprocess.run([sys.executable, "-m", f"stages.{stage}"], cwd=args.dir, env=env)
        if done.returncode:
            raise InputError(f"workspace: stage {stage} failed in {args.dir} (see above)")
    print(f"workspace: {args.dir} ready (python -m ich kfold {args.dir} --name NAME ...)")
    return 0
