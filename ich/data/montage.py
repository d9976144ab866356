"""A montage of a real labelled dataset: a few slices per subtype, and negatives, windowed.

What `montage` draws when the data is not the phantom (which has its own, with bleed outlines):
a first look at what the pipeline is about to learn from. Slices are picked evenly through the
label table sorted by ID, so the picture depends on the data alone.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ich.dicom.read import read_slice  # noqa: E402
from ich.rsna import SUBTYPES  # noqa: E402

ROWS = (*SUBTYPES, "negative")


def pick(labels: pd.DataFrame, per_row: int) -> dict[str, list[str]]:
    """Up to `per_row` IDs per row, evenly spaced through the positives (negatives: `any` 0)."""
    table = labels.sort_values("ID")
    picks = {}
    for row in ROWS:
        ids = table.loc[table["any"] == 0 if row == "negative" else table[row] == 1, "ID"]
        at = np.linspace(0, len(ids) - 1, min(per_row, len(ids))).astype(int)
        picks[row] = ids.iloc[at].tolist()
    return picks


def draw_labelled(
    labels: pd.DataFrame,
    dicom_dir: Path,
    out_png: Path,
    title: str,
    window: tuple[float, float] = (40, 80),
    per_row: int = 4,
) -> None:
    """Write the montage of `labels` (one row per image, RSNA wide format) to `out_png`."""
    picks = pick(labels, per_row)
    lo, hi = window[0] - window[1] / 2, window[0] + window[1] / 2
    fig, axes = plt.subplots(len(ROWS), per_row, figsize=(2.1 * per_row, 2.2 * len(ROWS)))
    for r, row in enumerate(ROWS):
        for c in range(per_row):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(picks[row]):
                image_id = picks[row][c]
                ax.imshow(read_slice(dicom_dir / f"{image_id}.dcm").hu, "gray", vmin=lo, vmax=hi)
                ax.set_title(image_id, fontsize=6)
            else:
                ax.axis("off")
            if c == 0:
                count = int((labels["any"] == 0).sum() if row == "negative" else labels[row].sum())
                ax.set_ylabel(f"{row} ({count:,} slices)", fontsize=8)
    fig.suptitle(f"{title}: labelled slices, window {window[0]:g}/{window[1]:g} HU", fontsize=9)
    fig.tight_layout()
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, dpi=70)
    plt.close(fig)
