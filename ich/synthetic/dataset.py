"""Rendering a planned cohort into the RSNA 2019 layout: DICOM slices, label CSV, test set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ich.data.labels import long_format
from ich.dicom.write import SliceHeader, encode, truncate, write
from ich.files import publish, unpublished
from ich.jobs import pool_map, progress
from ich.rsna import LABELS, SHORT, SUBTYPES
from ich.synthetic.cohort import (
    TRUNCATED_ID,
    CohortSpec,
    SeriesPlan,
    orientation,
    plan,
    position,
)
from ich.synthetic.phantom import Frame, render

TRUNCATED_BYTES = 153_600  # the real corrupt file keeps ~153 KB of 524 KB


def slice_hu(p: SeriesPlan, frame: Frame, k: int, rng: np.random.Generator):
    """Final HU image of slice k (noise, field of view, metal) and its bleed masks."""
    z = p.z[k]
    hu, masks = render(frame, p.head, p.bleeds, z)
    hu += rng.standard_normal(hu.shape, dtype=np.float32) * np.float32(p.noise)
    if p.metal and z < -55:  # a dental filling: extreme values the reader must clip
        hu[(frame.u + 20) ** 2 + (frame.v + 72) ** 2 < 9] = 30000.0
    hu[~frame.fov] = p.outside_hu
    return hu, masks


def render_series(p: SeriesPlan, seed: int, out: Path) -> list[dict]:
    """Write every slice of one series; return one record per slice (areas in mm^2)."""
    rng = np.random.default_rng([seed, p.index])
    frame = Frame(p.head, p.grid)
    folder = out / f"stage_2_{p.split}"
    records = []
    for k in range(len(p.z)):
        hu, masks = slice_hu(p, frame, k, rng)
        sop = p.sop_uids[k]
        header = SliceHeader(
            sop_uid=sop,
            patient_id=p.patient_id,
            study_uid=p.study_uid,
            series_uid=p.series_uid,
            media_uid=p.media_uids[k],
            position=position(p, k),
            orientation=orientation(p),
            spacing=f"{p.grid.spacing:.9g}",
            encoding=p.encoding,
            intercept=p.intercept,
            window_center=p.window[0],
            window_width=p.window[1],
        )
        path = folder / f"{sop}.dcm"
        write(path, header, encode(hu, p.encoding, p.intercept))
        if sop in p.truncated:
            truncate(path, TRUNCATED_BYTES)
        pixel_mm2 = p.grid.spacing**2
        areas = {s: float(masks[s].sum()) * pixel_mm2 if s in masks else 0.0 for s in SUBTYPES}
        records.append(
            dict(
                ID=sop,
                split=p.split,
                PatientID=p.patient_id,
                SeriesInstanceUID=p.series_uid,
                slice=k,
                z_mm=round(p.z[k], 3),
                encoding=p.encoding,
                **{f"{s}_mm2": round(a, 2) for s, a in areas.items()},
            )
        )
    return records


def _render_one(job: tuple[SeriesPlan, int, Path]) -> list[dict]:
    return render_series(*job)


def render_all(plans: list[SeriesPlan], seed: int, out: Path, workers: int) -> pd.DataFrame:
    """Render all series with `workers` processes; records come back in plan order."""
    for split in ("train", "test"):
        (out / f"stage_2_{split}").mkdir(parents=True, exist_ok=True)
    jobs = [(p, seed, out) for p in plans]
    total = sum(len(p.z) for p in plans)
    records: list[dict] = []
    with progress(total=total, unit="slice", desc="synthesize") as bar:
        for rows in pool_map(_render_one, jobs, workers):
            records.extend(rows)
            bar.update(len(rows))
    return pd.DataFrame.from_records(records)


def labels_from_areas(truth: pd.DataFrame, min_visible_mm2: float) -> pd.DataFrame:
    """A slice is positive for a subtype when that bleed's visible area reaches the threshold."""
    out = pd.DataFrame({"ID": truth["ID"]})
    for s in SUBTYPES:
        out[s] = (truth[f"{s}_mm2"] >= min_visible_mm2).astype(int)
    out["any"] = out[list(SUBTYPES)].max(axis=1)
    return out


def synthesize(spec: CohortSpec, options: dict, out: Path, workers: int) -> dict:
    """Write the whole dataset to `out` (atomically) and return its summary figures."""
    plans = plan(spec)
    tmp = unpublished(out, ".tmp")
    truth = render_all(plans, spec.seed, tmp, workers)
    labels = labels_from_areas(truth, options["min_visible_mm2"])
    rng = np.random.default_rng([spec.seed, 1])
    train = labels[truth["split"] == "train"]
    candidates = train.loc[train["ID"] != TRUNCATED_ID, "ID"].to_numpy()
    dups = list(rng.choice(candidates, min(options["duplicated_ids"], len(candidates)), False))
    long_format(train, dups, rng).to_csv(tmp / "stage_2_train.csv", index=False)
    test = labels[truth["split"] == "test"].assign(**{s: 0.5 for s in LABELS})
    long_format(test).to_csv(tmp / "stage_2_sample_submission.csv", index=False)
    truth.join(labels[list(LABELS)]).to_csv(tmp / "truth.csv", index=False)
    publish(tmp, out)
    return summary(plans, truth, labels, dups)


def pair_counts(labels: pd.DataFrame) -> dict[str, int]:
    """Slices carrying each pair of subtypes, most frequent first (RSNA: IPH+IVH leads)."""
    counts = {
        f"{SHORT[a]}+{SHORT[b]}": int((labels[a] & labels[b]).sum())
        for i, a in enumerate(SUBTYPES)
        for b in SUBTYPES[i + 1 :]
    }
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def summary(plans: list[SeriesPlan], truth: pd.DataFrame, labels: pd.DataFrame, dups) -> dict:
    train = truth["split"] == "train"
    enc = truth.loc[train, "encoding"].value_counts(normalize=True)
    train_plans = [p for p in plans if p.split == "train"]
    return {
        "train_images": int(train.sum()),
        "test_images": int((~train).sum()),
        "patients": len({p.patient_id for p in train_plans}),
        "series": len(train_plans),
        "duplicated_ids": len(dups),
        "prevalence": {s: round(float(labels.loc[train, s].mean()), 4) for s in LABELS},
        "multi_label_share_of_positives": round(
            float(
                (labels.loc[train, list(SUBTYPES)].sum(axis=1) > 1).sum()
                / max(1, labels.loc[train, "any"].sum())
            ),
            4,
        ),
        "pairs": pair_counts(labels[train]),
        "epidural_alone_share": round(
            float(
                (labels.loc[train, list(SUBTYPES)].sum(axis=1) == 1)[
                    labels.loc[train, "epidural"] == 1
                ].mean()
            ),
            4,
        ),
        "encodings": {k: round(float(v), 4) for k, v in sorted(enc.items())},
        "odd_size_images": int(
            sum(len(p.z) for p in train_plans if p.grid.rows != 512 or p.grid.cols != 512)
        ),
        "tilted_series": sum(p.tilt_deg > 0 for p in train_plans),
        "truncated_files": sum(len(p.truncated) for p in plans),
    }
