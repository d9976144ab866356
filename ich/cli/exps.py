"""The experiments at a glance: `dvc exp show` with the params that differ and the headline
metrics only (no dependency hashes, no interval bounds), so it fits a terminal.

    python -m ich exps               # make exps
    python -m ich exps --md          # any other `dvc exp show` option is passed on
"""

from __future__ import annotations

import argparse
import subprocess

from ich.cli import command

# Columns dropped although they differ between experiments: dependency hashes (their names are
# paths), and metrics the headline does not need beside the AUCs and log losses. DVC matches
# these patterns at the start of a column's name.
DROP = r".*/|(rev|typ|parent)$|.*epochs_run|.*val_weighted|.*ci95|.*prior|.*always_negative"
# Columns kept although they do not differ (with no experiments, nothing does).
KEEP = r"^(Experiment|Created)$|^auc\.|^weighted_log_loss\.(model|slice_model|position)$"


def dvc_command(extra: list[str]) -> list[str]:
    return ["dvc", "exp", "show", "--only-changed", "--drop", DROP, "--keep", KEEP, *extra]


def add_parser(commands) -> None:
    ap = command(
        commands, "exps", "dvc exp show, the differing params and headline metrics", __doc__
    )
    ap.set_defaults(run=run, passes_unknown_options=True)


def run(args: argparse.Namespace) -> int:
    return subprocess.run(dvc_command(args.unknown_options)).returncode
