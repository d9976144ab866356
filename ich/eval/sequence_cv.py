"""Series-model choices cross-validated in minutes, not hours.

A fold experiment's slice model, features and splits are in the DVC cache. Retraining only the
series model on them, once with the fold's own `sequence` params and once with a change, at
the same seeds, gives a paired comparison on the fold's val patients without retraining a
slice model. The first seed is the one the experiment ran: its retrained score must equal the
recorded one (shown beside it), or the comparison is not the experiment's.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ich.data.series import series_rows
from ich.eval.sequence_inputs import FIT, STOP, SequenceInputs
from ich.model.sequence import SequenceSpec, predict_series, train_sequence

SEED_STEP = 100  # further seeds: the fold's seed + 100, + 200, ...


@dataclass
class Trial:
    experiment: str
    fold: int
    seed: int
    recorded: float | None  # the experiment's own val score (first seed only)
    baseline: float  # retrained with the fold's params
    variant: float  # retrained with the change


def val_score(data: SequenceInputs, spec: SequenceSpec) -> float:
    """Val weighted log loss of a series model trained as the `sequence` stage trains it."""
    train, val = data.series[FIT], data.series[STOP]
    with tempfile.TemporaryDirectory() as tmp:
        model, _ = train_sequence(
            spec, data.inputs, data.labels, train, val, Path(tmp) / "history.csv", verbose=0
        )
    probs = predict_series(model, data.inputs, series_rows(data.index)).astype(np.float32)
    return data.val_scores(probs)["sequence"]


def trials(
    experiment: str,
    fold: int,
    data: SequenceInputs,
    spec: SequenceSpec,
    variant: SequenceSpec,
    seeds: int,
    recorded: float | None,
) -> list[Trial]:
    """The fold's own series model and the variant, trained at `seeds` seeds each."""
    out = []
    for i in range(seeds):
        seed = spec.seed + SEED_STEP * i
        base = val_score(data, spec.model_copy(update={"seed": seed}))
        changed = val_score(data, variant.model_copy(update={"seed": seed}))
        out.append(Trial(experiment, fold, seed, recorded if i == 0 else None, base, changed))
    return out


def table(found: list[Trial], changes: dict) -> str:
    """Markdown: every fold and seed, then the paired difference over all of them."""
    change = ", ".join(f"sequence.{k}={v}" for k, v in changes.items())
    lines = [
        f"| experiment | fold | seed | recorded | retrained | {change} | difference |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in found:
        recorded = "-" if t.recorded is None else f"{t.recorded:.4f}"
        lines.append(
            f"| {t.experiment} | {t.fold} | {t.seed} | {recorded} | {t.baseline:.4f} "
            f"| {t.variant:.4f} | {t.variant - t.baseline:+.4f} |"
        )
    d = np.array([t.variant - t.baseline for t in found])
    lines.append("")
    lines.append(
        f"{change} minus the folds' own params: {d.mean():+.4f} [{d.min():+.4f}, {d.max():+.4f}] "
        f"(mean [min, max] over {len(d)} fold-seed pairs), {int((d < 0).sum())}/{len(d)} below 0."
    )
    return "\n".join(lines) + "\n"
