"""The training curves as a PNG: loss and accuracy per epoch, train against val."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def training_curves(history_csv: Path, out_png: Path) -> None:
    h = pd.read_csv(history_csv)
    epoch = h["epoch"] + 1
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.plot(epoch, h["loss"], label="train")
    a.plot(epoch, h["val_loss"], label="val")
    a.set(title="Loss", xlabel="Epoch", ylabel="loss (train includes weight penalties)")
    b.plot(epoch, h["accuracy"], label="train")
    b.plot(epoch, h["val_accuracy"], label="val")
    b.set(title="Accuracy (binary, mean over 6 labels)", xlabel="Epoch", ylabel="Accuracy")
    for ax in (a, b):
        ax.legend()
    fig.tight_layout()
    fig.savefig(out_png, dpi=90)
    plt.close(fig)
