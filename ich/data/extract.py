"""Decoded codes -> the model's images: one memory-mappable uint8 array of windowed,
area-resized images, derived from the base grid (`ich.data.codes`) without reading a DICOM.

Row i of images.npy is row i of codes.npy; rows the decode rejected stay blank. Sharded over all
cores and resumable like the decode (`ich.data.shards`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from ich.data.codes import derive
from ich.data.crop import crop_sums
from ich.data.shards import Rows, code_version, fill_sharded, finish, run_key
from ich.errors import InputError
from ich.scratch import scratch
from ich.spec import Spec

# Every module that decides an image's bytes (the resume key includes their source).
CODE = (
    "ich.data.extract",
    "ich.data.codes",
    "ich.data.crop",
    "ich.data.hu_features",
    "ich.data.image",
    "ich.dicom.hu",
)

CHUNK = 64  # rows of codes read at once (8 MB at the 256 px base)

Window = tuple[float, Annotated[float, Field(gt=0)]]  # [center, width] in HU


@dataclass(frozen=True)
class Settings:
    resolution: int
    windows: tuple[tuple[float, float], ...]
    window_at: int | None = None  # window at this resolution, then average (None: at resolution)
    base: int | None = None  # derived from HU codes on this grid (None: straight from the file)
    shard_size: int = 1024
    crop: str | None = None  # "head"/"brain": each slice cut to it first (`ich.data.crop`)

    def card(self) -> dict:
        """What a model trained on these images must be fed (travels with it to `predict`).
        `crop` is named only when set, so the cards of uncropped models keep their bytes."""
        card = {
            "resolution": self.resolution,
            "windows": [list(w) for w in self.windows],
            "window_at": self.window_at,
            "base": self.base,
        }
        return card | ({"crop": self.crop} if self.crop else {})

    @classmethod
    def from_card(cls, card: dict) -> Settings:
        """The settings a model's card names (older cards: no `window_at`, no `base`)."""
        windows = tuple(tuple(w) for w in card["windows"])
        return cls(
            card["resolution"],
            windows,
            card.get("window_at"),
            card.get("base"),
            crop=card.get("crop"),
        )

    def rows(self) -> Rows:
        return Rows((self.resolution, self.resolution, len(self.windows)), "uint8")

    def from_base(self, sums: np.ndarray, area: int, out: np.ndarray | None = None) -> np.ndarray:
        if self.crop:
            sums = crop_sums(sums, area, self.crop)
        return derive(sums, area, self.resolution, self.windows, self.window_at, out)


class ExtractSpec(Spec):
    """The `extract` section of params.yaml."""

    resolution: int = Field(ge=8, le=1024)  # output images are resolution x resolution
    windows: tuple[Window, ...] = Field(min_length=1)  # [center, width] in HU, one channel each
    window_at: int | None = Field(le=1024)  # window at this resolution, then area-average
    # head: each slice cut to a square around its head; brain: around its brain, skull removed
    crop: Literal["head", "brain"] | None = None

    @field_validator("window_at")
    @classmethod
    def _not_below_resolution(cls, at: int | None, info: ValidationInfo) -> int | None:
        resolution = info.data.get("resolution")
        if at is not None and resolution is not None and at < resolution:
            raise ValueError(f"must be at least extract.resolution ({resolution}) or null")
        return at

    def settings(self, base: int, shard_size: int = Settings.shard_size) -> Settings:
        """The settings on a base grid of `base`; an error naming both keys when it is too
        coarse for them."""
        finest = max(self.resolution, self.window_at or 0)
        if finest > base:
            key = "window_at" if finest != self.resolution else "resolution"
            raise InputError(
                f"params.yaml: extract.{key} = {finest} is finer than the decoded base grid "
                f"(decode.resolution = {base}): raise decode.resolution or lower extract.{key}"
            )
        return Settings(
            self.resolution, self.windows, self.window_at, base, shard_size, crop=self.crop
        )


def derive_rows(codes: Path, areas: np.ndarray, first: int, s: Settings, block: np.ndarray):
    """A shard of the extract: the images of rows first.. of `codes` (blank where area 0).
    The codes are read in runs of CHUNK rows into one reused buffer, one sequential read each:
    from a cold disk a memory map's page faults read far less per request, and a fresh buffer
    per run costs its page faults (both measured)."""
    stored = np.load(codes, mmap_mode="r")
    shape, offset = stored.shape[1:], stored.offset
    del stored
    buffer = scratch((CHUNK, *shape), np.dtype("<u2"))
    with open(codes, "rb", buffering=0) as f:
        for lo in range(0, len(areas), CHUNK):
            rows = buffer[: min(CHUNK, len(areas) - lo)]
            f.seek(offset + (first + lo) * rows[0].nbytes)
            f.readinto(memoryview(rows).cast("B"))
            for i, area in enumerate(areas[lo : lo + len(rows)], start=lo):
                if area:
                    s.from_base(rows[i - lo], int(area), out=block[i])
                else:
                    block[i] = 0
    return {}


def extract(codes: Path, areas: np.ndarray, images: Path, s: Settings, workers: int) -> None:
    """Write `images` (an .npy file) from the decoded `codes` and their `areas`. Resumes
    from the work folder `<images>.partial` beside it."""
    stat, kept = os.stat(codes), hashlib.sha256(areas.tobytes()).hexdigest()
    inputs = [str(codes), stat.st_size, stat.st_mtime_ns, kept]
    key = run_key([s.card(), *inputs, code_version(CODE)], [])

    def part(first: int, count: int) -> partial:
        return partial(derive_rows, codes, areas[first : first + count], first, s)

    n = len(areas)
    work, _ = fill_sharded(images, n, s.rows(), part, key, workers, s.shard_size, "extract")
    finish(work, images)
