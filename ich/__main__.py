"""`python -m ich COMMAND ...`: predict new scans, compare experiments, and more (--help)."""

from __future__ import annotations

import argparse
import sys

from ich.cli import (
    bundle,
    compare,
    crossval,
    deps,
    docs,
    exps,
    hu_scales,
    importer,
    kfold,
    levers,
    montage,
    predict,
    score,
    sequence_cv,
    summary,
    workspace,
)
from ich.errors import InputError

COMMANDS = (
    predict,
    importer,
    workspace,
    kfold,
    levers,
    bundle,
    compare,
    exps,
    crossval,
    sequence_cv,
    summary,
    score,
    hu_scales,
    montage,
    docs,
    deps,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ich", description=__doc__)
    commands = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    args, unknown = ap.parse_known_args(argv)
    args.unknown_options = unknown  # `exps` passes them on to `dvc exp show`
    if unknown and not getattr(args, "passes_unknown_options", False):
        ap.error(f"unrecognized arguments: {' '.join(args.unknown_options)}")
    try:
        return args.run(args) or 0
    except (InputError, FileNotFoundError) as e:
        print(f"ich {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
