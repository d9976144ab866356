"""The synthetic-data montage: windowed slices per subtype, bleeds outlined, beside real slices."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ich.dicom.read import read_slice  # noqa: E402
from ich.rsna import SUBTYPES  # noqa: E402
from ich.synthetic.cohort import TRUNCATED_ID, SeriesPlan  # noqa: E402
from ich.synthetic.phantom import Frame, render  # noqa: E402

ROWS = (*SUBTYPES, "negative", "hard negative")


def pick_examples(truth: pd.DataFrame, plans: list[SeriesPlan], per_row: int) -> dict[str, list]:
    """(series index, slice) pairs per row: bleeds from large to subtle, then negatives."""
    train = truth[(truth["split"] == "train") & (truth["ID"] != TRUNCATED_ID)]
    train = train.reset_index(drop=True)
    series_index = {p.series_uid: p.index for p in plans}
    picks: dict[str, list] = {}
    for s in SUBTYPES:
        pos = train[train[s] == 1].sort_values(f"{s}_mm2", ascending=False)
        rows = pos.iloc[np.linspace(0, len(pos) - 1, min(per_row, len(pos))).astype(int)]
        picks[s] = [(series_index[r.SeriesInstanceUID], int(r.slice)) for r in rows.itertuples()]
    calcified = {p.series_uid for p in plans if p.head.calcifications}
    mid = train[(train["any"] == 0) & train["z_mm"].between(-10, 40)]
    plain = mid[~mid["SeriesInstanceUID"].isin(calcified)]
    picks["negative"] = [
        (series_index[r.SeriesInstanceUID], int(r.slice))
        for r in plain.iloc[:: max(1, len(plain) // per_row)][:per_row].itertuples()
    ]
    hard = []
    for p in plans:
        if p.split != "train" or not p.head.calcifications:
            continue
        for _, (_, _, cz), radius, _ in p.head.calcifications:
            k = int(np.argmin(np.abs(np.array(p.z) - cz)))
            row = train.loc[train["ID"] == p.sop_uids[k], "any"]
            if abs(p.z[k] - cz) < radius and len(row) == 1 and not row.any():
                hard.append((p.index, k))
                break
        if len(hard) == per_row:
            break
    picks["hard negative"] = hard
    return picks


def draw(
    plans: list[SeriesPlan],
    truth: pd.DataFrame,
    data_dir: Path,
    fixture_dir: Path | None,
    out_png: Path,
    window: tuple[float, float] = (40, 80),
    per_row: int = 4,
) -> None:
    picks = pick_examples(truth, plans, per_row)
    real = sorted(fixture_dir.glob("*.dcm")) if fixture_dir and fixture_dir.is_dir() else []
    real_slices = sorted((read_slice(f) for f in real), key=lambda s: s.z)
    ncols = per_row + (1 if real_slices else 0)
    fig, axes = plt.subplots(len(ROWS), ncols, figsize=(2.1 * ncols, 2.2 * len(ROWS)))
    lo, hi = window[0] - window[1] / 2, window[0] + window[1] / 2
    by_index = {p.index: p for p in plans}
    for r, row in enumerate(ROWS):
        for c in range(ncols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(picks[row]):
                p = by_index[picks[row][c][0]]
                k = picks[row][c][1]
                hu = read_slice(data_dir / f"stage_2_{p.split}" / f"{p.sop_uids[k]}.dcm").hu
                ax.imshow(hu, cmap="gray", vmin=lo, vmax=hi)
                if row in SUBTYPES:
                    _, masks = render(Frame(p.head, p.grid), p.head, p.bleeds, p.z[k])
                    ax.contour(masks[row], levels=[0.5], colors="red", linewidths=0.6)
                ax.set_title(f"{p.sop_uids[k]}  z={p.z[k]:.0f}", fontsize=6)
            elif c == per_row and real_slices:
                s = real_slices[int(len(real_slices) * (0.3 + 0.5 * r / len(ROWS)))]
                ax.imshow(s.hu, cmap="gray", vmin=lo, vmax=hi)
                ax.set_title(f"real RSNA {s.ids['SOPInstanceUID']}", fontsize=6)
            else:
                ax.axis("off")
            if c == 0:
                ax.set_ylabel(row, fontsize=9)
    real_note = "; right column: real RSNA slices" if real_slices else ""
    fig.suptitle(
        f"Synthetic RSNA-format slices, window {window[0]:g}/{window[1]:g} HU "
        f"(red: bleed outline{real_note})",
        fontsize=9,
    )
    fig.tight_layout()
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, dpi=70)
    plt.close(fig)
