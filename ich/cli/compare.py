"""Compare experiments: `dvc exp show --json` -> a markdown table (printed and written).

Rows are the workspace, the commit and every experiment on it, best holdout AUC(any) first;
columns are the params that differ between them, then the headline metrics.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from ich.errors import InputError
from ich.pipeline import paths


def add_parser(commands) -> None:
    ap = commands.add_parser("compare", help="experiments side by side", description=__doc__)
    ap.add_argument("--out", type=Path, default=paths.REPORTS / "compare.md")
    ap.add_argument(
        "--all-commits", action="store_true", help="include experiments on earlier commits too"
    )
    ap.add_argument(
        "--only", nargs="+", metavar="NAME", help="only these experiments (or short commits)"
    )
    ap.add_argument(
        "--params", nargs="+", metavar="KEY", help="these params columns (default: all differing)"
    )
    ap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ich.eval.compare import collect, table

    cmd = ["dvc", "exp", "show", "--json", *(["--all-commits"] if args.all_commits else [])]
    raw = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = collect(json.loads(raw[raw.index("[") :]))
    if args.only:
        rows = [r for r in rows if r.name in args.only]
    if not rows:
        raise InputError(f"no experiment with {paths.HOLDOUT_METRICS} yet: run `make repro` first")
    text = table(rows, args.params)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        "# Experiments on the holdout (best AUC(any) first)\n\n"
        "CI: 95% bootstrap interval over patients. Baselines: the training prevalence for every "
        "slice (prior) and the prevalence by the slice's position in its series (position).\n\n"
        + text
    )
    print(text)
    return 0
