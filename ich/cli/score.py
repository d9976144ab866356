"""Score a submission against a labelled set: external validation with the holdout's metrics.

    python -m ich predict data/ct-ich/stage_2_train --out ct-ich.csv
    python -m ich score ct-ich.csv --labels data/ct-ich/stage_2_train.csv \\
        --groups data/ct-ich/ids.csv --out reports/external/ct-ich.json

--groups is a CSV with ID and PatientID (an import's ids.csv, or the extract index) for the
patient-bootstrap intervals. The model's card (--card) gives the prior it was trained at.
--against scores a second submission on the same images and pairs the model with it, patient by
patient: the density baseline's, for one (`predict --model data/predictions/density.json`, or a
density bundle), so external validation says whether the model beats the HU numbers there too.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ich.cli import command
from ich.pipeline import paths


def add_parser(commands) -> None:
    ap = command(
        commands, "score", "a submission against a labelled set (external validation)", __doc__
    )
    ap.add_argument("submission", type=Path, help="Kaggle-format CSV from `predict`")
    ap.add_argument("--labels", type=Path, required=True, help="Kaggle-format label CSV")
    ap.add_argument("--groups", type=Path, required=True, help="CSV with ID and PatientID")
    ap.add_argument("--card", type=Path, default=paths.SLICE_CARD, help="the model's card")
    ap.add_argument("--out", type=Path, required=True, help="the report (JSON)")
    ap.add_argument("--against", type=Path, help="a second submission to pair the model with")
    ap.add_argument("--against-name", default="the density baseline", help="--against's name")
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--table", type=Path, help="also write the figures as a markdown page")
    ap.add_argument("--title", default="External validation", help="the page's title")
    ap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    import pandas as pd

    from ich.data.labels import read_long
    from ich.eval.evaluation import EvaluateSpec
    from ich.eval.external import external_report, markdown
    from ich.files import write_json

    card = json.loads(args.card.read_text())
    against = (args.against_name, pd.read_csv(args.against)) if args.against else None
    report = external_report(
        read_long(args.labels),
        pd.read_csv(args.submission),
        pd.read_csv(args.groups),
        card["prior"],
        # density_c is unused: an external report fits no density baseline (no training rows)
        EvaluateSpec(seed=11, bootstrap=args.bootstrap, density_c=0.1),
        str(args.submission),
        against,
    )
    write_json(args.out, {"submission": args.submission.name, **report})
    if args.table:
        command = f"python -m ich score {args.submission.name} ... --out {args.out.as_posix()}"
        args.table.parent.mkdir(parents=True, exist_ok=True)
        args.table.write_text(markdown(json.loads(args.out.read_text()), args.title, command))
    m, b = report["model"], report["baselines"]
    auc = report["labels"]["any"]
    print(
        f"score: {report['images']} images of {report['patients']} patients; AUC(any) "
        f"{auc['auc']:.3f} [{auc['auc_ci95_low']:.3f}, {auc['auc_ci95_high']:.3f}], weighted log "
        f"loss {m['weighted_log_loss']:.4f} (this set's prior "
        f"{b['prior_of_this_set']['weighted_log_loss']:.4f}); `any` called on "
        f"{report['share_called_any']:.0%} of slices"
    )
    if against:
        v = report["versus"]
        d = v["model_minus_it"]["auc_any"]
        print(
            f"score: {v['name']} AUC(any) {v['auc']['any']:.3f}, weighted log loss "
            f"{v['weighted_log_loss']:.4f}; the model minus it, paired: AUC(any) "
            f"{d['diff']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]"
        )
    return 0
