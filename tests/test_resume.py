"""A training run killed after some epochs resumes from its last completed epoch and ends where
an uninterrupted run ends: same weights, same history, same DVCLive log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ich.model.resume import backup_folder, completed_epochs
from ich.rsna import LABELS
from tests.conftest import ROOT, train_spec

EPOCHS, KILLED_AT = 4, 2

# Run in a child process: train, and SIGKILL itself as epoch KILLED_AT begins, or (argv[2]
# "end") once training has ended, before anything is saved.
KILLED_RUN = f"""
import os, signal, sys
import keras
from ich.model import training
from tests.test_resume import fit

class Kill(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == {KILLED_AT} and sys.argv[2] == "epoch":
            os.kill(os.getpid(), signal.SIGKILL)

    def on_train_end(self, logs=None):
        os.kill(os.getpid(), signal.SIGKILL)

plain = training.fit_callbacks
training.fit_callbacks = lambda *args: [*plain(*args), Kill()]
fit(sys.argv[1])
"""


def spec():
    return train_spec(cnn={"filters": [4, 8]}, epochs=EPOCHS, batch_size=16, patience=2)


def data(folder: Path):
    """A small memory-mapped training set: 80 train and 32 val images of 16 px."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (112, 16, 16, 3), dtype=np.uint8)
    images[:, 4:8, 4:8, 0] = np.where(np.arange(112) % 3 == 0, 255, 0)[:, None, None]
    np.save(folder / "images.npy", images)
    split = pd.DataFrame({"row": np.arange(112)})
    for k, label in enumerate(LABELS):
        split[label] = (np.arange(112) % 3 == 0) | (np.arange(112) % (k + 4) == 0)
    return np.load(folder / "images.npy", mmap_mode="r"), split.astype({"row": int})


def fit(folder: str):
    """Train the small model with its backup in `folder`/models/slice.partial."""
    from ich.model.training import train

    folder = Path(folder)
    images, split = data(folder)
    backup = backup_folder(folder / "models" / "slice.partial", "a run")
    history = folder / "history.csv"
    live = folder / "live"
    model, summary = train(spec(), images, split, split[:80], split[80:], history, backup, live)
    return model, summary, backup


def live_log(folder: Path) -> dict[str, list]:
    """DVCLive's per-epoch log of a run: each metric's (step, value) rows."""
    tsvs = sorted((folder / "live" / "plots" / "metrics").glob("*.tsv"))
    tables = {f.stem: pd.read_csv(f, sep="\t") for f in tsvs}
    return {name: t.values.tolist() for name, t in tables.items()}


@pytest.mark.parametrize("killed", ["epoch", "end"])
def test_a_killed_run_resumes_at_its_next_epoch_and_ends_like_an_unbroken_one(
    killed, tmp_path, monkeypatch
):
    import keras

    from ich.data.inputs import SliceBatches

    served = []  # the epochs whose shuffle the training batches served
    start_epoch = SliceBatches.start_epoch

    def spy(self, epoch):
        served.append(epoch) if self.seed is not None else None
        start_epoch(self, epoch)

    monkeypatch.setattr(SliceBatches, "start_epoch", spy)
    unbroken, folder = tmp_path / "unbroken", tmp_path / "killed"
    unbroken.mkdir(), folder.mkdir()
    model, summary, _ = fit(str(unbroken))
    assert summary["resumed_at_epoch"] == 0
    epochs = summary["epochs_run"]
    assert served == [0, *range(epochs)], "built at 0, then each epoch's own shuffle"
    served.clear()

    env = {
        "PYTHONPATH": str(ROOT),
        "PATH": "/usr/bin:/bin",
        "KERAS_BACKEND": keras.backend.backend(),
    }
    done = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(folder), killed],
        cwd=ROOT,
        env=env,
        capture_output=True,
    )
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    backup = folder / "models" / "slice.partial"
    kept = KILLED_AT if killed == "epoch" else epochs
    assert completed_epochs(backup) == (kept, killed == "end" and epochs < EPOCHS)

    resumed, resumed_summary, _ = fit(str(folder))
    assert resumed_summary["resumed_at_epoch"] == kept
    assert served == [0, *range(kept, epochs)], "continues at the next epoch's shuffle"
    history = pd.read_csv(folder / "history.csv")
    expected = pd.read_csv(unbroken / "history.csv")
    assert len(expected) > KILLED_AT, "the unbroken run trains past the kill"
    assert history["epoch"].tolist() == list(range(len(expected))), "one row per epoch"
    # the same epochs, losses and early stop (its patience restored with the rest)
    pd.testing.assert_frame_equal(history, expected)
    for a, b in zip(model.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert resumed_summary["final"] == summary["final"]
    log = live_log(unbroken)
    assert set(log) == {"loss", "val_loss", "accuracy", "val_accuracy"}, log.keys()
    assert [step for step, _ in log["val_loss"]] == list(range(epochs)), "a row per epoch"
    np.testing.assert_allclose([v for _, v in log["val_loss"]], expected["val_loss"], atol=1e-6)
    assert live_log(folder) == log, "the resumed run's log: replayed, then continued"


def test_a_backup_of_another_run_is_discarded(tmp_path):
    folder = backup_folder(tmp_path / "slice.partial", "key one")
    (folder / "state.npz").write_bytes(b"not for this run")
    assert backup_folder(tmp_path / "slice.partial", "key one") == folder
    assert (folder / "state.npz").exists(), "same key: kept"
    backup_folder(tmp_path / "slice.partial", "key two")
    assert not (folder / "state.npz").exists(), "another key: discarded"
    assert completed_epochs(folder) == (0, False)


@pytest.mark.parametrize("change", [{"epochs": 5}, {"loader": {"order": "chunks"}}])
def test_the_key_changes_with_the_settings(change, tmp_path):
    from ich.model.resume import run_identity

    (tmp_path / "images.npy").write_bytes(b"x")
    inputs = [tmp_path / "images.npy"]
    before = run_identity(train_spec().model_dump(), inputs)
    assert before == run_identity(train_spec().model_dump(), inputs)
    assert run_identity(train_spec(**change).model_dump(), inputs) != before
