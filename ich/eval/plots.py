"""Holdout plots: data for `dvc plots` (small CSVs) and PNG renderings of the same for people."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ich.eval import metrics  # noqa: E402
from ich.files import write_csv  # noqa: E402
from ich.rsna import LABELS  # noqa: E402

MAX_POINTS = 200  # per curve: enough to draw, small enough to commit


def _thin(*arrays: np.ndarray) -> list[np.ndarray]:
    n = len(arrays[0])
    keep = np.unique(np.linspace(0, n - 1, min(n, MAX_POINTS)).astype(int))
    return [a[keep] for a in arrays]


def holdout_plots(y: np.ndarray, p: np.ndarray, out: Path, threshold_any: float) -> None:
    """ROC and PR per label and calibration (CSV + PNG); the `any` confusion matrix (PNG; its
    counts are in the report)."""
    fig, (ax_roc, ax_pr) = plt.subplots(1, 2, figsize=(11, 5))
    for i, s in enumerate(LABELS):
        if not y[:, i].any() or y[:, i].all():
            # No curve without both classes (a small or real holdout can lack a subtype): the
            # files still exist, header only, so that every plot dvc.yaml declares loads.
            write_csv(out / "roc" / f"{s}.csv", pd.DataFrame(columns=["fpr", "tpr"]))
            write_csv(out / "pr" / f"{s}.csv", pd.DataFrame(columns=["recall", "precision"]))
            continue
        fpr, tpr, _ = metrics.roc_curve(y[:, i], p[:, i])
        fpr, tpr = _thin(fpr, tpr)
        write_csv(out / "roc" / f"{s}.csv", pd.DataFrame({"fpr": fpr, "tpr": tpr}).round(5))
        auc = metrics.roc_auc(y[:, i], p[:, i])
        ax_roc.plot(fpr, tpr, label=f"{s} (AUC {auc:.3f})")
        recall, precision = _thin(*metrics.pr_curve(y[:, i], p[:, i]))
        write_csv(
            out / "pr" / f"{s}.csv",
            pd.DataFrame({"recall": recall, "precision": precision}).round(5),
        )
        ap = metrics.average_precision(y[:, i], p[:, i])
        ax_pr.plot(recall, precision, label=f"{s} (AP {ap:.3f})")
    ax_roc.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax_roc.set(title="Holdout ROC", xlabel="False positive rate", ylabel="True positive rate")
    ax_pr.set(title="Holdout precision-recall", xlabel="Recall", ylabel="Precision")
    for ax in (ax_roc, ax_pr):
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "roc_pr.png", dpi=90)
    plt.close(fig)

    mean_p, rate, count, ece = metrics.calibration(y, p)
    cal = pd.DataFrame({"mean_predicted": mean_p, "observed": rate, "count": count})[count > 0]
    write_csv(out / "calibration.csv", cal.round(5))
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.plot(cal["mean_predicted"], cal["observed"], "o-")
    ax.set(
        title=f"Reliability, all labels (ECE {ece:.3f})",
        xlabel="Mean predicted probability",
        ylabel="Observed frequency",
    )
    fig.tight_layout()
    fig.savefig(out / "calibration.png", dpi=90)
    plt.close(fig)

    i = LABELS.index("any")
    counts = metrics.confusion(y[:, i], p[:, i], threshold_any)
    table = np.array([[counts["tn"], counts["fp"]], [counts["fn"], counts["tp"]]])
    names = ["none", "hemorrhage"]
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.imshow(table, cmap="Blues")
    for (r, c), v in np.ndenumerate(table):
        ax.text(c, r, str(v), ha="center", va="center")
    ax.set_xticks([0, 1], names)
    ax.set_yticks([0, 1], names)
    ax.set(title=f"'any' at threshold {threshold_any:.3f}", xlabel="Predicted", ylabel="Actual")
    fig.tight_layout()
    fig.savefig(out / "confusion_any.png", dpi=90)
    plt.close(fig)


def saliency_grid(
    images: list[np.ndarray],
    maps: list[np.ndarray],
    titles: list[str],
    out_png: Path,
    channel: int = 0,
    ncols: int = 3,
) -> None:
    """Input (first window channel) beside the same slice with its occlusion heatmap."""
    n = len(images)
    rows = -(-n // ncols)
    fig, axes = plt.subplots(rows, 2 * ncols, figsize=(2.2 * 2 * ncols, 2.4 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, (img, heat, title) in enumerate(zip(images, maps, titles, strict=True)):
        r, c = divmod(i, ncols)
        axes[r, 2 * c].imshow(img[..., channel], cmap="gray", vmin=0, vmax=255)
        axes[r, 2 * c].set_title(title, fontsize=7)
        axes[r, 2 * c + 1].imshow(img[..., channel], cmap="gray", vmin=0, vmax=255)
        axes[r, 2 * c + 1].imshow(heat, cmap="inferno", alpha=0.55)
        axes[r, 2 * c + 1].set_title("occlusion saliency", fontsize=7)
    fig.suptitle(
        "Holdout slices the model ranks highest per subtype: input (brain window) and "
        "where blanking lowers the prediction",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(out_png, dpi=80)
    plt.close(fig)
