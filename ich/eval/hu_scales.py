"""How each dataset's HU scale sits: the densities of the brain away from the skull, on slices
without blood, side by side (`python -m ich hu-scales`).

Blood is 50-90 HU only on a calibrated scanner. Normal brain is about 20-40 HU; where a dataset's
brain sits higher, or spreads wider, a count of pixels in blood densities means something else
there, and a model trained on one scale misreads the other. The tissue compared is the one the HU
features call deep brain (`ich.data.hu_features.deep_brain_hu`): the skull's partial volume and
the extra-axial spaces stay out.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ich.data.hu_features import SOFT_HU, deep_brain_hu
from ich.errors import InputError
from ich.formatting import table
from ich.jobs import progress
from ich.pipeline import paths

EDGES = np.arange(SOFT_HU[0] - 1, SOFT_HU[1] + 1, 2)  # 2 HU bins over all the brain can hold
MAX_SLICES = 1500  # evenly spaced over a set: the medians settle well before


def scale(codes: np.ndarray, areas: np.ndarray, rows: np.ndarray) -> dict:
    """Per slice, the deep brain's mean and 99th percentile HU; their medians over the slices,
    and every deep-brain pixel pooled as a share per EDGES bin."""
    means, p99s, counts = [], [], np.zeros(len(EDGES) - 1)
    for r in progress(rows, desc="hu scales", unit="slice"):
        hu = deep_brain_hu(np.asarray(codes[r]), int(areas[r]))
        if hu.size:
            means.append(float(hu.mean()))
            p99s.append(float(np.percentile(hu, 99)))
            counts += np.histogram(hu, EDGES)[0]
    if not means:
        raise InputError("no slice with brain to measure (every slice under the brain minimum)")
    return {
        "slices": len(means),
        "median_mean_hu": round(float(np.median(means)), 1),
        "median_p99_hu": round(float(np.median(p99s)), 1),
        "share_50_90": round(
            float(counts[(EDGES[:-1] >= 50) & (EDGES[:-1] < 90)].sum() / counts.sum()), 5
        ),
        "share": (counts / counts.sum()).round(6).tolist(),
    }


def spaced(rows: np.ndarray, limit: int) -> np.ndarray:
    """At most `limit` of `rows`, evenly spaced (every patient, not the first few)."""
    if len(rows) <= limit:
        return rows
    return rows[np.linspace(0, len(rows) - 1, limit).round().astype(int)]


def of_folder(folder: Path, base: int, workers: int, limit: int = MAX_SLICES) -> dict:
    """`scale` of a folder: a project or workspace where the decode ran (its slices without any
    label when it has labels, every slice otherwise), or a folder of DICOMs, decoded onto
    `base` here."""
    if (folder / paths.CODES).is_file():
        areas = np.load(folder / paths.AREAS)
        rows = np.flatnonzero(areas > 0)
        source = "every decoded slice"
        if (folder / paths.LABELS).is_file():
            index = pd.read_csv(folder / paths.INDEX)
            labels = pd.read_csv(folder / paths.LABELS)
            table = index.merge(labels, on="ID", validate="one_to_one")
            rows = np.intersect1d(rows, table.loc[table["any"] == 0, "row"].to_numpy())
            source = "slices without a label"
        codes = np.load(folder / paths.CODES, mmap_mode="r")
        return scale(codes, areas, spaced(rows, limit)) | {"source": source}
    from ich.data.decode import decode_files
    from ich.data.scans import find_dicoms

    files = [str(f) for f in find_dicoms([folder])]
    with tempfile.TemporaryDirectory(prefix="ich-hu-scales-") as tmp:
        index, _, areas = decode_files(files, Path(tmp) / "codes.npy", base, workers)
        codes = np.load(Path(tmp) / "codes.npy", mmap_mode="r")
        rows = spaced(np.flatnonzero(areas > 0), limit)
        out = scale(codes, areas, rows) | {"source": "every slice (no labels)"}
        del codes
    return out


def plot(scales: dict[str, dict], out: Path) -> None:
    """The pooled deep-brain densities of each set, one line each, blood's band shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    centres = (EDGES[:-1] + EDGES[1:]) / 2
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.axvspan(50, 90, color="tab:red", alpha=0.08, label="acute blood, calibrated (50-90 HU)")
    for name, s in scales.items():
        share = np.array(s["share"]) / (EDGES[1] - EDGES[0])
        label = f"{name}: median {s['median_mean_hu']:.0f} HU ({s['slices']} slices)"
        ax.plot(centres, share, lw=1.6, label=label)
    ax.set_xlabel("HU of the brain > 6 mm from bone, slices without blood")
    ax.set_ylabel("share of pixels per HU")
    ax.set_yscale("log")
    ax.set_ylim(1e-6, None)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def markdown(scales: dict[str, dict], command: str) -> str:
    header = ["set", "slices measured", "median of the slices' mean HU"]
    header += ["median of their 99th percentile", "share of pixels at 50-90 HU"]
    rows = [
        [
            f"{name} ({s['source']})",
            s["slices"],
            f"{s['median_mean_hu']:.1f}",
            f"{s['median_p99_hu']:.1f}",
            f"{s['share_50_90']:.2%}",
        ]
        for name, s in scales.items()
    ]
    lines = [f"Generated by `{command}` (do not edit by hand).", "", *table(header, rows)]
    return "\n".join(lines) + "\n"
