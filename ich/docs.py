"""Figures the docs quote, generated from the files they come from, so they cannot drift.

A page marks each generated block:

    <!-- generated: holdout -->
    ...                      (rewritten by `python -m ich docs`)
    <!-- end generated -->

`render` rewrites every block from the committed outputs (BLOCKS names each block's source);
`stale` lists the blocks whose text differs from what the files give (a test runs it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from ich.errors import InputError
from ich.formatting import interval, number
from ich.pipeline import paths
from ich.rsna import LABELS

BLOCK = re.compile(r"(<!-- generated: ([\w-]+) -->\n)(.*?)(<!-- end generated -->)", re.S)


def _read(root: Path, path: Path) -> dict:
    return json.loads((root / path).read_text())


def holdout(root: Path) -> str:
    """The committed default's holdout figures, per label and overall."""
    r = _read(root, paths.HOLDOUT_REPORT)
    rows = [
        f"The committed default run on its holdout ({r['images']:,} slices of {r['patients']} "
        f"patients; `{paths.HOLDOUT_REPORT}`):",
        "",
        "| label | AUC [patient 95% CI] | average precision | positive slices |",
        "|---|---|---|---|",
    ]
    for label in LABELS:
        s = r["labels"][label]
        rows.append(
            f"| {label} | {number(s['auc'])} {interval(s['auc_ci95_low'], s['auc_ci95_high'])} "
            f"| {number(s['average_precision'])} | {s['positives']} |"
        )
    wll, base = r["model"]["weighted_log_loss_ci95"], r["baselines"]
    diff = r["sequence_vs_slice"]["weighted_log_loss"]
    worse = r["not_better_than_position"]
    rows += [
        "",
        f"Weighted log loss {r['model']['weighted_log_loss']:.4f} "
        f"{interval(wll['low'], wll['high'], '.4f')}; the slice model alone "
        f"{r['slice_model']['weighted_log_loss']:.4f} (series minus slice "
        f"{diff['diff']:+.4f} {interval(diff['low'], diff['high'], '+.4f')}); baselines: position "
        f"{base['position']['weighted_log_loss']:.4f}, prior "
        f"{base['prior']['weighted_log_loss']:.4f}. Labels whose AUC does not beat the "
        f"position baseline (paired interval): {', '.join(worse) if worse else 'none'}.",
    ]
    if "model_vs_density" in r:
        d, density = r["model_vs_density"]["auc_any"], base["density"]
        behind = r["not_better_than_density"]
        rows[-1] += (
            f" The density baseline (a logistic regression on HU features): AUC(any) "
            f"{number(density['auc']['any'])}, weighted log loss "
            f"{density['weighted_log_loss']:.4f}; model minus density, AUC(any) "
            f"{d['diff']:+.3f} {interval(d['low'], d['high'], '+.3f')}. Labels whose AUC does not "
            f"beat it (paired interval): {', '.join(behind) if behind else 'none'}."
        )
    return "\n".join(rows) + "\n"


def phantom(root: Path) -> str:
    """What the default's synthesized dataset holds."""
    s = _read(root, paths.SOURCE_REPORT)
    prevalence = ", ".join(f"{k} {v:.1%}" for k, v in s["prevalence"].items())
    return (
        f"The default phantom (`{paths.SOURCE_REPORT}`): {s['patients']} patients, "
        f"{s['series']} series, {s['train_images']:,} labelled slices plus {s['test_images']} "
        f"unlabelled test slices. Slice prevalence: {prevalence}; "
        f"{s['multi_label_share_of_positives']:.0%} of positive slices carry two or more "
        f"subtypes.\n"
    )


def training(root: Path) -> str:
    """The committed default's training run, from the headline metrics."""
    t, q = _read(root, paths.TRAIN_METRICS), _read(root, paths.SEQUENCE_METRICS)
    return (
        f"Slice model: {t['epochs_run']} epochs, best val loss {t['best_val_loss']:.4f}, "
        f"{t['train_seconds']} s of training; series model: {q['epochs_run']} epochs "
        f"(`{paths.TRAIN_METRICS}`, `{paths.SEQUENCE_METRICS}`).\n"
    )


BLOCKS: dict[str, Callable[[Path], str]] = {
    "holdout": holdout,
    "phantom": phantom,
    "training": training,
}


def render(page: Path, root: Path) -> str:
    """The page's text with every generated block rewritten from the files in `root`."""

    def fill(m: re.Match) -> str:
        name = m.group(2)
        if name not in BLOCKS:
            raise InputError(f"{page}: unknown generated block '{name}' ({', '.join(BLOCKS)})")
        return m.group(1) + BLOCKS[name](root) + m.group(4)

    return BLOCK.sub(fill, page.read_text())


def pages(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def stale(root: Path) -> list[str]:
    """Each page whose generated blocks differ from what the files give, with the blocks."""
    problems = []
    for page in pages(root):
        text, fresh = page.read_text(), render(page, root)
        if text != fresh:
            now, then = BLOCK.findall(text), BLOCK.findall(fresh)
            names = [a[1] for a, b in zip(now, then, strict=True) if a != b]
            problems.append(f"{page.relative_to(root)}: block(s) {', '.join(names)} out of date")
    return problems
