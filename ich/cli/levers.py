"""Cross-validate every recipe lever on a labelled workspace, then pair each with `base`.

    python -m ich levers WORKSPACE --seeds 1,2,3 --parallel 4 [--only base,all] [--table-only]

Each lever (ich/eval/levers.py) runs as its own `python -m ich kfold` process, up to --parallel
at once (on a GPU, many fit beside each other); OUT/levers.md gets the table of pooled
out-of-fold figures and paired differences. A lever's `{workspace}` is the WORKSPACE folder
(e.g. `train.init={workspace}/phantom.keras`: the phantom-trained model, copied there).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from ich.cli.kfold import DEFAULT_OUT
from ich.errors import InputError


def add_parser(commands) -> None:
    ap = commands.add_parser(
        "levers",
        help="cross-validate every recipe lever and pair them",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("workspace", type=Path)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--parallel", type=int, default=1, help="levers run at once")
    ap.add_argument("--only", help="comma-separated lever names (default: all)")
    ap.add_argument("--reference", default="base")
    ap.add_argument("--table-only", action="store_true", help="only rebuild OUT/levers.md")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.set_defaults(run=run)


def command(name: str, changes: list[str], args: argparse.Namespace) -> list[str]:
    sets = [f"-S{c.format(workspace=args.workspace)}" for c in changes]
    return [
        sys.executable,
        "-m",
        "ich",
        "kfold",
        str(args.workspace),
        "--name",
        name,
        "--seeds",
        args.seeds,
        "--folds",
        str(args.folds),
        "--out",
        str(args.out),
        *sets,
    ]


def run_all(levers: dict[str, list[str]], args: argparse.Namespace) -> list[str]:
    """Run the levers' kfold processes, --parallel at a time; the names that failed."""
    args.out.mkdir(parents=True, exist_ok=True)
    waiting, running, failed = list(levers.items()), {}, []
    while waiting or running:
        while waiting and len(running) < args.parallel:
            name, changes = waiting.pop(0)
            log = open(args.out / f"{name}.log", "w")  # noqa: SIM115 (closed when it ends)
            running[name] = (
                subprocess.Popen(
                    command(name, changes, args), stdout=log, stderr=subprocess.STDOUT
                ),
                log,
            )
        time.sleep(2)
        for name, (proc, log) in list(running.items()):
            if proc.poll() is not None:
                log.close()
                del running[name]
                print(f"levers: {name} {'done' if proc.returncode == 0 else 'FAILED'}", flush=True)
                if proc.returncode:
                    failed.append(name)
    return failed


def run(args: argparse.Namespace) -> int:
    from ich.eval.kfold_compare import table
    from ich.eval.levers import LEVERS

    names = args.only.split(",") if args.only else list(LEVERS)
    unknown = [n for n in names if n not in LEVERS]
    if unknown:
        raise InputError(f"--only: no lever named {', '.join(unknown)} (ich/eval/levers.py)")
    failed = [] if args.table_only else run_all({n: LEVERS[n] for n in names}, args)
    done = [n for n in names if (args.out / f"{n}.json").is_file()]
    summaries = {n: json.loads((args.out / f"{n}.json").read_text()) for n in done}
    oofs = {n: pd.read_csv(args.out / f"{n}.csv.gz") for n in done}
    text = "# Recipe levers, cross-validated\n\n" + table(summaries, oofs, args.reference)
    (args.out / "levers.md").write_text(text)
    print(text)
    if failed:
        print(f"levers: failed: {', '.join(failed)} (see OUT/<name>.log)", file=sys.stderr)
    return 1 if failed else 0
