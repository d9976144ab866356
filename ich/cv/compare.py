"""Recipes' cross-validations side by side, and each one paired with a reference recipe on the
same patients, folds and seeds (`ich.eval.paired`: patients resampled together)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ich.cv.oof import seed_mean
from ich.errors import InputError
from ich.eval.paired import paired
from ich.formatting import difference
from ich.rsna import LABELS

KEYS = ["ID", "seed"]


def _paired(a: pd.DataFrame, b: pd.DataFrame, prefix: str, n_boot: int) -> dict:
    both = a.merge(b, on=KEYS, suffixes=("_a", "_b"), validate="one_to_one")
    y = both[[f"{s}_a" for s in LABELS]].to_numpy(np.float64)
    p_a = both[[f"{prefix}{s}_a" for s in LABELS]].to_numpy(np.float64)
    p_b = both[[f"{prefix}{s}_b" for s in LABELS]].to_numpy(np.float64)
    return paired(y, p_a, p_b, both["PatientID_a"].to_numpy(), n_boot, 0)


def _value(summary: dict, model: str) -> str:
    m = summary[model]
    auc, wll = m["any"], m["weighted_log_loss"]
    return f"{auc['auc']:.3f} [{auc['low']:.3f}, {auc['high']:.3f}] | {wll['value']:.4f}"


def table(summaries: dict, oofs: dict, reference: str, n_boot: int = 1000) -> str:
    """Markdown: each recipe's pooled figures, then its paired differences from `reference`
    (series model, and the slice model under it). Recipes are paired on the seeds both ran."""
    if reference not in oofs:
        raise InputError(f"--reference {reference}: no such recipe among {', '.join(oofs)}")
    ref = oofs[reference]
    lines = [
        "| recipe | seeds | AUC(any) series [95% CI] | WLL series | AUC(any) slice | WLL slice "
        f"| WLL - {reference} (series) | AUC(any) - {reference} (series) "
        f"| WLL - {reference} (slice) | AUC(any) - {reference} (slice) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, oof in oofs.items():
        s = summaries[name]
        cells = [name, ",".join(map(str, s["seeds"])), _value(s, "series_model")]
        cells.append(_value(s, "slice_model"))
        if name == reference:
            cells += ["-"] * 4
        else:
            common = sorted(set(oof["seed"]) & set(ref["seed"]))
            a, b = oof[oof["seed"].isin(common)], ref[ref["seed"].isin(common)]
            series, slice_ = _paired(a, b, "p_", n_boot), _paired(a, b, "p_slice_", n_boot)
            w, auc = series["weighted_log_loss"], series["auc_any"]
            cells += [
                difference(w, "+.4f", bold=True),
                difference(auc, "+.3f", bold=True),
                difference(slice_["weighted_log_loss"], "+.4f", bold=True),
                difference(slice_["auc_any"], "+.3f", bold=True),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def ensemble_table(oofs: dict, n_boot: int = 1000) -> str:
    """Markdown: for each recipe run at several seeds, its slice models averaged over the seeds
    (what an ensemble of models trained alike, e.g. a bundle's, is worth) paired with each
    single seed on the same patients; empty when no recipe has several seeds."""
    lines = []
    for name, oof in oofs.items():
        seeds = sorted(oof["seed"].unique())
        if len(seeds) < 2 or oof.groupby("ID")["p_slice_any"].nunique().max() == 1:
            continue  # one seed, or a recipe without a network (the same rows for every seed)
        mean = seed_mean(oof).drop(columns="seed")
        for seed in seeds:
            one = oof[oof["seed"] == seed].drop(columns="seed")
            d = _paired(mean.assign(seed=0), one.assign(seed=0), "p_slice_", n_boot)
            lines.append(
                f"| {name} | {','.join(map(str, seeds))} | {seed} | "
                f"{difference(d['auc_any'], '+.3f', bold=True)} | "
                f"{difference(d['weighted_log_loss'], '+.4f', bold=True)} |"
            )
    if not lines:
        return ""
    head = [
        "| recipe | seeds averaged | minus seed | AUC(any) slice, ensemble - seed "
        "| WLL slice, ensemble - seed |",
        "|---|---|---|---|---|",
    ]
    return "\n".join(head + lines) + "\n"
