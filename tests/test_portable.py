"""The phantom's own sin, cos, exp and arctan2 against numpy's (the independent reference)."""

from __future__ import annotations

import numpy as np
import pytest

from ich.synthetic import portable


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_sin_cos_match_numpy(name):
    x = np.random.default_rng(0).uniform(-400, 400, 200_000)
    x[:4] = [0.0, np.pi / 2, -np.pi, 3 * np.pi / 4]
    assert np.abs(getattr(portable, name)(x) - getattr(np, name)(x)).max() < 1e-12


def test_exp_matches_numpy_relatively():
    x = np.random.default_rng(1).uniform(-300, 5, 200_000)
    assert (np.abs(portable.exp(x) - np.exp(x)) / np.exp(x)).max() < 1e-14
    assert portable.exp(-1e9) < 1e-300 and portable.exp(0.0) == 1.0


def test_arctan2_matches_numpy_in_every_quadrant():
    rng = np.random.default_rng(2)
    y = rng.normal(size=200_000) * rng.choice([1e-4, 1.0, 1e4], 200_000)
    x = rng.normal(size=200_000)
    assert np.abs(portable.arctan2(y, x) - np.arctan2(y, x)).max() < 1e-14
    axes = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, -1.0], [-1.0, 0.0], [-1.0, -1.0]])
    assert np.allclose(portable.arctan2(axes[:, 0], axes[:, 1]), np.arctan2(axes[:, 0], axes[:, 1]))


def test_types_follow_numpy():
    f32 = np.linspace(-3, 3, 7, dtype=np.float32)
    assert portable.sin(f32).dtype == np.float32 and portable.exp(f32).dtype == np.float32
    assert portable.arctan2(f32, f32).dtype == np.float32
    assert portable.cos(f32.astype(np.float64)).dtype == np.float64
    assert np.ndim(portable.cos(0.5)) == 0
