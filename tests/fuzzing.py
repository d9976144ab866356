"""Mutated copies of DICOM files: what a flipped bit, a cut download or a broken writer leaves.

Each mutation takes a file's bytes and a random generator and returns new bytes. The element
walk below knows Explicit VR Little Endian only (the RSNA layout); a mutation that finds no
element to change falls back to a bit flip.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np

LONG_VRS = {vr.encode() for vr in "OB OW OF SQ UT UN UC UR OD OL OV SV UV".split()}
NUMBER_TAGS = {  # text numbers (DS, IS) and binary ones (US) the readers interpret
    (0x0020, 0x0032): "text",  # ImagePositionPatient
    (0x0028, 0x1050): "text",  # WindowCenter
    (0x0028, 0x1051): "text",  # WindowWidth
    (0x0028, 0x1052): "text",  # RescaleIntercept
    (0x0028, 0x1053): "text",  # RescaleSlope
    (0x0028, 0x0010): "US",  # Rows
    (0x0028, 0x0011): "US",  # Columns
    (0x0028, 0x0100): "US",  # BitsAllocated
    (0x0028, 0x0101): "US",  # BitsStored
    (0x0028, 0x0103): "US",  # PixelRepresentation
}
ABSURD_TEXT = ["inf", "-inf", "nan", "1e400", "-1e400", "9" * 16, "", "abc", "1\\2\\x", "0"]
ABSURD_US = [0, 1, 7, 17, 40, 0x7FFF, 0xFFFF]
HUGE_LENGTHS = [0xFFFFFFF0, 0x7FFFFFFF, 0x40000000, 0xFFFFFFFF]


def elements(data: bytes) -> list[tuple[int, int, int, bytes, int, int]]:
    """(position, group, element, vr, value start, value length) of each element in order."""
    out, pos = [], 132
    while pos + 8 <= len(data):
        group, elem, vr, length = struct.unpack_from("<HH2sH", data, pos)
        if vr in LONG_VRS:
            if pos + 12 > len(data):
                break
            start, length = pos + 12, struct.unpack_from("<I", data, pos + 8)[0]
        else:
            start = pos + 8
        out.append((pos, group, elem, vr, start, length))
        if length == 0xFFFFFFFF:
            break
        pos = start + length
    return out


def bit_flip(data: bytes, rng: np.random.Generator) -> bytes:
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 9))):
        i = int(rng.integers(len(out)))
        out[i] ^= 1 << int(rng.integers(8))
    return bytes(out)


def header_bit_flip(data: bytes, rng: np.random.Generator) -> bytes:
    end = max(e[0] for e in elements(data))  # up to the PixelData element's header
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        i = int(rng.integers(128, end + 12))
        out[i] ^= 1 << int(rng.integers(8))
    return bytes(out)


def pick(data: bytes, rng: np.random.Generator) -> tuple[int, int, int, bytes, int, int]:
    """One element of the file, at random."""
    found = elements(data)
    return found[int(rng.integers(len(found)))]


def vr(data: bytes, rng: np.random.Generator) -> bytes:
    pos = pick(data, rng)[0]
    new = rng.choice([b"XX", b"\x00\x00", b"SQ", b"OB", b"UN", b"ZZ", rng.bytes(2)])
    return data[: pos + 4] + bytes(new) + data[pos + 6 :]


def length(data: bytes, rng: np.random.Generator) -> bytes:
    pos, _, _, vr_, start, old = pick(data, rng)
    if vr_ in LONG_VRS:
        value = int(rng.choice(HUGE_LENGTHS + [old + 1, max(0, old - 2), 3]))
        return data[: pos + 8] + struct.pack("<I", value) + data[pos + 12 :]
    value = int(rng.choice([0xFFFF, old + 1, max(0, old - 1), 0xFFFE]))
    return data[: pos + 6] + struct.pack("<H", value) + data[pos + 8 :]


def truncate(data: bytes, rng: np.random.Generator) -> bytes:
    return data[: int(rng.integers(0, len(data)))]


def insert(data: bytes, rng: np.random.Generator) -> bytes:
    i = int(rng.integers(128, max(e[0] for e in elements(data)) + 12))
    return data[:i] + rng.bytes(int(rng.integers(1, 17))) + data[i:]


def zero(data: bytes, rng: np.random.Generator) -> bytes:
    i = int(rng.integers(0, len(data)))
    n = int(rng.integers(1, 4096))
    return data[:i] + bytes(min(n, len(data) - i)) + data[i + n :]


def number(data: bytes, rng: np.random.Generator) -> bytes:
    """An absurd value in a header number the readers interpret (lengths kept consistent)."""
    found = [e for e in elements(data) if (e[1], e[2]) in NUMBER_TAGS]
    if not found:
        return bit_flip(data, rng)
    pos, group, elem, vr_, start, old = found[int(rng.integers(len(found)))]
    if NUMBER_TAGS[(group, elem)] == "US":
        value = struct.pack("<H", int(rng.choice(ABSURD_US)))
    else:
        value = str(rng.choice(ABSURD_TEXT)).encode()
        value += b" " * (len(value) % 2)  # DICOM values have even lengths
    header = struct.pack("<HH2sH", group, elem, vr_, len(value))
    return data[:pos] + header + value + data[start + old :]


MUTATIONS: dict[str, Callable[[bytes, np.random.Generator], bytes]] = {
    "bit_flip": bit_flip,
    "header_bit_flip": header_bit_flip,
    "vr": vr,
    "length": length,
    "truncate": truncate,
    "insert": insert,
    "zero": zero,
    "number": number,
}


def mutants(sources: list[Path], mutation: str, folder: Path, copies: int, seed: int) -> list[Path]:
    """`copies` mutated copies of each source, in `folder`/<copy>/ under the source's name (the
    name must match the SOPInstanceUID inside, or every copy is rejected for that alone);
    reproducible."""
    rng = np.random.default_rng(seed)
    out = []
    for source in sources:
        data = source.read_bytes()
        for k in range(copies):
            path = folder / f"copy_{k}" / source.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(MUTATIONS[mutation](data, rng))
            out.append(path)
    return out
