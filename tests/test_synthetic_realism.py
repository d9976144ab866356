"""Synthetic anatomy: tissue HU within DOMAIN.md's ranges; windowed histogram close to real."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ich.dicom.read import read_slice
from ich.synthetic.cohort import draw_head
from ich.synthetic.phantom import Frame, Grid, anatomy, render, ventricles

W1_BOUND = 0.08  # Wasserstein-1 in window widths (0.08 x 80 HU = 6.4 HU); measured ~0.05


def windowed_head(hu: np.ndarray, center: float = 40, width: float = 80) -> np.ndarray:
    """Brain-window (40/80) intensities in [0, 1] of the head region (HU > -200)."""
    return np.clip((hu[hu > -200] - (center - width / 2)) / width, 0, 1)


def w1(a: np.ndarray, b: np.ndarray) -> float:
    q = np.linspace(0, 1, 1001)
    return float(np.mean(np.abs(np.quantile(a, q) - np.quantile(b, q))))


@pytest.mark.parametrize("seed", range(4))
def test_tissue_hu_within_domain_ranges(seed):
    rng = np.random.default_rng(seed)
    head = draw_head(rng, hard_negatives=0.0)
    frame = Frame(head, Grid(512, 512, 0.488))
    clean, regions = anatomy(frame, head, 10.0)
    image, _ = render(frame, head, [], 10.0)
    noisy = image + rng.normal(0, 5, image.shape)
    brain = regions["brain"]
    white = brain & (clean == head.white)
    grey = brain & (clean == head.grey)
    csf = brain & ventricles(frame, head, 10.0)
    skin = (noisy > -500) & ~brain
    assert 20 <= np.median(noisy[white]) <= 30
    assert 37 <= np.median(noisy[grey]) <= 45
    assert 0 <= np.median(noisy[csf]) <= 15
    assert 700 <= np.percentile(noisy[skin], 95) <= 2000  # cortical bone
    assert np.median(noisy[~regions["inside"]]) == pytest.approx(-1000, abs=5)
    assert (clean == -80).any(), "a scalp fat layer"


def test_windowed_histogram_close_to_fixture(the_fixture_series, tiny_dataset):
    real = sorted((read_slice(f) for f in the_fixture_series), key=lambda s: s.z)
    mid = real[len(real) // 4 : 3 * len(real) // 4]
    real_values = np.concatenate([windowed_head(s.hu) for s in mid])
    out, _ = tiny_dataset
    truth = pd.read_csv(out / "truth.csv")
    pick = truth[(truth["split"] == "train") & truth["z_mm"].between(-10, 40)]
    pick = pick[pick["ID"] != "ID_6431af929"]
    synth = [read_slice(out / "stage_2_train" / f"{i}.dcm").hu for i in pick["ID"]]
    synth_values = np.concatenate([windowed_head(h) for h in synth])
    distance = w1(real_values, synth_values)
    assert distance < W1_BOUND
    # The bound is tight enough to notice a 20 HU shift of the synthetic grey levels.
    shifted = np.concatenate([windowed_head(h + 20) for h in synth])
    assert w1(real_values, shifted) > W1_BOUND
