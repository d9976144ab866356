"""Figures the docs state are generated from committed files: a test fails when they differ."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEVERS_DOC = ROOT / "docs" / "real-ct-levers.md"
LEVERS_DIR = ROOT / "reports" / "real-ct" / "levers"


def table_rows(path: Path) -> dict[str, list[str]]:
    """Recipe name -> its cells, from the markdown table."""
    rows = {}
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) > 5 and cells[0] != "recipe":
            rows[cells[0]] = cells
    return rows


def test_the_levers_table_states_the_committed_cross_validation():
    rows = table_rows(LEVERS_DOC)
    summaries = {p.stem: json.loads(p.read_text()) for p in LEVERS_DIR.glob("*.json")}
    assert set(rows) == set(summaries)
    for name, cells in rows.items():
        s = summaries[name]
        assert cells[1] == ",".join(map(str, s["seeds"]))
        for cell, model in ((cells[2], "series_model"), (cells[4], "slice_model")):
            auc = s[model]["any"]
            assert cell == f"{auc['auc']:.3f} [{auc['low']:.3f}, {auc['high']:.3f}]", name
        assert cells[3] == f"{s['series_model']['weighted_log_loss']['value']:.4f}", name
        assert cells[5] == f"{s['slice_model']['weighted_log_loss']['value']:.4f}", name
        assert (LEVERS_DIR / f"{name}.csv.gz").is_file()


def test_the_levers_table_names_the_command_that_made_it():
    head = LEVERS_DOC.read_text().split("|")[0]
    assert re.search(r"python -m ich levers \S+ --table-only --out reports/real-ct/levers", head)


def test_the_zero_shot_page_states_the_committed_report():
    report = json.loads((ROOT / "reports" / "external" / "ct-ich-phantom-default.json").read_text())
    page = (ROOT / "docs" / "zero-shot-ct-ich.md").read_text()
    for label, r in report["labels"].items():
        cell = f"| {label} | {r['auc']:.3f} [{r['auc_ci95_low']:.3f}, {r['auc_ci95_high']:.3f}] |"
        assert cell in page, label
    assert f"| the model | {report['model']['weighted_log_loss']:.4f} |" in page
