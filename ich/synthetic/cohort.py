"""Planning a synthetic cohort: patients, their heads and bleeds, series geometry, IDs, encodings.

Everything random is drawn here, in one process from one seeded generator, so the plan (and
hence every output byte) is the same whatever the number of rendering workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator

from ich.dicom.write import fmt_ds
from ich.rsna import SUBTYPES
from ich.spec import Count, Fraction, Positive, Spec
from ich.synthetic import portable
from ich.synthetic.phantom import Bleed, Grid, Head

# Series-level probability that a scan carries each subtype, plus P(IVH | IPH).
# `embedded` is enriched so a 20% holdout of a small cohort holds >= 30 slices of each subtype;
# `rsna` gives roughly RSNA's slice prevalences (docs/data.md).
PROFILES: dict[str, dict[str, float]] = {
    "embedded": {
        "epidural": 0.30,
        "intraparenchymal": 0.45,
        "intraventricular": 0.2,
        "subarachnoid": 0.45,
        "subdural": 0.40,
        "ivh_given_iph": 0.6,
    },
    "rsna": {
        "epidural": 0.035,
        "intraparenchymal": 0.25,
        "intraventricular": 0.07,
        "subarachnoid": 0.16,
        "subdural": 0.19,
        "ivh_given_iph": 0.45,
    },
}
ODD_SIZES = ((490, 638), (436, 436), (408, 374), (768, 768))
TRUNCATED_ID = "ID_6431af929"  # the one corrupt file of the real download


@dataclass
class SeriesPlan:
    split: str  # "train" or "test"
    index: int
    patient_id: str
    study_uid: str
    series_uid: str
    head: Head
    bleeds: list[Bleed]
    grid: Grid
    z: list[float]  # anatomical height of each slice (mm)
    table_z: float  # scanner z of anatomical z = 0
    corner: tuple[float, float]
    tilt_deg: float
    encoding: str
    intercept: int
    window: tuple[str, str]
    noise: float
    outside_hu: float
    metal: bool
    sop_uids: list[str] = field(default_factory=list)
    media_uids: list[str] = field(default_factory=list)
    truncated: set[str] = field(default_factory=set)


@dataclass
class CohortSpec:
    seed: int
    patients: int
    test_patients: int
    second_series: float
    slices: tuple[int, int]
    prevalence: dict[str, float]
    hard_negatives: float
    int16_fraction: float
    wrapped: float
    intercept_1000: float
    odd_size: float
    tilt: float
    extreme_values: float
    truncated: int

    @classmethod
    def plain(cls, seed: int, patients: int, slices: tuple[int, int] = (30, 30), **overrides):
        """Embedded prevalences, one series per patient and no quirks unless overridden."""
        values = dict(
            seed=seed,
            patients=patients,
            test_patients=0,
            second_series=0.0,
            slices=slices,
            prevalence=PROFILES["embedded"],
            hard_negatives=0.5,
            int16_fraction=0.5,
            wrapped=0.0,
            intercept_1000=0.0,
            odd_size=0.0,
            tilt=0.4,
            extreme_values=0.0,
            truncated=0,
        )
        return cls(**{**values, **overrides})


class _Ids:
    """Unique random hex identifiers of the RSNA forms."""

    def __init__(self, rng: np.random.Generator):
        self.rng, self.seen = rng, {TRUNCATED_ID}

    def new(self, digits: int) -> str:
        while True:
            value = "ID_" + "".join(f"{d:x}" for d in self.rng.integers(0, 16, digits))
            if value not in self.seen:
                self.seen.add(value)
                return value

    def media(self) -> str:
        return "9999." + "".join(str(d) for d in self.rng.integers(0, 10, 38))


def draw_head(rng: np.random.Generator, hard_negatives: float) -> Head:
    k = rng.uniform(0.8, 1.35)
    calcs: list = []
    if rng.random() < hard_negatives:
        if rng.random() < 0.7:
            calcs.append(("pineal", (0.0, 16.0, -6.0), rng.uniform(2, 4), rng.uniform(90, 400)))
        if rng.random() < 0.5:
            for side in (-1, 1):
                where = (side * 15 * k, 22 * k, 5.0)
                calcs.append(("choroid", where, rng.uniform(2, 3.5), rng.uniform(80, 300)))
        if rng.random() < 0.4:
            where = (0.0, rng.uniform(-40, 30), rng.uniform(15, 50))
            calcs.append(("falx", where, rng.uniform(4, 9), rng.uniform(120, 500)))
    return Head(
        half_width=rng.uniform(68, 76),
        half_length=rng.uniform(86, 96),
        top=rng.uniform(78, 88),
        scalp=rng.uniform(4, 6.5),
        skull=rng.uniform(6.5, 9),
        rotation=rng.normal(0, 0.05),
        offset=(rng.normal(0, 4), rng.normal(0, 6)),
        grey=rng.uniform(37, 44),
        white=rng.uniform(22, 29),
        bone=rng.uniform(1000, 1500),
        ventricle_scale=k,
        gyri=int(rng.integers(34, 47)),
        phase=rng.uniform(0, 2 * np.pi),
        calcifications=tuple(calcs),
    )


def draw_bleed(rng: np.random.Generator, subtype: str, head: Head) -> Bleed:
    side = rng.choice([-1.0, 1.0])
    lateral = float(portable.arctan2(rng.uniform(-0.5, 0.7), side))  # temporo-parietal
    if subtype == "epidural":
        shape = dict(
            theta=lateral,
            dtheta=rng.uniform(0.25, 0.5),
            z=rng.uniform(-10, 40),
            dz=rng.uniform(10, 22),
            thickness=4 + 14 * rng.random() ** 1.5,
        )
        return Bleed(subtype, rng.uniform(55, 80), shape)
    if subtype == "subdural":  # many thin ones: the subtle cases
        shape = dict(
            theta=lateral,
            dtheta=rng.uniform(0.7, 1.3),
            z=rng.uniform(5, 45),
            dz=rng.uniform(18, 40),
            thickness=2 + 12 * rng.random() ** 2,
            side=side,
        )
        return Bleed(subtype, rng.uniform(48, 75), shape)
    if subtype == "subarachnoid":
        shape = dict(
            theta=rng.uniform(-np.pi, np.pi),
            dtheta=rng.uniform(0.6, 1.6),
            z=rng.uniform(-25, 40),
            dz=rng.uniform(12, 30),
        )
        return Bleed(subtype, rng.uniform(50, 70), shape)
    if subtype == "intraparenchymal":
        r = rng.uniform(5, 20)
        if rng.random() < 0.6:  # deep: basal ganglia / thalamus
            u, v, z = side * rng.uniform(14, 28), rng.uniform(-15, 15), rng.uniform(-8, 14)
        else:  # lobar
            z = rng.uniform(0, 45)
            angle, frac = rng.uniform(-np.pi, np.pi), rng.uniform(0.35, 0.6)
            u = portable.cos(angle) * head.half_width * frac
            v = portable.sin(angle) * head.half_length * frac
        shape = dict(
            u=u,
            v=v,
            z=z,
            ru=r * rng.uniform(0.75, 1.25),
            rv=r * rng.uniform(0.75, 1.25),
            dz=r * rng.uniform(0.9, 1.5),
            lobes=rng.uniform(0, 2 * np.pi),
            oedema=rng.uniform(1.15, 1.5) ** 2,
        )
        return Bleed(subtype, rng.uniform(60, 85), shape)
    if subtype == "intraventricular":  # blood layering in the dependent (posterior) horns
        shape = dict(z=12.0, dz=45.0, level=rng.uniform(0, 26) * head.ventricle_scale)
        return Bleed(subtype, rng.uniform(50, 70), shape)
    raise ValueError(f"unknown subtype {subtype!r}")


def draw_bleeds(rng: np.random.Generator, head: Head, prevalence: dict[str, float]) -> list[Bleed]:
    """Subtypes for one patient, with RSNA-like co-occurrence (IPH->IVH, epidural mostly alone)."""
    chosen = set()
    if rng.random() < prevalence["epidural"]:
        chosen.add("epidural")
    damp = 0.25 if chosen else 1.0
    for subtype in ("intraparenchymal", "subarachnoid", "subdural", "intraventricular"):
        p = prevalence[subtype]
        if subtype == "intraventricular" and "intraparenchymal" in chosen:
            p = prevalence["ivh_given_iph"]
        if rng.random() < p * damp:
            chosen.add(subtype)
    return [draw_bleed(rng, s, head) for s in SUBTYPES if s in chosen]


def _quota(rng: np.random.Generator, n: int, rate: float, exclude: set[int]) -> set[int]:
    """Exactly round(rate * n) (at least one when rate > 0) indices not in `exclude`."""
    if rate <= 0:
        return set()
    free = [i for i in range(n) if i not in exclude]
    k = min(len(free), max(1, round(rate * n)))
    return {free[i] for i in rng.choice(len(free), size=k, replace=False)}


def plan(spec: CohortSpec) -> list[SeriesPlan]:
    """All series of the train and test cohorts, fully determined by spec.seed."""
    rng = np.random.default_rng(spec.seed)
    ids = _Ids(rng)
    people = []
    for split, count in (("train", spec.patients), ("test", spec.test_patients)):
        for _ in range(count):
            head = draw_head(rng, spec.hard_negatives)
            bleeds = draw_bleeds(rng, head, spec.prevalence)
            scans = 2 if rng.random() < spec.second_series else 1
            patient = ids.new(8)
            people.extend((split, patient, head, bleeds) for _ in range(scans))
    n = len(people)
    wrapped = _quota(rng, n, spec.wrapped, set())
    minus_1000 = _quota(rng, n, spec.intercept_1000, wrapped)
    odd = _quota(rng, n, spec.odd_size, set())
    series = []
    for i, (split, patient, head, bleeds) in enumerate(people):
        encoding = "int16" if rng.random() < spec.int16_fraction else "uint12"
        encoding = "wrapped" if i in wrapped else "int16_1000" if i in minus_1000 else encoding
        series.append(_series(rng, ids, spec, i, split, patient, head, bleeds, encoding, i in odd))
    train_sops = [s for p in series if p.split == "train" for s in p.sop_uids]
    for k in rng.choice(len(train_sops), size=min(spec.truncated, len(train_sops)), replace=False):
        _rename_truncated(series, train_sops[k])
    return series


def _series(rng, ids, spec, i, split, patient, head, bleeds, encoding, odd) -> SeriesPlan:
    if odd:
        rows, cols = ODD_SIZES[int(rng.integers(len(ODD_SIZES)))]
        spacing = round(250 / min(rows, cols) * rng.uniform(0.95, 1.05), 6)
    else:
        rows, cols, spacing = 512, 512, round(float(rng.uniform(0.43, 0.55)), 6)
    count = int(rng.integers(spec.slices[0], spec.slices[1] + 1))
    z_lo, z_hi = rng.uniform(-80, -70), head.top + rng.uniform(0, 8)
    z = list(np.linspace(z_lo, z_hi, count))
    intercept = {"wrapped": int(rng.integers(0, 2)), "int16_1000": -1000}.get(encoding, -1024)
    if encoding in ("uint12", "wrapped"):
        c = f"{int(rng.choice([30, 36, 40])):05d}"
        window = (f"{c}\\{c}", "00080\\00080")
    else:
        c, w = [(30, 80), (35, 135), (50, 100), (40, 80), (40, 150)][int(rng.integers(5))]
        window = (str(c), str(w))
    outside = {"uint12": -1024.0, "wrapped": -1000.0}.get(
        encoding, float(rng.choice([-1024, -2000]))
    )
    tilt = float(rng.uniform(5, 25)) if rng.random() < spec.tilt else 0.0
    return SeriesPlan(
        split=split,
        index=i,
        patient_id=patient,
        study_uid=ids.new(10),
        series_uid=ids.new(10),
        head=head,
        bleeds=bleeds,
        grid=Grid(rows, cols, spacing),
        z=[float(v) for v in z],
        table_z=float(rng.uniform(100, 250)),
        corner=(-cols * spacing / 2, float(rng.uniform(-40, 0))),
        tilt_deg=tilt,
        encoding=encoding,
        intercept=intercept,
        window=window,
        noise=float(rng.uniform(3, 8)),
        outside_hu=outside,
        metal=encoding.startswith("int16") and rng.random() < spec.extreme_values,
        sop_uids=[ids.new(9) for _ in z],
        media_uids=[ids.media() for _ in z],
    )


def _rename_truncated(series: list[SeriesPlan], sop: str) -> None:
    for p in series:
        if sop in p.sop_uids:
            p.sop_uids[p.sop_uids.index(sop)] = TRUNCATED_ID
            p.truncated.add(TRUNCATED_ID)


def position(p: SeriesPlan, k: int) -> tuple[str, str, str]:
    return (
        fmt_ds(round(p.corner[0], 6)),
        fmt_ds(round(p.corner[1], 6)),
        fmt_ds(round(p.table_z + p.z[k], 6)),
    )


def orientation(p: SeriesPlan) -> tuple[str, ...]:
    t = np.radians(p.tilt_deg)
    return (
        "1",
        "0",
        "0",
        "0",
        fmt_ds(round(portable.cos(t), 9)),
        fmt_ds(round(-portable.sin(t), 9) + 0.0),
    )


class PrevalenceSpec(Spec):
    """Series-level probability of each subtype, and of IVH given IPH (profile `custom`)."""

    epidural: Fraction
    intraparenchymal: Fraction
    intraventricular: Fraction
    subarachnoid: Fraction
    subdural: Fraction
    ivh_given_iph: Fraction


class QuirkSpec(Spec):
    int16_fraction: Fraction  # encoding (b) vs (a)
    wrapped: Fraction  # signed values stored as unsigned 12 bit
    intercept_1000: Fraction
    odd_size: Fraction  # non-512 / non-square images
    tilt: Fraction  # share of series with gantry tilt
    extreme_values: Fraction  # int16 series with a metal-like 30000 HU spot
    truncated: int = Field(ge=0, le=1)  # files with truncated PixelData


class SynthesizeSpec(Spec):
    """The `synthesize` section of params.yaml."""

    seed: Count
    patients: Positive
    test_patients: Count
    second_series: Fraction
    slices_per_series: tuple[Annotated[int, Field(ge=3)], int]
    profile: Literal["embedded", "rsna", "custom"]
    prevalence: PrevalenceSpec
    hard_negatives: Fraction
    min_visible_mm2: float = Field(ge=0)
    duplicated_ids: Count
    quirks: QuirkSpec

    @field_validator("slices_per_series")
    @classmethod
    def _a_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] > value[1]:
            raise ValueError("expected [min, max] with min <= max")
        return value

    def cohort(self) -> CohortSpec:
        prevalence = (
            self.prevalence.model_dump() if self.profile == "custom" else PROFILES[self.profile]
        )
        return CohortSpec(
            seed=self.seed,
            patients=self.patients,
            test_patients=self.test_patients,
            second_series=self.second_series,
            slices=self.slices_per_series,
            prevalence=prevalence,
            hard_negatives=self.hard_negatives,
            **self.quirks.model_dump(),
        )

    def options(self) -> dict:
        """What `synthesize` needs beyond the cohort: the label threshold and CSV duplicates."""
        return {"min_visible_mm2": self.min_visible_mm2, "duplicated_ids": self.duplicated_ids}
