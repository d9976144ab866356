"""RSNA's long label CSV (`ID_<image>_<subtype>,Label`) -> one row per image, validated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ich.errors import InputError
from ich.rsna import LABELS, SUBTYPES

ID_PATTERN = r"^(ID_[0-9a-fA-F]+)_([a-z]+)$"
SHOW = 5  # offending rows named in an error


class LabelError(InputError):
    """A label file that cannot be used as it is."""


def _rows(frame: pd.DataFrame, mask: pd.Series) -> str:
    """The first offending rows as 'line N: ID,Label' (line numbers of the CSV file)."""
    bad = frame[mask].head(SHOW)
    return "; ".join(
        f"line {i + 2}: {r.ID},{r.Label}" for i, r in zip(bad.index, bad.itertuples(), strict=False)
    )


def read_long(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise LabelError(f"{path}: cannot read as CSV ({e})") from e
    if list(frame.columns) != ["ID", "Label"]:
        raise LabelError(f"{path}: expected columns ID,Label, found {','.join(frame.columns)}")
    return frame


def to_wide(long: pd.DataFrame, source: str = "labels") -> tuple[pd.DataFrame, dict]:
    """Validated one-row-per-image table (ID + LABELS as 0/1) and a report of what was fixed."""
    parts = long["ID"].str.extract(ID_PATTERN)
    bad_id = parts[0].isna()
    if bad_id.any():
        raise LabelError(f"{source}: malformed ID (want ID_<hex>_<subtype>): {_rows(long, bad_id)}")
    unknown = ~parts[1].isin(LABELS)
    if unknown.any():
        raise LabelError(f"{source}: unknown subtype: {_rows(long, unknown)}")
    bad_label = ~long["Label"].str.strip().isin(["0", "1"])
    if bad_label.any():
        raise LabelError(f"{source}: label not 0/1: {_rows(long, bad_label)}")
    table = pd.DataFrame(
        {"ID": parts[0], "subtype": parts[1], "Label": long["Label"].str.strip().astype(int)}
    )
    repeated = table.duplicated(["ID", "subtype"], keep="first")
    same = table.duplicated(["ID", "subtype", "Label"], keep="first")
    conflict = repeated & ~same
    if conflict.any():
        raise LabelError(
            f"{source}: same ID listed twice with different labels: {_rows(long, conflict)}"
        )
    dropped_images = table.loc[repeated, "ID"].nunique()
    table = table[~repeated]
    wide = table.pivot(index="ID", columns="subtype", values="Label").reindex(columns=list(LABELS))
    incomplete = wide.isna().any(axis=1)
    if incomplete.any():
        ids = ", ".join(wide.index[incomplete][:SHOW])
        raise LabelError(f"{source}: {int(incomplete.sum())} image(s) without all 6 rows: {ids}")
    wide = wide[list(LABELS)].astype(int).sort_index()
    either = wide[list(SUBTYPES)].max(axis=1)
    orphan_any = (wide["any"] == 1) & (either == 0)
    if orphan_any.any():
        ids = ", ".join(wide.index[orphan_any][:SHOW])
        raise LabelError(f"{source}: 'any' is 1 but no subtype is: {ids}")
    # A positive subtype with any=0: the subtype is the more specific statement, so any := 1.
    fixed_any = (wide["any"] == 0) & (either == 1)
    wide.loc[fixed_any, "any"] = 1
    wide = wide.reset_index()
    report = {
        "rows": int(len(long)),
        "images": int(len(wide)),
        "duplicate_ids_dropped": int(dropped_images),
        "any_fixed_to_or_of_subtypes": int(fixed_any.sum()),
        "prevalence": {s: round(float(wide[s].mean()), 4) for s in LABELS},
    }
    return wide, report


def long_format(
    wide: pd.DataFrame, duplicate_ids: list[str] = (), rng: np.random.Generator | None = None
) -> pd.DataFrame:
    """RSNA's `ID,Label` rows, six per image in LABELS order; `duplicate_ids` listed twice."""
    table = pd.concat([wide, wide[wide["ID"].isin(list(duplicate_ids))]], ignore_index=True)
    if rng is not None:  # the real file lists images in no particular order
        table = table.iloc[rng.permutation(len(table))]
    ids = pd.Series(np.repeat(table["ID"].to_numpy(), len(LABELS)))
    subtypes = pd.Series(np.tile(np.array(LABELS, dtype=object), len(table)))
    labels = table[list(LABELS)].to_numpy().reshape(-1)
    return pd.DataFrame({"ID": ids + "_" + subtypes, "Label": labels})
