"""A synthetic 3-D head with hemorrhages, rendered as axial CT slices in Hounsfield units.

Coordinates are patient millimetres: u lateral, v antero-posterior (posterior positive, as in
DICOM's LPS and as displayed: posterior at the bottom), z cranio-caudal (up positive, 0 at the
level of the lateral ventricles). Densities follow docs/data.md. Everything is analytic,
so a slice can be re-rendered exactly (for the montage's outlines) from the same parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ich.rsna import SUBTYPES
from ich.synthetic import portable

AIR, FAT, CSF = -1000.0, -80.0, 8.0


@dataclass(frozen=True)
class Head:
    """One patient's anatomy (mm and HU)."""

    half_width: float  # lateral semi-axis of the skin outline
    half_length: float  # antero-posterior semi-axis
    top: float  # z of the vertex
    scalp: float
    skull: float  # fronto-occipital skull thickness; temporal is ~35% thinner
    rotation: float  # radians, in-plane
    offset: tuple[float, float]
    grey: float
    white: float
    bone: float  # cortical bone HU
    ventricle_scale: float
    gyri: int
    phase: float
    calcifications: tuple[tuple[str, tuple[float, float, float], float, float], ...] = ()


@dataclass(frozen=True)
class Bleed:
    """One hemorrhage: a 3-D object of one subtype. `shape` holds its geometry in mm."""

    subtype: str
    density: float
    shape: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Grid:
    """Pixel grid of one series: rows, columns, pixel spacing (mm)."""

    rows: int
    cols: int
    spacing: float


class Frame:
    """Per-series coordinate arrays that do not depend on z (computed once per series)."""

    def __init__(self, head: Head, grid: Grid):
        y = (np.arange(grid.rows, dtype=np.float32) - grid.rows / 2 + 0.5) * grid.spacing
        x = (np.arange(grid.cols, dtype=np.float32) - grid.cols / 2 + 0.5) * grid.spacing
        x, y = x[None, :] - head.offset[0], y[:, None] - head.offset[1]
        c, s = portable.cos(head.rotation), portable.sin(head.rotation)
        self.u = (c * x + s * y).astype(np.float32)
        self.v = (-s * x + c * y).astype(np.float32)
        self.theta = portable.arctan2(self.v, self.u).astype(np.float32)
        a, b = head.half_width, head.half_length
        cos_t, sin_t = portable.cos(self.theta), portable.sin(self.theta)
        # Distance from centre to the skin ellipse along each pixel's ray, and the pixel's
        # normalised radius: depth below the skin at scale s is then (s - r0) * R0.
        self.R0 = (a * b / np.sqrt((b * cos_t) ** 2 + (a * sin_t) ** 2)).astype(np.float32)
        self.r0 = np.sqrt((self.u / a) ** 2 + (self.v / b) ** 2).astype(np.float32)
        self.skull_t = (head.skull * (1 - 0.35 * cos_t**2)).astype(np.float32)
        self.fov = (x + head.offset[0]) ** 2 + (y + head.offset[1]) ** 2 <= (
            min(grid.rows, grid.cols) * grid.spacing / 2
        ) ** 2
        self.spacing = grid.spacing
        # Angular patterns of the gyri, shifted with z by the angle-sum identity per slice.
        t = self.theta
        self.gyri_phase = (head.gyri * t).astype(np.float32)
        self.s3, self.c3 = portable.sin(3 * t + head.phase), portable.cos(3 * t + head.phase)
        self.s7, self.c7 = portable.sin(7 * t), portable.cos(7 * t)
        self.s5, self.c5 = (
            portable.sin(5 * t + 2 * head.phase),
            portable.cos(5 * t + 2 * head.phase),
        )
        self._streaks: np.ndarray | None = None
        self._septa: np.ndarray | None = None

    def septa(self) -> np.ndarray:
        """Bony septa of the air cells (a fixed lattice), computed once per series."""
        if self._septa is None:
            self._septa = np.abs(portable.sin(self.v * 0.9) * portable.sin(self.u * 0.9)) < 0.15
        return self._septa

    def streak_pattern(self, phase: float) -> np.ndarray:
        """Beam-hardening pattern (HU at full strength), computed once per series."""
        if self._streaks is None:
            u, v = self.u, self.v - 6
            band = -28 * portable.exp(-((v / 2.5) ** 2)) * (np.abs(u) < 38)
            streak = np.zeros_like(u)
            for i in range(5):
                a = phase * 3.1 + i * 0.67
                dist = np.abs(u * portable.sin(a) - v * portable.cos(a))
                streak += (18 if i % 2 else -22) * portable.exp(-((dist / 1.3) ** 2))
            self._streaks = (band + streak).astype(np.float32)
        return self._streaks


def section_scale(head: Head, z: float) -> float:
    """Relative size of the head's cross-section at height z (0 above the vertex)."""
    extent = head.top if z >= 0 else 125.0
    return float(np.sqrt(max(0.0, 1.0 - (z / extent) ** 2)))


def _ellipse(u, v, cu, cv, au, av) -> np.ndarray:
    return ((u - cu) / au) ** 2 + ((v - cv) / av) ** 2 <= 1.0


def _angle_diff(theta: np.ndarray, theta0: float) -> np.ndarray:
    return (theta - theta0 + np.pi) % (2 * np.pi) - np.pi


def ventricles(f: Frame, head: Head, z: float) -> np.ndarray:
    """Lateral ventricles (bodies and atria), third and fourth ventricles at height z."""
    k = head.ventricle_scale
    mask = np.zeros(f.u.shape, bool)
    h_body = 1 - ((z - 14) / 20) ** 2
    if h_body > 0:
        sq = np.sqrt(h_body)
        for side in (-1, 1):
            mask |= _ellipse(f.u, f.v, side * 8 * k, -2, 4.5 * k * sq + 0.5, 26 * k * sq + 1)
    h_atrium = 1 - ((z - 5) / 12) ** 2
    if h_atrium > 0:
        sq = np.sqrt(h_atrium)
        for side in (-1, 1):
            mask |= _ellipse(f.u, f.v, side * 15 * k, 22 * k, 5 * k * sq + 0.5, 11 * k * sq + 1)
    if -18 <= z <= 2:
        mask |= (np.abs(f.u) < 1.6 * k) & (np.abs(f.v - 2) < 9)
    if -55 <= z <= -36:
        mask |= _ellipse(f.u, f.v, 0, 32, 6, 4)
    return mask


def _sulci(f: Frame, head: Head, z: float, depth: np.ndarray, rho: np.ndarray):
    """Sulcal CSF and the grey-matter ribbon that lines it."""
    a, b, c = z / 25, z / 15, z / 12
    phi = (
        f.gyri_phase
        + np.float32(1.5 * portable.cos(a)) * f.s3
        + np.float32(1.5 * portable.sin(a)) * f.c3
        + np.float32(0.8 * portable.cos(b)) * f.s7
        - np.float32(0.8 * portable.sin(b)) * f.c7
    )
    sulcus_depth = (
        7 + 7 * (np.float32(portable.cos(c)) * f.s5 + np.float32(portable.sin(c)) * f.c5) ** 2
    )
    # Near a sulcus (phi = pi mod 2 pi), 2 (1 + cos phi) ~ (angular distance)^2; scaled by the
    # radius this gives the squared arc distance in mm without a slow modulo. Only pixels
    # shallow enough to be sulcus or ribbon need it (the cosine is the costly part).
    near = depth < sulcus_depth + 2.5
    dist2 = np.full(phi.shape, np.inf, np.float32)
    dist2[near] = (2 + 2 * portable.cos(phi[near])) * (rho[near] / head.gyri) ** 2
    sulcus = (dist2 < 0.49) & (depth < sulcus_depth)
    grey = (depth < 2.8) | ((dist2 < 7.84) & near)
    return sulcus, grey


def _skull_base(f: Frame, z: float, brain: np.ndarray, hu: np.ndarray) -> None:
    """Orbits, sinuses, petrous bone and clivus below the floor of the anterior fossa."""
    u, v, au = f.u, f.v, np.abs(f.u)
    if z < -28:
        # Below the anterior fossa floor: nasal cavity and air cells with bony septa, not brain.
        front = brain & (v < -22 - (z + 28) * 0.8) & (au < 26)
        septa = f.septa()
        edge = front & ~(np.abs(u) < 23) | front & (v > -25 - (z + 28) * 0.8)
        hu[front] = np.where(septa[front], 500.0, -850.0)
        hu[edge] = 700.0
        brain &= ~front
    if -62 <= z <= -34:
        for side in (-1, 1):
            orbit = _ellipse(u, v, side * 30, -62, 14, 13)
            hu[orbit] = FAT
            hu[_ellipse(u, v, side * 30, -66, 9, 9)] = 12.0  # globe
        ethmoid = (au < 11) & (v > -75) & (v < -32)
        septa = f.septa()
        hu[ethmoid] = np.where(septa[ethmoid], 500.0, -850.0)
    if -56 <= z <= -38:
        sphenoid = (au < 14) & (v > -28) & (v < -8)
        hu[sphenoid & ~brain] = -870.0
        for side in (-1, 1):
            # Petrous ridge: a dense bar from the clivus out and back to the mastoid.
            t = np.clip(((u * side - 14) * 36 + (v - 2) * 24) / (36**2 + 24**2), 0, 1)
            d = np.hypot(u * side - 14 - 36 * t, v - 2 - 24 * t)
            petrous = (d < 5.5) & (u * side > 10)
            hu[petrous] = 1300.0
            brain &= ~petrous
    if -72 <= z <= -38:
        clivus = (au < 8) & (v > -2) & (v < 14)
        hu[clivus] = 900.0
        brain &= ~clivus


def _streaks(f: Frame, head: Head, z: float, inside: np.ndarray, hu: np.ndarray) -> None:
    """Beam-hardening near the skull base: a dark band between the petrous bones, thin streaks."""
    strength = float(np.clip((-28 - z) / 15, 0, 1))
    if strength > 0:
        hu[inside] += np.float32(strength) * f.streak_pattern(head.phase)[inside]


def anatomy(f: Frame, head: Head, z: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Noise-free HU of the normal head at height z, and the region masks bleeds need."""
    s = section_scale(head, z)
    hu = np.full(f.u.shape, AIR, np.float32)
    regions: dict[str, np.ndarray] = {}
    depth_skin = (s - f.r0) * f.R0
    inside = depth_skin > 0
    regions["inside"] = inside
    if not inside.any():
        return hu, regions
    hu[inside] = 30.0
    hu[inside & (depth_skin > head.scalp * 0.35) & (depth_skin < head.scalp * 0.75)] = FAT
    depth_bone = depth_skin - head.scalp
    skull = (depth_bone > 0) & (depth_bone < f.skull_t)
    rel = depth_bone / f.skull_t
    cortical = (rel < 0.3) | (rel > 0.7)
    hu[skull] = np.where(cortical[skull], head.bone, 0.3 * head.bone)
    depth = depth_bone - f.skull_t  # below the inner table
    brain = depth > 0
    if z < -78 or z > head.top - head.scalp - 3:
        brain[:] = False
    rho = np.maximum(f.R0 * s - head.scalp - f.skull_t, 1.0)
    sulcus, grey = _sulci(f, head, z, depth, rho)
    hu[brain] = np.where(grey[brain], head.grey, head.white)
    surface_csf = brain & (depth < 1.0)
    fissure = brain & (np.abs(f.u) < 1.4) & (z > -12)
    sylvian = (
        brain
        & (-24 <= z <= 6)
        & (np.abs(f.v + 8 - 0.35 * (np.abs(f.u) - 22)) < 1.3)
        & (np.abs(f.u) > 22)
    )
    cistern = np.zeros_like(brain)
    if -32 <= z <= -14:
        r = np.hypot(f.u, f.v - 8)
        cistern = brain & (r > 11) & (r < 14.5)
    vent = brain & ventricles(f, head, z)
    csf_space = (brain & sulcus) | surface_csf | fissure | sylvian | cistern
    hu[csf_space | vent] = CSF
    falx = brain & (np.abs(f.u) < 0.5) & (z > -12) & (depth > 1)
    hu[falx] = 50.0
    _skull_base(f, z, brain, hu)
    for kind, (cu, cv, cz), radius, density in head.calcifications:
        r2 = (radius**2) - (z - cz) ** 2
        if r2 <= 0:
            continue
        if kind == "falx":
            spot = (np.abs(f.u - cu) < 1.2) & (np.abs(f.v - cv) < np.sqrt(r2))
        else:
            spot = _ellipse(f.u, f.v, cu, cv, np.sqrt(r2), np.sqrt(r2))
        hu[spot & brain] = density
    _streaks(f, head, z, inside, hu)
    regions.update(
        brain=brain,
        depth=depth,
        sulcal=(brain & sulcus) | surface_csf | sylvian | cistern,
        ventricle=vent,
    )
    return hu, regions


def bleed_mask(f: Frame, b: Bleed, z: float, regions: dict[str, np.ndarray]) -> np.ndarray | None:
    """Pixels of bleed b on the slice at height z, or None when it does not reach it."""
    g = b.shape
    zn = (z - g["z"]) / g["dz"]
    if abs(zn) >= 1 or "brain" not in regions:
        return None
    brain, depth = regions["brain"], regions["depth"]
    if b.subtype in ("epidural", "subdural"):
        tn = _angle_diff(f.theta, g["theta"]) / g["dtheta"]
        q2 = tn**2 + zn**2
        if b.subtype == "epidural":  # biconvex lens: thickness falls off quadratically
            thick = g["thickness"] * (1 - q2)
        else:  # crescent: nearly constant thickness, then tapering at its ends
            thick = g["thickness"] * (1 - q2**2)
        mask = brain & (depth < thick)
        if b.subtype == "subdural":
            mask &= f.u * g["side"] > 1.5  # stopped by the falx: never crosses the midline
        return mask
    if b.subtype == "subarachnoid":
        tn = _angle_diff(f.theta, g["theta"]) / g["dtheta"]
        return regions["sulcal"] & (tn**2 + zn**2 < 1)
    if b.subtype == "intraparenchymal":
        return brain & (_ellipsoid(f, g, z) < 1) & (depth > 2)
    if b.subtype == "intraventricular":
        return regions["ventricle"] & (f.v > g["level"])
    raise ValueError(f"unknown subtype {b.subtype!r}")


def _ellipsoid(f: Frame, g: dict, z: float) -> np.ndarray:
    """Normalised squared radius of an irregular ellipsoid (1 = its surface)."""
    du, dv = f.u - g["u"], f.v - g["v"]
    wobble = 1 + 0.15 * portable.sin(3 * portable.arctan2(dv, du) + g["lobes"])
    return ((du / g["ru"]) ** 2 + (dv / g["rv"]) ** 2) / wobble**2 + ((z - g["z"]) / g["dz"]) ** 2


def render(
    f: Frame, head: Head, bleeds: list[Bleed], z: float
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Noise-free, blurred HU image of the slice at height z and each subtype's mask on it."""
    hu, regions = anatomy(f, head, z)
    masks: dict[str, np.ndarray] = {}
    for b in sorted(bleeds, key=lambda b: SUBTYPES.index(b.subtype)):
        mask = bleed_mask(f, b, z, regions)
        if mask is None or not mask.any():
            continue
        if b.subtype == "intraparenchymal":
            rim = regions["brain"] & (_ellipsoid(f, b.shape, z) < b.shape["oedema"]) & ~mask
            hu[rim] = 16.0
        hu[mask] = b.density
        masks[b.subtype] = masks[b.subtype] | mask if b.subtype in masks else mask
    return blur(hu), masks


def blur(img: np.ndarray) -> np.ndarray:
    """Partial-volume blur: separable [1, 2, 1] / 4 binomial kernel, edges replicated."""
    p = np.pad(img, 1, mode="edge")
    rows = (p[:-2] + 2 * p[1:-1] + p[2:]) * 0.25
    return (rows[:, :-2] + 2 * rows[:, 1:-1] + rows[:, 2:]) * 0.25
