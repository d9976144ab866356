"""Recipes' cross-validations side by side, and each one paired with a reference recipe on the
same patients, folds and seeds (`ich.eval.paired`: patients resampled together)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ich.cv.oof import seed_mean
from ich.errors import InputError
from ich.eval.paired import paired
from ich.formatting import difference
from ich.rsna import LABELS

KEYS = ["ID", "seed"]


def paired_rows(a: pd.DataFrame, b: pd.DataFrame, prefix: str, n_boot: int) -> dict:
    """`a - b` on the rows both hold (ID and seed), patients resampled together."""
    both = a.merge(b, on=KEYS, suffixes=("_a", "_b"), validate="one_to_one")
    y = both[[f"{s}_a" for s in LABELS]].to_numpy(np.float64)
    p_a = both[[f"{prefix}{s}_a" for s in LABELS]].to_numpy(np.float64)
    p_b = both[[f"{prefix}{s}_b" for s in LABELS]].to_numpy(np.float64)
    return paired(y, p_a, p_b, both["PatientID_a"].to_numpy(), n_boot, 0)


def on_common_seeds(a: pd.DataFrame, b: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two recipes' rows on the seeds both ran; a recipe without seeds (only seed 0: the density
    model, fit alike whatever the seed) stands beside each seed of the other."""
    seeds_a, seeds_b = set(a["seed"]), set(b["seed"])
    if seeds_a == {0} and seeds_b != {0}:
        a = pd.concat([a.assign(seed=s) for s in sorted(seeds_b)], ignore_index=True)
    elif seeds_b == {0} and seeds_a != {0}:
        b = pd.concat([b.assign(seed=s) for s in sorted(seeds_a)], ignore_index=True)
    common = sorted(set(a["seed"]) & set(b["seed"]))
    return a[a["seed"].isin(common)], b[b["seed"].isin(common)]


def read_cv(rev: str) -> tuple[dict, pd.DataFrame]:
    """An experiment's real-CT cross-validation (real-ct/reports/cv.json and cv_oof.csv.gz),
    from the workspace or, through git, from its commit (both are committed, not cached)."""
    from ich.pipeline import paths

    report, oof = paths.REAL_CT / paths.CV_REPORT, paths.REAL_CT / paths.CV_OOF
    if rev == "workspace":
        if not report.is_file():
            raise InputError(f"{report}: missing: run `dvc repro real-ct/dvc.yaml` first")
        return json.loads(report.read_text()), pd.read_csv(oof)
    import dvc.api

    try:
        summary = json.loads(dvc.api.read(report.as_posix(), rev=rev))
        with dvc.api.open(oof.as_posix(), rev=rev, mode="rb") as f:
            return summary, pd.read_csv(f, compression="gzip")
    except Exception as e:  # noqa: BLE001 (git or DVC: either way the commit lacks them)
        raise InputError(f"{rev[:7]}: no {report} in it ({type(e).__name__})") from None


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
            a, b = on_common_seeds(oof, ref)
            series, slice_ = paired_rows(a, b, "p_", n_boot), paired_rows(a, b, "p_slice_", n_boot)
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
            d = paired_rows(mean.assign(seed=0), one.assign(seed=0), "p_slice_", n_boot)
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
