"""The folds of the real-CT cross-validation's DVC stages: the `cv` params section, and the
patients dealt to folds once (`ich.data.splits.patient_folds`, as every cross-validation here)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field, field_validator

from ich.data.splits import patient_folds
from ich.pipeline import paths
from ich.spec import Count, OpenFraction, Spec


class CVSpec(Spec):
    """The `cv` section of real-ct/params.yaml."""

    folds: list[int] = Field(min_length=2)  # the folds' numbers, 0..k-1: one fit stage each
    fold_seed: Count  # which patients share a fold
    seeds: list[int] = Field(min_length=1)  # a network is trained once per seed and fold
    model: Literal["network", "density"]  # the recipe: the slice CNN, or the HU regression
    val_fraction: OpenFraction  # of a fold's training patients: they stop the network early

    @field_validator("folds")
    @classmethod
    def _numbered(cls, folds: list[int]) -> list[int]:
        if folds != list(range(len(folds))):
            raise ValueError(f"number the folds 0..{len(folds) - 1} in order (got {folds})")
        return folds


def deal_folds(table: pd.DataFrame, spec: CVSpec) -> pd.DataFrame:
    """PatientID -> fold, one row per patient, as every cross-validation deals them."""
    fold_of = patient_folds(table, len(spec.folds), spec.fold_seed)
    return pd.DataFrame({"PatientID": list(fold_of), "fold": list(fold_of.values())})


def fold_map(folds: pd.DataFrame) -> dict[str, int]:
    return dict(zip(folds["PatientID"], folds["fold"].astype(int), strict=True))


def labelled_table(workspace: Path = Path(".")) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The decoded index of a folder where the data stages ran, and its rows merged with their
    labels."""
    index = pd.read_csv(workspace / paths.INDEX)
    labels = pd.read_csv(workspace / paths.LABELS)
    return index, index.merge(labels, on="ID", how="inner", validate="one_to_one")
