"""Cross-validate a change of the series model on existing fold experiments.

Retrains only the series model on each fold's cached slice features (no slice model is
retrained), with the fold's own `sequence` params and with the change, at each seed, e.g.

    python -m ich sequence-cv cv-r128-wa256-f --set units=64 --seeds 3 --all-commits

compares `sequence.units=64` with the folds' value on the three experiments whose names start
with `cv-r128-wa256-f`, at three seeds per fold (about a minute per fold and seed on 2 cores).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from ich.cli import command
from ich.errors import InputError
from ich.pipeline import paths
from ich.pipeline.backend import use


def add_parser(commands) -> None:
    ap = command(
        commands,
        "sequence-cv",
        "a series-model change cross-validated on cached fold features",
        __doc__,
    )
    ap.add_argument("prefix", help="the fold experiments: names starting with this")
    ap.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a sequence.* change"
    )
    ap.add_argument("--seeds", type=int, default=1, help="training seeds per fold")
    ap.add_argument("--all-commits", action="store_true", help="folds on earlier commits too")
    ap.add_argument("--out", type=Path, default=paths.REPORTS / "sequence-cv.md")
    ap.set_defaults(run=run)


def parse_changes(items: list[str]) -> dict:
    changes = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"--set {item}: expected KEY=VALUE, e.g. units=64")
        changes[key.removeprefix("sequence.")] = yaml.safe_load(value)
    if not changes:
        raise InputError("nothing to compare: give at least one --set KEY=VALUE")
    return changes


def run(args: argparse.Namespace) -> int:
    from ich.eval.compare import experiments
    from ich.eval.sequence_cv import table, trials
    from ich.eval.sequence_inputs import SequenceInputs, at_revision
    from ich.model.sequence import SequenceSpec
    from ich.pipeline.params import section

    changes = parse_changes(args.set)
    rows = [
        r
        for r in experiments(args.all_commits)
        if r.name.startswith(args.prefix) and r.params.get("sample.cv_fold") is not None
    ]
    if not rows:
        raise InputError(f"no fold experiment (sample.cv_fold set) is named {args.prefix}*")
    # retrain on the backend the folds trained on (before train.backend existed: tensorflow)
    backends = {r.params.get("train.backend") or "tensorflow" for r in rows}
    if len(backends) > 1:
        raise InputError(
            f"the experiments named {args.prefix}* ran on different backends "
            f"({', '.join(sorted(backends))}): give a prefix that selects one"
        )
    use(backends.pop())  # before anything below imports Keras
    found = []
    for r in sorted(rows, key=lambda r: r.params["sample.cv_fold"]):
        own = {k.split(".", 1)[1]: v for k, v in r.params.items() if k.startswith("sequence.")}
        spec = section({"sequence": own}, "sequence", SequenceSpec)
        variant = section({"sequence": {**own, **changes}}, "sequence", SequenceSpec)
        recorded = r.metrics.get(paths.SEQUENCE_METRICS.as_posix(), {})
        recorded = (recorded.get("val_weighted_log_loss") or {}).get("sequence")
        data = SequenceInputs.read(at_revision(r.rev))
        fold = r.params["sample.cv_fold"]
        found += trials(r.name, fold, data, spec, variant, args.seeds, recorded)
        print(f"{r.name}: done", flush=True)
    text = f"# Series model: a change cross-validated on `{args.prefix}*`\n\n" + table(
        found, changes
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0
