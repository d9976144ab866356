"""`python -m ich COMMAND`: the tools beside the pipeline, one module per command.

Each module has `add_parser(commands)`, which registers its arguments and sets `run`; heavy
imports wait inside `run`, so `--help` stays fast.

The stages' own command line (`sharded_options`) is parsed here too: only `ich/cli` parses.
"""

import argparse

from ich.jobs import worker_count


def command(commands, name: str, help: str, doc: str | None) -> argparse.ArgumentParser:
    """A subcommand whose --help shows the module docstring as written (its usage examples)."""
    return commands.add_parser(
        name, help=help, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def fold_option(description: str | None) -> int:
    """The command line of a fold's stage (real-ct/dvc.yaml's `fold_fit@k`): its fold."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--fold", type=int, required=True, help="the fold this stage fits")
    return ap.parse_args().fold


def sharded_options(description: str | None) -> tuple[int, int]:
    """The command line of a sharded stage: (worker processes, slices per resumable shard).
    Neither is a param: outputs are byte-identical for any value (tested)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--workers", type=int, help="processes (default: ICH_WORKERS or all cores)")
    ap.add_argument("--shard-size", type=int, default=1024, help="slices per resumable unit")
    args = ap.parse_args()
    return worker_count(args.workers), max(1, args.shard_size)
