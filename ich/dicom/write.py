"""Writing CT slices exactly as the RSNA 2019 download stores them (22 elements, dcm4che meta).

The vendor encodings, including the wrapped 12-bit quirk, are described in docs/data.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom import config
from pydicom.dataset import Dataset, FileMetaDataset

# RSNA's UIDs are not numeric ('ID_...'): expected, so pydicom's UI warnings are noise here.
config.settings.writing_validation_mode = config.IGNORE
config.settings.reading_validation_mode = config.IGNORE

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"

# name -> (BitsStored, PixelRepresentation, RescaleIntercept choices)
ENCODINGS: dict[str, tuple[int, int]] = {
    "uint12": (12, 0),  # (a) uint16 container, intercept -1024, two-valued windows
    "int16": (16, 1),  # (b) signed 16 bit, single-valued windows
    "int16_1000": (16, 1),  # (b) with intercept -1000 (~1% of images)
    "wrapped": (12, 0),  # quirk: signed values written as unsigned 12 bit, intercept 0 or 1
}


@dataclass(frozen=True)
class SliceHeader:
    """The identifying and geometric values of one slice (everything but the pixels)."""

    sop_uid: str
    patient_id: str
    study_uid: str
    series_uid: str
    media_uid: str
    position: tuple[str, str, str]
    orientation: tuple[str, ...]
    spacing: str
    encoding: str
    intercept: int
    window_center: str  # backslash-separated, formatted as the vendor writes them
    window_width: str


def fmt_ds(x: float) -> str:
    """A decimal string within DICOM's 16 characters, without trailing zeros."""
    s = f"{x:.9g}"
    return s if len(s) <= 16 else f"{x:.6g}"


def encode(hu: np.ndarray, encoding: str, intercept: int) -> np.ndarray:
    """Stored pixel values for an HU image under one vendor encoding."""
    hu = np.rint(hu).astype(np.int32)
    if encoding == "uint12":
        return np.clip(hu - intercept, 0, 4095).astype(np.uint16)
    if encoding in ("int16", "int16_1000"):
        return np.clip(hu - intercept, -32768, 32767).astype(np.int16)
    if encoding == "wrapped":
        # Signed values written as unsigned 12 bit: air (-1000) wraps to ~3096.
        return ((np.clip(hu, -1000, 3000) - intercept) % 4096).astype(np.uint16)
    raise ValueError(f"unknown encoding {encoding!r}")


def dataset(header: SliceHeader, pixels: np.ndarray) -> Dataset:
    """The 22-element dataset plus file meta, in the form dcm4che wrote for the challenge."""
    bits, signed = ENCODINGS[header.encoding]
    meta = FileMetaDataset()
    meta.FileMetaInformationGroupLength = 0  # fixed below, once the UIDs are set
    meta.FileMetaInformationVersion = b"\x00\x01"
    meta.MediaStorageSOPClassUID = CT_IMAGE_STORAGE
    meta.MediaStorageSOPInstanceUID = header.media_uid
    meta.TransferSyntaxUID = EXPLICIT_VR_LITTLE_ENDIAN
    meta.ImplementationClassUID = "1.2.40.0.13.1.1.1"
    meta.ImplementationVersionName = "dcm4che-1.4.38"
    meta.FileMetaInformationGroupLength = _group_length(meta)
    ds = Dataset()
    ds.preamble = bytes(128)
    ds.file_meta = meta
    ds.SOPInstanceUID = header.sop_uid
    ds.Modality = "CT"
    ds.PatientID = header.patient_id
    ds.StudyInstanceUID = header.study_uid
    ds.SeriesInstanceUID = header.series_uid
    ds.StudyID = ""
    ds.ImagePositionPatient = list(header.position)
    ds.ImageOrientationPatient = list(header.orientation)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = (int(n) for n in pixels.shape)
    ds.PixelSpacing = [header.spacing, header.spacing]
    ds.BitsAllocated = 16
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = signed
    ds.WindowCenter = header.window_center.split("\\")
    ds.WindowWidth = header.window_width.split("\\")
    ds.RescaleIntercept = str(header.intercept)
    ds.RescaleSlope = "1"
    ds.PixelData = np.ascontiguousarray(pixels).astype(pixels.dtype.newbyteorder("<")).tobytes()
    ds["PixelData"].VR = "OW"
    return ds


def _group_length(meta: FileMetaDataset) -> int:
    """Byte length of the file meta elements after the group length element itself."""
    total = 0
    for el in meta:
        if el.tag == 0x00020000:
            continue
        value = el.value if isinstance(el.value, bytes) else str(el.value).encode()
        n = len(value) + len(value) % 2
        total += n + (12 if el.VR in ("OB", "OW", "UN", "SQ", "UT") else 8)
    return total


def write(path: Path, header: SliceHeader, pixels: np.ndarray) -> None:
    pydicom.dcmwrite(path, dataset(header, pixels), enforce_file_format=False)


def truncate(path: Path, keep_bytes: int) -> None:
    """Cut a file short, as `ID_6431af929` is in the real download."""
    with open(path, "r+b") as f:
        f.truncate(keep_bytes)
