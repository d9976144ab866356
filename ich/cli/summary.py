"""Print the current run's holdout figures in a few lines (`make repro` ends with this)."""

from __future__ import annotations

import argparse
import json

from ich.formatting import number
from ich.pipeline import paths


def add_parser(commands) -> None:
    ap = commands.add_parser("summary", help="the holdout figures in brief", description=__doc__)
    ap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ich.rsna import LABELS

    path = paths.HOLDOUT_REPORT
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `make repro` first")
    m = json.loads(path.read_text())
    print(f"holdout: {m['images']} slices of {m['patients']} patients")
    print(f"{'label':18s} {'AUC':>6s}  95% CI (patients)   AP     sens   spec   prevalence")
    for s in LABELS:
        r = m["labels"][s]
        print(
            f"{s:18s} {number(r['auc'], '6.3f')}  [{number(r['auc_ci95_low'], '.3f')}, "
            f"{number(r['auc_ci95_high'], '.3f')}]     {number(r['average_precision'], '.3f')}  "
            f"{number(r['sensitivity'], '.3f')}  {number(r['specificity'], '.3f')}"
            f"  {r['prevalence']:.3f}  ({r['positives']} positive slices)"
        )
    wll = {name: b["weighted_log_loss"] for name, b in m["baselines"].items()}
    ci = m["model"]["weighted_log_loss_ci95"]
    print(
        f"RSNA weighted log loss: model {m['model']['weighted_log_loss']:.4f} "
        f"[{ci['low']:.4f}, {ci['high']:.4f}]; baselines "
        + ", ".join(f"{name} {value:.4f}" for name, value in wll.items())
    )
    d = m["sequence_vs_slice"]["weighted_log_loss"]
    verdict = "helps" if d["high"] < 0 else "hurts" if d["low"] > 0 else "makes no clear difference"
    print(
        f"series model vs the slice model it reads ({m['slice_model']['weighted_log_loss']:.4f}): "
        f"{d['diff']:+.4f} [{d['low']:+.4f}, {d['high']:+.4f}], paired: it {verdict}"
    )
    density(m)
    for s in m["not_better_than_position"]:
        d = m["model_vs_position"][f"auc_{s}"]
        if d["diff"] is None:
            print(f"NOTE {s}: no holdout positives, so no AUC to compare")
            continue
        print(
            f"WARNING {s}: AUC not better than the slice-position baseline (paired difference "
            f"{d['diff']:+.3f} [{number(d['low'], '+.3f')}, {number(d['high'], '+.3f')}])"
        )
    return 0


def density(m: dict) -> None:
    """The model against the density baseline, said plainly when it does not beat it."""
    if "model_vs_density" not in m:
        return
    d, auc = m["model_vs_density"]["auc_any"], m["baselines"]["density"]["auc"]["any"]
    behind = m["not_better_than_density"]
    verdict = "does NOT beat it" if "any" in behind else "beats it"
    print(
        f"density baseline (logistic regression on HU features): AUC(any) {number(auc, '.3f')}; "
        f"model minus density {number(d['diff'], '+.3f')} [{number(d['low'], '+.3f')}, "
        f"{number(d['high'], '+.3f')}], paired: the model {verdict}"
    )
    subtypes = [s for s in behind if s != "any"]
    if subtypes:
        print(f"  labels where the model does not beat the density baseline: {', '.join(subtypes)}")
