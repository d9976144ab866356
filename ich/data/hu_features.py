"""What a radiologist reads off a head-CT slice, as numbers: the brain's extent without the
skull, how much of it lies in blood densities near the inner table of the skull and deep in it,
the largest blood blob, a few HU percentiles of the brain, the same counts on the slices above
and below, and the slice's place in its series.

Computed from the decoded codes on the base grid (`ich.data.codes`), never from a DICOM. The
steps, on one slice's HU:

- **bone**: HU >= BONE_HU; **soft tissue**: SOFT_HU[0] <= HU < SOFT_HU[1].
- **brain**: the largest connected soft-tissue region after an erosion of ERODE pixels (which
  cuts the scalp, separated from the brain by the skull, and thin bridges through the skull
  base), grown back into the soft tissue it came from.
- **near / deep**: brain pixels within NEAR_MM of bone (where epidural and subdural blood lies)
  or further in (intraparenchymal, intraventricular).
- **bands**: share of the brain's pixels in each HU band, near and deep, counted on a 3 x 3
  median of the HU (noise of a few HU, and JPEG noise in rebuilt HU, does not make a pixel
  blood). The bands are absolute (acute blood is 50-90 HU on a calibrated scanner) and, in a
  second set, relative to the slice's own brain median, which carries over to scans whose HU
  are offset (`docs/hu-features.md`).
- **blob**: the largest connected region of blood density (BLOOD_HU) in the brain, in mm^2.
- **asymmetry**: left against right of the brain's median column (the midline of a head scanned
  straight): blood near and deep, the brain ASYM_REL_HU above its median, the halves' mean HU.

Areas are in mm^2 of a 1 mm grid (a 256 px base of a 250 mm field of view is 0.98 mm a pixel;
other bases are scaled to it). Rows the decode rejected get NaN.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage

from ich.data.neighbours import neighbour_rows
from ich.dicom.hu import AIR_HU
from ich.files import write_json, write_npy
from ich.jobs import pool_map, progress

VERSION = "hu-features-2"  # bump when any number below changes what a feature means

BONE_HU = 300  # skull (700+), not blood or calcified-free brain; calcifications also pass
SOFT_HU = (-15, 100)  # CSF, brain, blood
HEAD_HU = -300  # anything denser than fat-and-air mixes
BLOOD_HU = (50, 90)  # acute clotted blood
ERODE = 2  # pixels: breaks the scalp and skull-base bridges from the brain
NEAR_MM = 6.0  # brain within this distance of bone: the extra-axial spaces and cortex
GRID_MM = 250 / 256  # the base grid's pixel at 256 px over the usual 250 mm field of view
ABSOLUTE_BANDS = ((40, 50), (50, 60), (60, 75), (75, 90), (90, 130))
RELATIVE_BANDS = ((10, 20), (20, 30), (30, 45), (45, 65))  # HU above the slice's brain median
PERCENTILES = (10, 50, 90, 99)
CHUNK = 128  # slices a worker takes at once
ASYM_REL_HU = 20  # "bright" for the asymmetry: this far above the slice's brain median
MIN_BRAIN_MM2 = 500  # below this the slice holds no brain to speak of (vertex, skull base)


def _band_names() -> list[str]:
    names = []
    for region in ("near", "deep"):
        names += [f"{region}_{lo}_{hi}" for lo, hi in ABSOLUTE_BANDS]
        names += [f"{region}_rel{lo}_{hi}" for lo, hi in RELATIVE_BANDS]
    return names


SLICE_FEATURES = [
    "head_mm2",
    "bone_mm2",
    "brain_mm2",
    "brain_share",  # brain / head
    *[f"brain_p{q}" for q in PERCENTILES],
    *_band_names(),
    "blood_blob_mm2",
    "blood_blobs",  # connected blood regions of at least 10 mm^2
    "blood_near_mm2",
    "blood_deep_mm2",
    # left against right: bleeds are mostly one-sided, a normal brain is nearly symmetric
    "blood_near_asym_mm2",  # |left - right| of blood_near_mm2
    "blood_near_asym_share",  # the same over their sum
    "blood_deep_asym_mm2",
    "blood_deep_asym_share",
    "rel20_asym_mm2",  # |left - right| of the brain 20 HU or more above its median
    "hemisphere_hu_diff",  # |mean HU of the left brain - of the right|
]
NEIGHBOUR_FEATURES = ["blood_near_mm2", "blood_deep_mm2", "blood_blob_mm2", "brain_p99"]
FEATURES = [
    *SLICE_FEATURES,
    *[f"{f}_{side}" for f in NEIGHBOUR_FEATURES for side in ("nb_max", "nb_min")],
    "position",
    "position_mid",  # distance from the middle of the series: the skull base and vertex
]


def info(base: int) -> dict:
    """features.json: what a model must be fed, and the grid (decode.resolution) they were
    computed on, which `predict` decodes new scans onto."""
    return {"version": VERSION, "features": FEATURES, "base": base}


def slice_features(sums: np.ndarray, area: int) -> np.ndarray:
    """One slice's SLICE_FEATURES from its (n, n) stored sums of `area` codes each."""
    mm = pixel_mm(sums)
    px_mm2 = mm * mm
    hu = _hu(sums, area)
    out = np.zeros(len(SLICE_FEATURES), np.float64)
    head = hu >= HEAD_HU
    bone = hu >= BONE_HU
    brain = _brain_of(hu)
    brain_px = int(brain.sum())
    values = [head.sum() * px_mm2, bone.sum() * px_mm2, brain_px * px_mm2]
    values.append(brain_px / max(1, int(head.sum())))
    if brain_px * px_mm2 < MIN_BRAIN_MM2:
        out[: len(values)] = values
        return out
    raw = hu[brain]
    values += list(np.percentile(raw, PERCENTILES))
    median = float(np.median(raw))
    smooth = _median3(sums, area, brain)
    near = brain & _near_bone(bone, mm)
    deep = brain & ~near
    for region in (near, deep):
        h = smooth[region]
        values += [np.count_nonzero((h >= lo) & (h < hi)) / brain_px for lo, hi in ABSOLUTE_BANDS]
        values += [
            np.count_nonzero((h >= median + lo) & (h < median + hi)) / brain_px
            for lo, hi in RELATIVE_BANDS
        ]
    blood = brain & (smooth >= BLOOD_HU[0]) & (smooth < BLOOD_HU[1])
    labels, count = ndimage.label(blood)
    sizes = np.bincount(labels.ravel())[1:] * px_mm2 if count else np.zeros(1)
    values += [float(sizes.max()), int((sizes >= 10).sum())]
    values += [np.count_nonzero(blood & near) * px_mm2, np.count_nonzero(blood & deep) * px_mm2]
    # the midline of a head scanned straight: the brain's median column
    left = np.arange(hu.shape[1])[None, :] < int(np.median(np.nonzero(brain)[1]))
    for mask in (blood & near, blood & deep):
        a, b = np.count_nonzero(mask & left), np.count_nonzero(mask & ~left)
        values += [abs(a - b) * px_mm2, abs(a - b) / max(1, a + b)]
    bright = brain & (smooth >= median + ASYM_REL_HU)
    values.append(abs(np.count_nonzero(bright & left) - np.count_nonzero(bright & ~left)) * px_mm2)
    halves = [hu[brain & side] for side in (left, ~left)]
    values.append(abs(halves[0].mean() - halves[1].mean()) if all(h.size for h in halves) else 0.0)
    out[:] = values
    return out


def _median3(sums: np.ndarray, area: int, brain: np.ndarray) -> np.ndarray:
    """The 3 x 3 median of the slice's HU, right on the brain (0 where not needed): taken on
    the stored sums (a median picks one of its nine values, so it commutes with the HU's
    monotonic scaling) and only over the brain's box and a pixel around it: the same numbers
    there as over the whole grid, in a third of the time."""
    rows, cols = np.nonzero(brain)
    r0, r1 = max(int(rows.min()) - 1, 0), int(rows.max()) + 2
    c0, c1 = max(int(cols.min()) - 1, 0), int(cols.max()) + 2
    out = np.zeros(sums.shape, np.float32)
    box = ndimage.median_filter(sums[r0:r1, c0:c1], size=3)
    out[r0:r1, c0:c1] = _hu(box, area)
    return out


def pixel_mm(sums: np.ndarray) -> float:
    """One pixel's side on the base grid of `sums`."""
    return GRID_MM * 256 / sums.shape[0]


def _hu(sums: np.ndarray, area: int) -> np.ndarray:
    return sums.astype(np.float32) / np.float32(area) + np.float32(AIR_HU)


def _near_bone(bone: np.ndarray, mm: float) -> np.ndarray:
    """Pixels within NEAR_MM of bone (none when the slice has no bone)."""
    if not bone.any():
        return np.zeros(bone.shape, bool)
    return ndimage.distance_transform_edt(~bone) * mm <= NEAR_MM


def brain_mask(sums: np.ndarray, area: int) -> np.ndarray:
    """The brain of one slice's (n, n) stored sums of `area` codes each, as slice_features
    finds it (the brain crop's mask)."""
    return _brain_of(_hu(sums, area))


def deep_brain_hu(sums: np.ndarray, area: int) -> np.ndarray:
    """The HU of the brain's pixels further than NEAR_MM from bone, as slice_features finds
    them (empty where the slice holds under MIN_BRAIN_MM2 of brain): the tissue whose
    densities tell one scanner's calibration from another's (`docs/hu-features.md`)."""
    mm, hu = pixel_mm(sums), _hu(sums, area)
    brain = _brain_of(hu)
    if brain.sum() * mm * mm < MIN_BRAIN_MM2:
        return np.zeros(0, np.float32)
    return hu[brain & ~_near_bone(hu >= BONE_HU, mm)]


def _brain_of(hu: np.ndarray) -> np.ndarray:
    return _brain((hu >= SOFT_HU[0]) & (hu < SOFT_HU[1]), ERODE)


def _brain(soft: np.ndarray, erode: int) -> np.ndarray:
    """The largest connected soft-tissue region once eroded, grown back within `soft`."""
    core = ndimage.binary_erosion(soft, iterations=erode) if erode else soft
    labels, count = ndimage.label(core)
    if count == 0:
        return np.zeros_like(soft)
    largest = np.argmax(np.bincount(labels.ravel())[1:]) + 1
    grown = ndimage.binary_dilation(labels == largest, iterations=erode) if erode else core
    return grown & soft


def slice_table(codes: np.ndarray, areas: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """SLICE_FEATURES of the given rows of codes (NaN where the decode rejected the row)."""
    out = np.full((len(rows), len(SLICE_FEATURES)), np.nan)
    for i, r in enumerate(rows):
        if areas[r] > 0:
            out[i] = slice_features(np.asarray(codes[r]), int(areas[r]))
    return out


def with_context(slices: np.ndarray, index: pd.DataFrame) -> np.ndarray:
    """Every row's FEATURES: its slice features, the max and min of NEIGHBOUR_FEATURES over the
    slices above and below it (the one neighbour twice at an end of the series), and its
    relative position. `slices` is by array row; `index` has row, SeriesInstanceUID, position
    and relative_position for the decoded rows."""
    rows = index["row"].to_numpy()
    prev, nxt = (side[rows] for side in neighbour_rows(index))  # an end: itself
    # a slice at an end of its series has one neighbour: it stands for both sides
    prev, nxt = np.where(prev == rows, nxt, prev), np.where(nxt == rows, prev, nxt)
    out = np.full((len(slices), len(FEATURES)), np.nan)
    out[:, : len(SLICE_FEATURES)] = slices
    k = len(SLICE_FEATURES)
    for f in NEIGHBOUR_FEATURES:
        j = SLICE_FEATURES.index(f)
        a, b = slices[prev, j], slices[nxt, j]
        out[rows, k], out[rows, k + 1] = np.fmax(a, b), np.fmin(a, b)
        k += 2
    out[rows, k] = index["relative_position"].to_numpy()
    out[rows, k + 1] = np.abs(out[rows, k] - 0.5)
    return out


def _rows_job(codes_path: str, areas: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return slice_table(np.load(codes_path, mmap_mode="r"), areas, rows)


def compute(codes_path: Path, areas: np.ndarray, index: pd.DataFrame, workers: int) -> np.ndarray:
    """(rows, FEATURES) float32 for every row of codes.npy (NaN where rejected), over
    `workers` processes. Row by row and in float64 until the end, so the bytes do not depend
    on the worker count."""
    rows = np.arange(len(areas))
    chunks = [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]
    job = partial(_rows_job, str(codes_path), areas)
    parts = list(progress(pool_map(job, chunks, workers), total=len(chunks), desc="hu features"))
    slices = np.concatenate(parts) if parts else np.zeros((0, len(SLICE_FEATURES)))
    return with_context(slices, index).astype(np.float32)


def write(
    codes: Path, areas: np.ndarray, index: pd.DataFrame, out: Path, about: Path, workers: int
) -> None:
    """The stage's outputs: `compute` into the .npy `out`, and `info` into the .json `about`."""
    write_npy(out, compute(codes, areas, index, workers))
    write_json(about, info(grid(codes)))


def grid(codes: Path) -> int:
    """The base grid's side of a decoded codes.npy."""
    return int(np.load(codes, mmap_mode="r").shape[1])
