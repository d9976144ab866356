"""The head and brain crops (`extract.crop: head|brain`): found by the skull (or the brain), not
by the tissue or noise around a head; squared, padded with air, kept whole without bone; named on
the model's card only when on; `predict` crops new scans as the pipeline does."""

from __future__ import annotations

import numpy as np
import pytest

from ich.data.crop import crop_sums, head_box
from ich.data.extract import Settings
from ich.dicom.hu import AIR_HU

AREA = 4
N = 256


def sums_of(hu: np.ndarray) -> np.ndarray:
    """HU on the base grid -> sums of AREA codes, as the decode stores them."""
    return ((hu - AIR_HU) * AREA).astype(np.uint16)


def head(center=(120, 140), radii=(70, 56), noise_hu=-20.0) -> np.ndarray:
    """An elliptic skull (1,000 HU, 4 px thick) around brain (35 HU), in 'air' that reads as
    `noise_hu` (CT-ICH's JPEG noise), with a 100 HU headrest arc across the bottom of the grid
    and a 40 HU blanket at the left edge."""
    r, c = np.mgrid[:N, :N]
    d = np.hypot((r - center[0]) / radii[0], (c - center[1]) / radii[1])
    hu = np.full((N, N), noise_hu)
    hu[d < 1] = 35.0
    hu[(d >= 1) & (d < 1 + 4 / min(radii))] = 1000.0
    hu[240:243, 10:250] = 100.0  # headrest
    hu[:, :6] = 40.0  # blanket
    return hu


def test_the_box_holds_the_skull_and_leaves_out_what_surrounds_it():
    hu = head()
    top, left, side = head_box(sums_of(hu), AREA)
    bone_r, bone_c = np.nonzero(hu >= 1000)
    assert top <= bone_r.min() and top + side > bone_r.max()
    assert left <= bone_c.min() and left + side > bone_c.max()
    assert side <= (bone_r.max() - bone_r.min() + 1) + 2 * 8 + 1, "the skull's extent + margins"
    assert top + side < 240, "the headrest is left out"
    assert left > 6, "the blanket is left out"
    assert abs((top + side / 2) - 120) <= 1 and abs((left + side / 2) - 140) <= 1, "centred"


def test_a_small_cap_is_not_blown_up_and_a_slice_without_bone_stays_whole():
    _, _, side = head_box(sums_of(head(radii=(20, 16))), AREA)
    assert side == N // 2
    assert head_box(sums_of(np.full((N, N), 35.0)), AREA) == (0, 0, N)
    whole = sums_of(np.full((N, N), -1000.0))
    assert crop_sums(whole, AREA) is whole


def test_a_crop_leaving_the_grid_is_padded_with_air():
    hu = head(center=(60, 60), radii=(70, 70))  # the skull runs off the top-left corner
    sums = sums_of(hu)
    top, left, side = head_box(sums, AREA)
    assert top < 0 and left < 0
    cropped = crop_sums(sums, AREA)
    assert cropped.shape == (side, side)
    assert not cropped[:-top, :-left].any(), "air (code 0) outside the grid"
    assert np.array_equal(cropped[-top:, -left:], sums[: top + side, : left + side])


def test_the_card_names_the_crop_only_when_on():
    off = Settings(64, ((40.0, 80.0),), 128, 256)
    on = Settings(64, ((40.0, 80.0),), 128, 256, crop="head")
    assert "crop" not in off.card(), "uncropped models' cards keep their bytes"
    assert on.card()["crop"] == "head"
    assert Settings.from_card(on.card()) == on and Settings.from_card(off.card()) == off


@pytest.mark.parametrize("crop", [None, "head"])
def test_the_cropped_image_is_the_crop_resized(crop):
    """Cropping changes what the image shows: the head fills more of it."""
    hu = head()
    s = Settings(64, ((600.0, 2800.0),), 128, N, crop=crop)
    image = s.from_base(sums_of(hu), AREA)[..., 0]
    rows = np.flatnonzero((image > 100).any(axis=1))  # skull rows: the head's long axis
    skull = np.flatnonzero((hu >= 1000).any(axis=1))
    side = head_box(sums_of(hu), AREA)[2] if crop else N
    assert rows[-1] - rows[0] + 1 == pytest.approx(64 * (skull[-1] - skull[0] + 1) / side, abs=1)
    if crop:
        assert rows[-1] - rows[0] + 1 > 0.85 * 64, "the skull fills the cropped image"


def test_the_brain_crop_keeps_the_brain_and_makes_skull_scalp_and_headrest_air():
    hu = head()
    hu[110:115, 140:145] = 70.0  # blood inside the skull stays
    r, c = np.mgrid[:N, :N]
    d = np.hypot((r - 120) / 78, (c - 140) / 64)
    hu[(d >= 1.06) & (d < 1.15)] = 30.0  # scalp outside the skull goes
    sums = sums_of(hu)
    out = crop_sums(sums, AREA, "brain")
    side = out.shape[0]
    brain_r, _ = np.nonzero(np.hypot((r - 120) / 70, (c - 140) / 56) < 1)
    assert side <= (brain_r.max() - brain_r.min() + 1) + 2 * 8 + 1, "the brain's extent + margins"
    assert side < head_box(sums, AREA)[2], "tighter than the head crop"
    kept = out[out > 0] / AREA + AIR_HU
    assert kept.max() == pytest.approx(70.0) and kept.min() >= 34.9, "no bone, no scalp"
    assert (out > 0).sum() == pytest.approx(((hu == 35.0) & (d < 1)).sum() + 25, rel=0.02)
