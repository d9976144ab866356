"""Grouped cross-validation read from experiments: configurations compared fold by fold.

Each experiment with `sample.cv_fold` set is one fold of one configuration (its params other
than the fold and the training seeds). Its score is the weighted log loss on every slice of its
val fold's patients, whom its models never trained on (`metrics/sequence.json`), for the series
model and for the slice model it reads. Two configurations run on the same folds are compared
fold by fold, on the same val patients: a difference that holds in every fold, with a
different training seed in each, is neither one split's luck nor one seed's. The holdout
figures are shown beside, for reference only: nothing is chosen by them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ich.errors import InputError
from ich.eval.compare import Row
from ich.pipeline.paths import SEQUENCE_METRICS

VARYING = ("sample.cv_fold", "train.seed", "sequence.seed")


@dataclass
class Fold:
    name: str
    fold: int
    config: tuple  # (param, value) pairs that define the configuration
    series: float  # val weighted log loss of the series model
    slice: float  # ... and of the slice model it reads
    holdout: float | None  # the holdout's, for reference


def folds(rows: list[Row]) -> list[Fold]:
    """The experiments that are cross-validation folds (sample.cv_fold set, val scores saved)."""
    out = []
    for r in rows:
        val = (r.metrics.get(SEQUENCE_METRICS.as_posix()) or {}).get("val_weighted_log_loss") or {}
        fold = r.params.get("sample.cv_fold")
        if fold is None or "sequence" not in val:
            continue
        config = tuple(sorted((k, repr(v)) for k, v in r.params.items() if k not in VARYING))
        holdout = (r.headline.get("weighted_log_loss") or {}).get("model")
        out.append(Fold(r.name, fold, config, val["sequence"], val["slice_model"], holdout))
    return out


def _spread(values) -> str:
    v = np.asarray(values, np.float64)
    return f"{v.mean():.4f} [{v.min():.4f}, {v.max():.4f}]"


def _signed(values) -> str:
    v = np.asarray(values, np.float64)
    below = int((v < 0).sum())
    return f"{v.mean():+.4f} [{v.min():+.4f}, {v.max():+.4f}], {below}/{len(v)} below 0"


def table(found: list[Fold], reference: str | None = None) -> str:
    """Markdown: per configuration (params that differ between them), its folds' val scores as
    mean [min, max]; then each configuration minus the best (or minus the configuration of the
    experiment named `reference`), fold by fold."""
    groups: dict[tuple, dict[int, Fold]] = {}
    for f in found:
        groups.setdefault(f.config, {})[f.fold] = f
    keys = sorted({k for config in groups for k, _ in config})
    differing = [k for k in keys if len({dict(c).get(k) for c in groups}) > 1]
    ranked = sorted(groups, key=lambda c: np.mean([f.series for f in groups[c].values()]))
    head = [*differing, "folds", "series model", "slice model", "series - slice", "holdout"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for config in ranked:
        g = list(groups[config].values())
        holdout = [f.holdout for f in g if f.holdout is not None]
        lines.append(
            "| "
            + " | ".join(
                [
                    *(dict(config).get(k, "-") for k in differing),
                    str(len(g)),
                    _spread([f.series for f in g]),
                    _spread([f.slice for f in g]),
                    _signed([f.series - f.slice for f in g]),
                    _spread(holdout) if holdout else "-",
                ]
            )
            + " |"
        )
    base = ranked[0]
    if reference is not None:
        base = next((f.config for f in found if f.name == reference), None)
        if base is None:
            raise InputError(f"--reference {reference}: no such cross-validation fold")
    best, label = groups[base], "the best" if reference is None else f"{reference}'s"
    lines += ["", f"Each configuration minus {label}, fold by fold (series model, val):", ""]
    lines += ["| " + " | ".join([*differing, "folds paired", "difference"]) + " |"]
    lines += ["|" + "---|" * (len(differing) + 2)]
    for config in (c for c in ranked if c != base):
        shared = sorted(set(groups[config]) & set(best))
        if not shared:
            continue
        diffs = [groups[config][k].series - best[k].series for k in shared]
        cells = [*(dict(config).get(k, "-") for k in differing), str(len(shared))]
        lines.append("| " + " | ".join([*cells, _signed(diffs)]) + " |")
    return "\n".join(lines) + "\n"
