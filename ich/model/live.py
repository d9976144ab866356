"""Training curves DVC can follow while a model trains: each epoch's metrics logged with
DVCLive (`<folder>/plots/metrics/<name>.tsv`, `<folder>/metrics.json`).

DVCLive is told not to write dvc.yaml (its plots are declared there by hand) nor to make an
experiment of its own (`dvc exp run` does that). A plain Keras callback rather than DVCLive's
Keras integration, which imports TensorFlow: this one runs under any Keras backend.
"""

from __future__ import annotations

from pathlib import Path

import keras
import pandas as pd


def live_log(folder: Path):
    """A DVCLive logger writing to `folder` only: no dvc.yaml, no experiment of its own."""
    from dvclive import Live  # imports DVC: only when a stage trains
    from scmrepo.exceptions import SCMError

    class Logger(Live):
        def _init_dvc(self):
            # DVCLive 3.49 asks git for the current commit and fails in a repository with none
            # yet (`git init`, `dvc init`, `dvc repro`, then the first commit): log regardless
            try:
                super()._init_dvc()
            except SCMError:
                self._dvc_repo, self._dvc_file = None, self._init_dvc_file()

    return Logger(str(folder), dvcyaml=None, save_dvc_exp=False, report=None)


class LiveMetrics(keras.callbacks.Callback):
    """Logs every epoch's metrics to DVCLive in `folder`, step = epoch (0-based, as Keras's
    history). A resumed run first replays the epochs already trained from `history_csv`
    (trimmed to them by `fit_callbacks`), so the log equals an uninterrupted run's."""

    def __init__(self, folder: Path, history_csv: Path | None = None):
        super().__init__()
        self.folder, self.history_csv = folder, history_csv
        self.live = None

    def on_train_begin(self, logs=None) -> None:
        self.live = live_log(self.folder)
        if self.history_csv is not None and self.history_csv.exists():
            for row in pd.read_csv(self.history_csv).to_dict("records"):
                self._log(int(row.pop("epoch")), row)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self._log(epoch, logs or {})

    def on_train_end(self, logs=None) -> None:
        self.live.end()

    def _log(self, epoch: int, values: dict) -> None:
        self.live.step = epoch
        for name, value in sorted(values.items()):
            self.live.log_metric(name, round(float(value), 6))
        self.live.next_step()  # the summary, and DVC Studio's live update when it is set up
