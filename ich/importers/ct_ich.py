"""CT-ICH (Hssayeni et al., PhysioNet 2019, CC BY 4.0) -> the RSNA layout every stage reads.

Two editions are read:
- JPG: `Patients_CT/<NNN>/{brain,bone}/<slice>.jpg` (650 px, 8 bit, no HU stored) and
  `hemorrhage_diagnosis.csv`. HU are approximated by inverting the two windows (`hu_from_windows`).
- NIfTI: `ct_scans/<NNN>.nii` (true HU, slices on the third axis) and
  `hemorrhage_diagnosis_raw_ct.csv`.

The conventions are fixed so that any reader of the edition gives the same images: HU resampled
to 512 x 512, int16 with intercept -1024, PixelSpacing 0.488281 mm (the JPG edition carries no
spacing: a 250 mm field of view is assumed), slice k at z = 5 (k - 1) mm with slice 1 at the
skull base, and IDs derived from (patient, slice) alone, so a rerun writes the same bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ich.errors import InputError
from ich.rsna import LABELS, SUBTYPES

SIZE = 512
SPACING_MM = "0.488281"  # 250 mm / 512: the JPG edition stores none
SLICE_GAP_MM = 5.0
INTERCEPT = -1024
BRAIN = (40.0, 120.0)  # (level, width) of the edition's brain window ...
BONE = (700.0, 3200.0)  # ... and of its bone window
AIR_HU = -1000.0
# the edition's columns -> RSNA's labels
COLUMNS = {
    "Epidural": "epidural",
    "Intraparenchymal": "intraparenchymal",
    "Intraventricular": "intraventricular",
    "Subarachnoid": "subarachnoid",
    "Subdural": "subdural",
}
JPG_LABELS = "hemorrhage_diagnosis.csv"
NIFTI_LABELS = "hemorrhage_diagnosis_raw_ct.csv"


class CtIchError(InputError):
    """A source folder or label file that cannot be imported as it is."""


def window_inverse(grey: np.ndarray, level: float, width: float) -> np.ndarray:
    """HU of 8-bit grey levels under a linear window (0 -> level - width/2, 255 -> + width/2)."""
    return (level - width / 2) + grey.astype(np.float64) * (width / 255.0)


def hu_from_windows(brain: np.ndarray, bone: np.ndarray) -> np.ndarray:
    """HU from the two 8-bit windows of one slice: the brain window where its grey level is
    strictly inside (0, 255), the bone window elsewhere, air where both are black."""
    inside = (brain > 0) & (brain < 255)
    hu = np.where(inside, window_inverse(brain, *BRAIN), window_inverse(bone, *BONE))
    hu[(brain == 0) & (bone == 0)] = AIR_HU
    return hu


def _linear_weights(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices and weights of linear interpolation, pixel centres aligned."""
    x = (np.arange(n_out, dtype=np.float64) + 0.5) * (n_in / n_out) - 0.5
    x = np.clip(x, 0, n_in - 1)
    lo = np.floor(x).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, x - lo


def resample(image: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Bilinear resampling to size x size (pixel centres aligned). Gathers and elementwise
    float64 arithmetic only, no matrix product, so the result does not depend on a BLAS kernel."""
    image = np.asarray(image, np.float64)
    if image.shape == (size, size):
        return image
    lo, hi, w = _linear_weights(image.shape[0], size)
    rows = image[lo] * (1 - w)[:, None] + image[hi] * w[:, None]
    lo, hi, w = _linear_weights(image.shape[1], size)
    return rows[:, lo] * (1 - w) + rows[:, hi] * w


def stable_id(kind: str, *parts: object, digits: int = 9) -> str:
    """`ID_<hex>` derived from the parts alone (the same on every rerun and machine)."""
    key = "/".join(["ct-ich", kind, *map(str, parts)])
    return "ID_" + hashlib.sha256(key.encode()).hexdigest()[:digits]


@dataclass(frozen=True)
class Slice:
    """One slice to import: where its pixels are and who it belongs to."""

    patient: int
    number: int  # 1 = the lowest slice (skull base)
    paths: tuple[Path, ...]  # (brain.jpg, bone.jpg) or (volume.nii,)

    @property
    def sop_uid(self) -> str:
        return stable_id("slice", self.patient, self.number)


def _first(mask: pd.Series) -> int:
    """The CSV line number (header = line 1) of the first True row."""
    return int(np.flatnonzero(mask.to_numpy())[0]) + 2


def read_labels(path: Path) -> pd.DataFrame:
    """The edition's per-slice label CSV -> patient, slice and the six RSNA labels. `any` is
    the OR of the five subtypes; a row whose No_Hemorrhage contradicts them is an error."""
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise CtIchError(f"{path}: cannot read as CSV ({e})") from e
    needed = ["PatientNumber", "SliceNumber", *COLUMNS, "No_Hemorrhage"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise CtIchError(f"{path}: missing columns {', '.join(missing)} (CT-ICH layout)")
    numbers = frame[needed[:2]].apply(pd.to_numeric, errors="coerce")
    bad = numbers.isna().any(axis=1) | (numbers < 1).any(axis=1)
    if bad.any():
        raise CtIchError(f"{path}: line {_first(bad)}: patient and slice must be numbers >= 1")
    flags = frame[needed[2:]]
    bad = ~flags.isin([0, 1]).all(axis=1)
    if bad.any():
        raise CtIchError(f"{path}: line {_first(bad)}: labels must be 0 or 1")
    out = numbers.astype(int).set_axis(["patient", "slice"], axis=1)
    for column, label in COLUMNS.items():
        out[label] = flags[column].astype(int)
    out["any"] = out[list(SUBTYPES)].max(axis=1)
    clash = out["any"] == flags["No_Hemorrhage"].astype(int)
    if clash.any():
        raise CtIchError(
            f"{path}: line {_first(clash)}: No_Hemorrhage contradicts the subtype columns"
        )
    twice = out.duplicated(["patient", "slice"])
    if twice.any():
        raise CtIchError(f"{path}: line {_first(twice)}: this patient and slice are listed twice")
    return out[["patient", "slice", *LABELS]]


def _number(path: Path, what: str) -> int:
    try:
        return int(path.name.split(".")[0])
    except ValueError:
        raise CtIchError(f"{path}: expected a {what} number as its name") from None


def jpg_slices(src: Path) -> list[Slice]:
    """Every slice of the JPG edition, each with its brain and bone image."""
    found = []
    for folder in sorted(p for p in (src / "Patients_CT").iterdir() if p.is_dir()):
        patient = _number(folder, "patient")
        for brain in sorted((folder / "brain").glob("*.jpg")):
            bone = folder / "bone" / brain.name
            if not bone.is_file():
                raise CtIchError(f"{brain}: no bone-window image beside it ({bone} missing)")
            found.append(Slice(patient, _number(brain, "slice"), (brain, bone)))
        for bone in sorted((folder / "bone").glob("*.jpg")):
            if not (folder / "brain" / bone.name).is_file():
                raise CtIchError(f"{bone}: no brain-window image beside it")
    return found


def nifti_slices(src: Path) -> list[Slice]:
    """Every slice of the NIfTI edition (slices on the volume's third axis, 1 = index 0)."""
    import nibabel

    found = []
    volumes = sorted([*(src / "ct_scans").glob("*.nii"), *(src / "ct_scans").glob("*.nii.gz")])
    for volume in volumes:
        patient = _number(volume, "patient")
        try:
            shape = nibabel.load(volume).shape
        except Exception as e:  # nibabel raises several kinds for a broken header
            raise CtIchError(f"{volume}: cannot read as NIfTI ({e})") from e
        if len(shape) != 3:
            raise CtIchError(f"{volume}: expected a 3-D volume, found shape {shape}")
        found += [Slice(patient, k + 1, (volume,)) for k in range(shape[2])]
    return found


def edition(src: Path) -> str:
    """'jpg' or 'nifti', from the folder's layout; any other layout is refused."""
    if (src / "Patients_CT").is_dir():
        return "jpg"
    if (src / "ct_scans").is_dir():
        return "nifti"
    raise CtIchError(
        f"{src}: not a CT-ICH folder: expected Patients_CT/<NNN>/{{brain,bone}}/<slice>.jpg "
        "(JPG edition) or ct_scans/<NNN>.nii (NIfTI edition)"
    )


def read_hu(item: Slice) -> np.ndarray:
    """The slice's HU at the edition's own size, rows = y and columns = x."""
    if len(item.paths) == 2:
        from PIL import Image

        brain, bone = (np.asarray(Image.open(p).convert("L")) for p in item.paths)
        if brain.shape != bone.shape:
            raise CtIchError(f"{item.paths[0]}: its two windows differ in size")
        return hu_from_windows(brain, bone)
    import nibabel

    volume = nibabel.load(item.paths[0])
    # the voxel axes as stored (i = columns, j = rows); no reorientation from the affine
    return np.asarray(volume.dataobj[:, :, item.number - 1], np.float64).T
