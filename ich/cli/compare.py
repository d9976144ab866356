"""Compare experiments: `dvc exp show --json` -> a markdown table (printed and written).

Rows are the workspace, the commit and every experiment on it, best holdout AUC(any) first;
columns are the params that differ between them, then the headline metrics. Then the paired
differences: each experiment against --reference (default: the workspace against seed-it1
when it exists), from each one's own holdout predictions, patients resampled together. A
difference in the weighted log loss is real when its 95% interval excludes 0; the seven AUC
differences are secondary (with seven intervals per pair, one may exclude 0 by chance).
"""

from __future__ import annotations

import argparse
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
    ap.add_argument("--reference", metavar="NAME", help="pair every experiment with this one")
    ap.add_argument(
        "--cv",
        action="store_true",
        help="the real-CT cross-validation's experiments (real-ct/dvc.yaml): pooled out-of-fold "
        "figures, each paired with --reference (default: the workspace) on the same patients",
    )
    ap.add_argument("--bootstrap", type=int, default=1000, help="paired resamples")
    ap.set_defaults(run=run)


def pairs_to_show(rows: list, reference: str | None) -> list[tuple]:
    names = [r.name for r in rows]
    if reference is None:
        ok = "seed-it1" in names and "workspace" in names
        return [("workspace", "seed-it1")] if ok else []
    if reference not in names:
        reference = commit_row(reference, names)
    return [(n, reference) for n in names if n != reference]


def commit_row(reference: str, names: list[str]) -> str:
    """The row of a branch, tag or commit `reference` names (rows of commits go by their short
    hash); an error listing what there is otherwise."""
    import subprocess

    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{reference}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    short = done.stdout.strip()[:7]
    if done.returncode == 0 and short in names:
        return short
    where = f" (commit {short}, not shown: add --all-commits)" if done.returncode == 0 else ""
    raise InputError(
        f"--reference {reference}: no such experiment, branch or tag among "
        f"{', '.join(names)}{where}"
    )


def run(args: argparse.Namespace) -> int:
    from ich.eval.compare import experiments, paired_table, predictions, table
    from ich.eval.paired import NotPaired, compare_predictions

    if args.cv:
        return run_cv(args)
    rows = [r for r in experiments(args.all_commits) if r.headline]
    if args.only:
        rows = [r for r in rows if r.name in args.only]
    if not rows:
        raise InputError(f"no experiment with {paths.HOLDOUT_METRICS} yet: run `make repro` first")
    text = table(rows, args.params)
    by_name = {r.name: r for r in rows}
    pairs, read = [], {}
    for a, b in pairs_to_show(rows, args.reference):
        for name in (a, b):  # the reference is in every pair: read it once
            if name not in read:
                read[name] = predictions(by_name[name].rev)
        try:
            pairs.append((a, b, compare_predictions(read[a], read[b], a, b, args.bootstrap)))
        except NotPaired as e:
            pairs.append((a, b, str(e)))
    if pairs:
        text += "\nPaired differences (a - b, 95% patient-bootstrap intervals):\n\n"
        text += paired_table(pairs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        "# Experiments on the holdout (best AUC(any) first)\n\n"
        "CI: 95% bootstrap interval over patients. Weighted log loss on the natural scale "
        "(prior-shift corrected). Baselines, fit on every image of the training patients at "
        "natural prevalence: the prevalence for every slice (prior) and the prevalence by the "
        "slice's position in its series (position).\n\n" + text
    )
    print(text)
    return 0


def run_cv(args: argparse.Namespace) -> int:
    """`--cv`: the experiments of the real-CT pipeline, each paired with the reference."""
    from ich.cv.compare import read_cv, table
    from ich.eval.compare import experiments

    metrics = (paths.REAL_CT / paths.CV_METRICS).as_posix()
    rows = [r for r in experiments(args.all_commits) if r.metrics.get(metrics)]
    if args.only:
        rows = [r for r in rows if r.name in args.only]
    if not rows:
        raise InputError(f"no experiment with {metrics} yet: run `make real-ct` first")
    names = [r.name for r in rows]
    reference = args.reference or "workspace"
    if reference not in names:
        reference = commit_row(reference, names)
    read = {r.name: read_cv(r.rev) for r in rows}
    summaries = {name: summary for name, (summary, _) in read.items()}
    oofs = {name: oof for name, (_, oof) in read.items()}
    text = table(summaries, oofs, reference, args.bootstrap)
    out = args.out.with_name("compare-cv.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "# Real-CT cross-validation experiments\n\nPooled out-of-fold figures (every seed), and "
        f"each paired with {reference} on the same patients, folds and seeds (95% patient-"
        "bootstrap intervals; bold: the interval excludes 0).\n\n" + text
    )
    print(text)
    return 0
