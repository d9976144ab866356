"""The labels stage: one row per image, duplicates counted, bad rows named."""

from __future__ import annotations

import pandas as pd
import pytest

from ich.data.labels import LabelError, to_wide
from ich.rsna import LABELS


def long_rows(image: str, values: list[int]) -> list[tuple[str, str]]:
    return [(f"{image}_{s}", str(v)) for s, v in zip(LABELS, values, strict=True)]


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["ID", "Label"])


def test_pivot_and_duplicates():
    rows = long_rows("ID_aaaaaaaaa", [0, 1, 1, 0, 0, 1]) + long_rows("ID_bbbbbbbbb", [0] * 6)
    rows += long_rows("ID_aaaaaaaaa", [0, 1, 1, 0, 0, 1])  # an identical repeat, as in RSNA
    wide, report = to_wide(frame(rows))
    assert list(wide.columns) == ["ID", *LABELS]
    assert wide["ID"].tolist() == ["ID_aaaaaaaaa", "ID_bbbbbbbbb"]
    assert wide.iloc[0][list(LABELS)].tolist() == [0, 1, 1, 0, 0, 1]
    assert report["duplicate_ids_dropped"] == 1 and report["images"] == 2


def test_any_fixed_when_a_subtype_is_positive():
    wide, report = to_wide(frame(long_rows("ID_aaaaaaaaa", [1, 0, 0, 0, 0, 0])))
    assert wide["any"].tolist() == [1]
    assert report["any_fixed_to_or_of_subtypes"] == 1


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (long_rows("ID_aaaaaaaaa", [0] * 5 + [2]), r"label not 0/1: line 7: ID_aaaaaaaaa_any,2"),
        ([("ID_aaaaaaaaa_chronic", "0")], r"unknown subtype: line 2: ID_aaaaaaaaa_chronic"),
        ([("aaaa", "0")], r"malformed ID .*line 2: aaaa"),
        (long_rows("ID_aaaaaaaaa", [0] * 6)[:5], r"without all 6 rows: ID_aaaaaaaaa"),
        (long_rows("ID_aaaaaaaaa", [0, 0, 0, 0, 0, 1]), r"'any' is 1 but no subtype is"),
        (
            long_rows("ID_aaaaaaaaa", [0] * 6) + [("ID_aaaaaaaaa_any", "1")],
            r"different labels: line 8",
        ),
    ],
)
def test_malformed_input_names_rows(rows, message):
    with pytest.raises(LabelError, match=message):
        to_wide(frame(rows))
