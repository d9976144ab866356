"""Print the current run's holdout figures in a few lines (`make repro` ends with this)."""

from __future__ import annotations

import json
from pathlib import Path

from ich import LABELS


def main() -> None:
    path = Path("metrics/holdout.json")
    if not path.exists():
        raise SystemExit(f"{path} not found: run `make repro` first")
    m = json.loads(path.read_text())
    print(f"holdout: {m['images']} slices of {m['patients']} patients")
    print(f"{'label':18s} {'AUC':>6s}  95% CI (patients)   AP     sens   spec   prevalence")
    for s in LABELS:
        r = m["labels"][s]
        print(
            f"{s:18s} {r['auc']:6.3f}  [{r['auc_ci95_low']:.3f}, {r['auc_ci95_high']:.3f}]"
            f"     {r['average_precision']:.3f}  {r['sensitivity']:.3f}  {r['specificity']:.3f}"
            f"  {r['prevalence']:.3f}"
        )
    wll = {name: b["weighted_log_loss"] for name, b in m["baselines"].items()}
    print(
        f"RSNA weighted log loss: model {m['model']['weighted_log_loss']:.4f}; baselines "
        + ", ".join(f"{name} {value:.4f}" for name, value in wll.items())
    )


if __name__ == "__main__":
    main()
