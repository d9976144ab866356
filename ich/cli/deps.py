"""Check (or --write) each stage's code dependencies in dvc.yaml against its imports.

A stage depends on every project file it executes: its module and everything that imports,
directly or not. Exit status 1 names each file missing from, or needless in, dvc.yaml.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ich.errors import InputError


def add_parser(commands) -> None:
    ap = commands.add_parser(
        "deps", help="dvc.yaml code deps from the import graph", description=__doc__
    )
    ap.add_argument("--dvc-yaml", type=Path, default=Path("dvc.yaml"))
    ap.add_argument("--write", action="store_true", help="rewrite the lists in dvc.yaml")
    ap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ich.pipeline.deps import ROOT, differences, write

    # the project's stage modules, whichever dvc.yaml (real-ct/'s runs them from its folder)
    root = ROOT if args.dvc_yaml.resolve().is_relative_to(ROOT) else args.dvc_yaml.resolve().parent
    if args.write:
        changed = write(args.dvc_yaml, root)
        print(f"deps: {args.dvc_yaml} {'updated' if changed else 'already up to date'}")
        return 0
    problems = differences(args.dvc_yaml, root)
    if problems:
        raise InputError("\n".join(problems) + "\n(`python -m ich deps --write` fixes it)")
    print(f"deps: every stage in {args.dvc_yaml} lists exactly the code it imports")
    return 0
