"""Reading one RSNA CT slice into Hounsfield units, fast, with a reason for every failure.

Files in the RSNA layout are read by the minimal parser in `ich.dicom.fast`, anything else by
pydicom; either way the native PixelData bytes are viewed directly (no pixel handler), which is
bit-exact with `pixel_array` for the uncompressed syntaxes the challenge uses (tests prove it).
Compressed syntaxes are rejected: the RSNA data has none, and decoding them would need optional
plugins that this project does not install.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom import config
from pydicom.errors import InvalidDicomError

from ich.dicom import fast as fast_reader
from ich.dicom.hu import CODE_MAX, HU_RANGE
from ich.scratch import scratch

config.settings.reading_validation_mode = config.IGNORE  # RSNA UIDs are 'ID_...' by design

NATIVE_SYNTAXES = {
    "1.2.840.10008.1.2": "<",  # implicit VR little endian
    "1.2.840.10008.1.2.1": "<",  # explicit VR little endian
    "1.2.840.10008.1.2.2": ">",  # explicit VR big endian (retired)
}

MAX_RESCALE = 1e5  # HU are within a few thousand: a slope or intercept beyond this is corrupt

# Identifiers the pipeline keeps; nothing else from the header (names, dates) leaves this module.
ID_TAGS = ("SOPInstanceUID", "PatientID", "StudyInstanceUID", "SeriesInstanceUID")


class Unusable(Exception):
    """A file that is not a usable CT slice; `reason` is a short machine-friendly code."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class Slice:
    hu: np.ndarray  # float32 HU, (rows, cols), clipped to HU_RANGE
    ids: dict[str, str]
    z: float  # ImagePositionPatient[2]
    window: tuple[float, float]  # the first WindowCenter / WindowWidth value


def _first(value) -> float:
    """The first of a possibly multi-valued DS ('00040\\00040' -> 40.0)."""
    if isinstance(value, pydicom.multival.MultiValue | list | tuple):
        value = value[0]
    return float(value)


def read_dataset(path: Path | str, fast: bool = True):
    """The header and pixel bytes: the fast reader for the RSNA layout, pydicom otherwise."""
    if fast:
        try:
            return fast_reader.read(path)
        except FileNotFoundError as e:
            raise Unusable("missing_file", str(path)) from e
        except (fast_reader.NotSimple, struct.error, UnicodeDecodeError):
            pass  # anything unusual: let pydicom read (or reject) it
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > fast_reader.MAX_FILE_BYTES:
                raise Unusable("too_large", f"{size} bytes")
            # from memory: a corrupt length field then reads to the end of the file, where
            # reading the file itself would first allocate the gigabytes it claims (measured)
            return pydicom.dcmread(io.BytesIO(f.read()))
    except Unusable:
        raise
    except (InvalidDicomError, EOFError) as e:
        raise Unusable("not_dicom", str(e)) from e
    except FileNotFoundError as e:
        raise Unusable("missing_file", str(path)) from e
    except Exception as e:  # pydicom raises assorted errors on truncated elements
        raise Unusable("unreadable", f"{type(e).__name__}: {e}") from e


def stored_pixels(ds) -> np.ndarray:
    """The stored values as (rows, cols) uint16/int16, bits outside BitsStored handled."""
    syntax = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "1.2.840.10008.1.2"))
    if syntax not in NATIVE_SYNTAXES:
        raise Unusable("compressed_syntax", syntax)
    if "PixelData" not in ds:
        raise Unusable("no_pixel_data")
    if str(ds.get("Modality", "CT")) != "CT":
        raise Unusable("not_ct", str(ds.Modality))
    if int(ds.get("NumberOfFrames", 1) or 1) != 1 or int(ds.get("SamplesPerPixel", 1)) != 1:
        raise Unusable("multi_frame")
    rows, cols, bits_alloc = int(ds.Rows), int(ds.Columns), int(ds.BitsAllocated)
    if bits_alloc != 16:
        raise Unusable("unsupported_bits", f"BitsAllocated {bits_alloc}")
    if rows < 1 or cols < 1:
        raise Unusable("bad_size", f"{rows} x {cols}")
    bits = int(ds.BitsStored)
    if not 1 <= bits <= bits_alloc:
        raise Unusable("unsupported_bits", f"BitsStored {bits}")
    raw = ds.PixelData
    if len(raw) < rows * cols * 2:
        raise Unusable("truncated_pixel_data", f"{len(raw)} of {rows * cols * 2} bytes")
    if len(raw) > rows * cols * 2:  # the header and the pixels disagree: neither can be trusted
        raise Unusable("pixel_data_size", f"{len(raw)} bytes for {rows} x {cols}")
    order = NATIVE_SYNTAXES[syntax]
    pixels = np.frombuffer(raw, np.dtype("u2").newbyteorder(order), rows * cols)
    pixels = pixels.reshape(rows, cols).astype(np.uint16, copy=False)  # native: copies if ">"
    if int(ds.PixelRepresentation) == 1:
        if bits < 16:  # sign-extend from BitsStored; the shift drops the unused high bits
            return (pixels << np.uint16(16 - bits)).view(np.int16) >> (16 - bits)
        return pixels.view(np.int16)
    if bits < 16 and pixels.max() >= 1 << bits:  # something in the unused high bits: drop it
        return pixels & np.uint16((1 << bits) - 1)  # (a read-only scan costs half the mask)
    return pixels


def rescale(ds) -> tuple[float, float]:
    """(slope, intercept); Unusable unless both are finite, of a plausible size, slope > 0."""
    slope, intercept = (
        float(ds.get("RescaleSlope", 1) or 1),
        float(ds.get("RescaleIntercept", 0) or 0),
    )
    if not (0 < slope <= MAX_RESCALE and abs(intercept) <= MAX_RESCALE):
        raise Unusable("bad_rescale", f"slope {slope}, intercept {intercept}")
    return slope, intercept


def unwrap(pixels: np.ndarray, ds) -> np.ndarray:
    """Undo the wrapped 12-bit quirk (signed values written as unsigned 12 bit, air -1000 ->
    ~3096): the public fix (x = stored + 1000 mod 4096, intercept -1000) generalised to the
    intercepts 0 and 1 these images carry. Other images pass through."""
    if not is_wrapped(ds):
        return pixels
    shift = round(rescale(ds)[1])
    return (pixels.astype(np.int32) + shift + 1000) % 4096 - 1000 - shift


def within_hu_range(pixels: np.ndarray, ds) -> bool:
    """Whether stored * slope + intercept stays inside HU_RANGE (then no clipping is needed).
    The range BitsStored allows answers without a scan for most files (unsigned 12 bit with
    intercept -1024); otherwise the pixels' min and max do."""
    slope, intercept = rescale(ds)
    lo, hi = _stored_range(pixels, ds)
    if not (lo * slope + intercept >= HU_RANGE[0] and hi * slope + intercept <= HU_RANGE[1]):
        lo, hi = float(pixels.min()), float(pixels.max())
    ends = sorted((lo * slope + intercept, hi * slope + intercept))
    return ends[0] >= HU_RANGE[0] and ends[1] <= HU_RANGE[1]


def to_hu(pixels: np.ndarray, ds) -> np.ndarray:
    """float32 HU from stored values (wide type, no uint16 wrap), the 12-bit quirk undone,
    clipped to HU_RANGE (extreme 16-bit values)."""
    slope, intercept = rescale(ds)
    pixels = unwrap(pixels, ds)
    if slope == 1:  # one pass
        hu = np.add(pixels, np.float32(intercept), dtype=np.float32)
    else:
        hu = np.multiply(pixels, np.float32(slope), dtype=np.float32)
        np.rint(hu, out=hu)
        hu += np.float32(intercept)
    if not within_hu_range(pixels, ds):
        np.clip(hu, *HU_RANGE, out=hu)
    return hu


def hu_codes(pixels: np.ndarray, ds, in_place: bool = False) -> np.ndarray | None:
    """HU + 1024 as uint16 in 0..4095 (HU clipped to HU_RANGE) computed in integers, or None
    when HU is not an integer shift of the stored values (slope != 1, fractional intercept).

    Every RSNA file qualifies, at one pass at most for the usual encodings: 12-bit unsigned
    with intercept -1024 already is the code; int16 needs only the clip (padding of -2000 or
    -3000 HU, extreme values). `to_hu` gives the same HU as floats; tests check it.

    With `in_place` the (writable) pixels are overwritten instead of copied: a second 0.5 MB
    array per slice pushes the window table out of the CPU cache (measured). Otherwise the
    result may view `pixels` or a scratch array: use it before the next call."""
    slope, intercept = rescale(ds)
    if slope != 1 or intercept != round(intercept) or pixels.dtype not in (np.uint16, np.int16):
        return None
    if is_wrapped(ds):  # HU = (stored + intercept + 1000) mod 4096 - 1000, see `unwrap`
        if not 0 <= intercept + 1000 <= 60000:
            return None
        codes = pixels + np.uint16(intercept + 1000)
        codes &= 4095
        codes += np.uint16(-1000 - HU_RANGE[0])  # code = HU + 1024
        np.minimum(codes, CODE_MAX, out=codes)
        return codes
    shift = int(intercept) - HU_RANGE[0]  # code = stored + shift
    lo, hi = _stored_range(pixels, ds)
    kind_lo, kind_hi = (-(2**15), 2**15 - 1) if pixels.dtype.kind == "i" else (0, 2**16 - 1)
    floor, ceiling = max(-shift, kind_lo), min(CODE_MAX - shift, kind_hi)
    if not floor <= ceiling < 2**15:
        return None  # the codes would not fit the arithmetic below
    work = pixels if in_place else scratch(pixels.shape, pixels.dtype)
    if not (lo + shift >= 0 and hi + shift <= CODE_MAX):
        pixels = pixels.clip(floor, ceiling, out=work)  # the method: np.clip adds 2.5 us
    signed = pixels.view(np.int16)  # every value fits, checked above
    if shift:
        signed = np.add(signed, np.int16(shift), out=work.view(np.int16))
    return signed.view(np.uint16)


def _stored_range(pixels: np.ndarray, ds) -> tuple[float, float]:
    """The range of stored values BitsStored allows (0..4095 for unsigned 12 bit)."""
    if pixels.dtype == np.int32:  # unwrapped quirk values
        return -(2.0**31), 2.0**31
    bits = int(ds.BitsStored)
    if int(ds.PixelRepresentation) == 1:
        return -(2.0 ** (bits - 1)), 2.0 ** (bits - 1) - 1
    return 0.0, 2.0**bits - 1


def is_wrapped(ds) -> bool:
    return (
        int(ds.BitsStored) == 12
        and int(ds.PixelRepresentation) == 0
        and float(ds.get("RescaleIntercept", 0) or 0) > -100
    )


def read_slice(path: Path | str, fast: bool = True) -> Slice:
    """One file -> HU image and the identifiers the pipeline needs. Raises Unusable."""
    ds = read_dataset(path, fast)
    return Slice(hu=to_hu(stored_pixels(ds), ds), **describe(ds))


def identifiers(ds) -> tuple[list[str], float]:
    """The ID_TAGS values and z (ImagePositionPatient[2], NaN when absent): all the index keeps."""
    try:
        z = float(ds.ImagePositionPatient[2])
    except (AttributeError, IndexError, TypeError, ValueError):
        z = float("nan")
    return [str(ds.get(tag, "")) for tag in ID_TAGS], z


def describe(ds) -> dict:
    """The identifiers, z and display window of a slice (nothing else leaves this module)."""
    ids, z = identifiers(ds)
    window = (_first(ds.get("WindowCenter", 40)), _first(ds.get("WindowWidth", 80)))
    return {"ids": dict(zip(ID_TAGS, ids, strict=True)), "z": z, "window": window}
