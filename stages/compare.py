"""Compare experiments: `dvc exp show --json` -> reports/compare.md (also printed).

Usage: python -m stages.compare [--out reports/compare.md]   (or: make compare)
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from ich.compare import collect, table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=Path("reports/compare.md"))
    ap.add_argument(
        "--all-commits",
        action="store_true",
        help="include experiments based on earlier commits too",
    )
    ap.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="only these experiments (or branch / short commit names)",
    )
    ap.add_argument(
        "--params",
        nargs="+",
        metavar="KEY",
        help="only these params columns (default: every param that differs)",
    )
    args = ap.parse_args()
    cmd = ["dvc", "exp", "show", "--json", *(["--all-commits"] if args.all_commits else [])]
    raw = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = collect(json.loads(raw[raw.index("[") :]))
    if args.only:
        rows = [r for r in rows if r.name in args.only]
    if not rows:
        raise SystemExit("no experiment with metrics/holdout.json yet: run `make repro` first")
    text = table(rows, args.params)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        "# Experiments on the holdout (best AUC(any) first)\n\n"
        "CI: 95% bootstrap interval over patients. Baselines: the training prevalence for every "
        "slice (prior) and the prevalence by the slice's position in its series (position).\n\n"
        + text
    )
    print(text)


if __name__ == "__main__":
    main()
