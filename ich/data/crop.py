"""The head crop (`extract.crop: head`): each slice cut to a square around the head before it is
resized, so the brain fills the image whatever the field of view and the table around it.

The head is found by its skull, in integers on the base grid's sums: bone is any block averaging
above BONE_HU, and the box holds every row and column with at least MIN_BONE of it, so a stray
bright speck does not widen it. Soft tissue would not do: head holders and blankets are tissue,
and where HU are rebuilt from 8-bit windows (CT-ICH's JPG edition) JPEG noise turns the air
around the head into -20 HU. The box is grown by a margin, squared about its centre, never below
MIN_SIDE of the grid (the small caps near the vertex are not blown up to fill the image) and
padded with air where it leaves the grid. A slice without bone keeps its whole grid.

The brain crop (`extract.crop: brain`) strips the skull first: every pixel outside the brain that
the HU features find (`ich.data.hu_features`: the largest soft-tissue region inside the skull,
which holds extra-axial blood against the inner table) becomes air, and the square is drawn
around the brain instead of the bone. The network then sees only the tissue where blood lies.
"""

from __future__ import annotations

import numpy as np

from ich.data.hu_features import brain_mask
from ich.dicom.hu import AIR_HU

BONE_HU = 300  # above blood, brain and plastic head holders; skull is 700 and more
MIN_BONE = 1 / 128  # bone pixels a row or column needs to count, as a share of the grid (2 at 256)
MARGIN = 1 / 32  # added on each side of the box, as a share of the grid (8 px at 256)
MIN_SIDE = 1 / 2  # the crop's smallest side, as a share of the grid


def head_box(sums: np.ndarray, area: int) -> tuple[int, int, int]:
    """(top row, left column, side) of the square head crop on the (n, n) grid of `sums`
    (each the sum of `area` HU codes); (0, 0, n) when there is no bone."""
    n = sums.shape[0]
    bone = sums > (BONE_HU - AIR_HU) * area
    return square_box(bone, max(1, round(n * MIN_BONE)))


def square_box(mask: np.ndarray, need: int) -> tuple[int, int, int]:
    """(top, left, side) of the square around every row and column with `need` pixels of
    `mask`, grown by MARGIN and at least MIN_SIDE; (0, 0, n) when no row has them."""
    n = mask.shape[0]
    rows = np.flatnonzero(np.count_nonzero(mask, axis=1) >= need)
    cols = np.flatnonzero(np.count_nonzero(mask, axis=0) >= need)
    if len(rows) == 0 or len(cols) == 0:
        return 0, 0, n
    grow = round(n * MARGIN)
    top, bottom = int(rows[0]) - grow, int(rows[-1]) + 1 + grow  # bottom, right: exclusive
    left, right = int(cols[0]) - grow, int(cols[-1]) + 1 + grow
    side = max(bottom - top, right - left, round(n * MIN_SIDE))
    return (top + bottom - side) // 2, (left + right - side) // 2, side


def crop_sums(sums: np.ndarray, area: int, crop: str = "head") -> np.ndarray:
    """The square `crop` ("head" or "brain") of the base grid's sums (air where it leaves the
    grid; with "brain", air everywhere outside the brain)."""
    n = sums.shape[0]
    if crop == "brain":
        brain = brain_mask(sums, area)
        sums = np.where(brain, sums, 0).astype(sums.dtype)  # sum 0: `area` codes of air
        top, left, side = square_box(brain, 1)
    else:
        top, left, side = head_box(sums, area)
    if (top, left, side) == (0, 0, n):
        return sums
    out = np.zeros((side, side), sums.dtype)  # sum 0: `area` codes of air
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + side, n), min(left + side, n)
    out[r0 - top : r1 - top, c0 - left : c1 - left] = sums[r0:r1, c0:c1]
    return out
