"""Resuming a killed training run from its last completed epoch.

After every epoch, `Resume` writes the whole training state to a backup folder beside the
stage's output (`paths.SLICE_BACKUP`, models/slice.partial): every model variable (weights,
batch-norm statistics and the random-number states of augmentation and dropout), the
optimizer's variables (its step, so the learning-rate schedule continues too) and early
stopping's bookkeeping. A rerun with the same key (params, inputs, code) restores it and
continues at the next epoch; any other key discards it. DVC does not know the folder, so it
neither deletes it before the rerun nor caches it; `train` removes it once its outputs are
written.

Keras's `BackupAndRestore` does the first half of this, but writes the weights and the epoch
number as two files (a kill between them pairs one epoch's weights with another's number)
and knows nothing of early stopping's best weights. Here one `state.npz` holds it all and is
renamed into place: a backup is either a whole epoch or absent.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import keras
import numpy as np

from ich.data.shards import code_version, keyed_folder, run_key

STATE = "state.npz"


def backup_folder(work: Path, key: str) -> Path:
    """The backup folder `work`, kept from an earlier run only if that run had the same key."""
    keyed_folder(work, key).write_text(key)
    return work


def run_identity(settings: dict, inputs: list[Path]) -> str:
    """The key of a training run: its settings, its inputs (path, size, modification time),
    the project's code and Keras's version and backend."""
    stamps = [f"{p}:{st.st_size}:{st.st_mtime_ns}" for p in inputs for st in [p.stat()]]
    code = code_version(tuple(sorted(m for m in sys.modules if m.split(".")[0] == "ich")))
    environment = [keras.__version__, keras.backend.backend(), code]
    return run_key([settings, environment], stamps)


def completed_epochs(folder: Path) -> tuple[int, bool]:
    """Epochs the backup in `folder` holds (0: none, start afresh), and whether training had
    finished with them (early stopping ended it: a resumed run trains no further)."""
    path = folder / STATE
    if not path.exists():
        return 0, False
    with np.load(path) as state:
        return int(state["epochs"]), bool(state["finished"])


def trim_history(history_csv: Path, epochs: int) -> None:
    """Keep the first `epochs` rows of a CSVLogger file (a kill may leave one row more)."""
    if epochs == 0 or not history_csv.exists():
        history_csv.unlink(missing_ok=True)
        return
    lines = history_csv.read_text().splitlines(keepends=True)
    history_csv.write_text("".join(lines[: epochs + 1]))


def _variables(model: keras.Model) -> list:
    return [*model.variables, *model.optimizer.variables]


class Resume(keras.callbacks.Callback):
    """Backs the training state up after every epoch; restores it when training begins.

    Goes after EarlyStopping in the callback list: it restores that callback's state after
    the callback has reset itself, and backs it up after it has seen the epoch.
    """

    def __init__(self, folder: Path, early_stopping: keras.callbacks.EarlyStopping | None):
        super().__init__()
        self.folder, self.early_stopping = folder, early_stopping

    def on_train_begin(self, logs=None) -> None:
        path = self.folder / STATE
        if not path.exists():
            return
        self.model.optimizer.build(self.model.trainable_variables)
        with np.load(path) as state:
            variables = _variables(self.model)
            if int(state["count"]) != len(variables):
                raise RuntimeError(f"{path}: holds another model's state; delete the folder")
            for k, variable in enumerate(variables):
                variable.assign(state[f"v{k}"])
            if self.early_stopping is not None:
                self._restore_early_stopping(state)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        variables = _variables(self.model)
        state = {f"v{k}": keras.ops.convert_to_numpy(v) for k, v in enumerate(variables)}
        # early stopping (before this callback) has had its say on this epoch
        state.update(count=len(state), epochs=epoch + 1, finished=bool(self.model.stop_training))
        stopping = self.early_stopping
        if stopping is not None:
            state["stopping"] = json.dumps(
                {"wait": stopping.wait, "best": stopping.best, "best_epoch": stopping.best_epoch}
            )
            if stopping.best_weights is not None:
                state.update({f"b{k}": w for k, w in enumerate(stopping.best_weights)})
        partial = self.folder / f"{STATE}.tmp.npz"
        np.savez(partial, **state)
        os.replace(partial, self.folder / STATE)  # a whole epoch or the previous one

    def _restore_early_stopping(self, state) -> None:
        stopping = self.early_stopping
        saved = json.loads(str(state["stopping"]))
        stopping.wait, stopping.best_epoch = saved["wait"], saved["best_epoch"]
        stopping.best = None if saved["best"] is None else float(saved["best"])
        weights = sorted((k for k in state.files if k.startswith("b")), key=lambda k: int(k[1:]))
        stopping.best_weights = [state[k] for k in weights] or None
