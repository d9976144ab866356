"""Figures the docs state are generated from committed files: a test fails when they differ."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# each generated table and the folder of kfold summaries it was generated from
TABLES = [
    (ROOT / "docs" / "real-ct-levers.md", ROOT / "reports" / "real-ct" / "levers"),
    (ROOT / "docs" / "real-ct-seeds.md", ROOT / "reports" / "real-ct" / "cpu"),
]


def table_rows(path: Path) -> dict[str, list[str]]:
    """Recipe name -> its cells, from the markdown table."""
    rows = {}
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) > 5 and cells[0] != "recipe":
            rows[cells[0]] = cells
    return rows


@pytest.mark.parametrize(("doc", "folder"), TABLES, ids=lambda x: x.name)
def test_the_levers_tables_state_the_committed_cross_validation(doc, folder):
    rows = table_rows(doc)
    summaries = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    assert set(rows) == set(summaries)
    for name, cells in rows.items():
        s = summaries[name]
        assert cells[1] == ",".join(map(str, s["seeds"]))
        for cell, model in ((cells[2], "series_model"), (cells[4], "slice_model")):
            auc = s[model]["any"]
            assert cell == f"{auc['auc']:.3f} [{auc['low']:.3f}, {auc['high']:.3f}]", name
        assert cells[3] == f"{s['series_model']['weighted_log_loss']['value']:.4f}", name
        assert cells[5] == f"{s['slice_model']['weighted_log_loss']['value']:.4f}", name
        assert (folder / f"{name}.csv.gz").is_file()


@pytest.mark.parametrize(("doc", "folder"), TABLES, ids=lambda x: x.name)
def test_the_levers_tables_name_the_command_that_made_them(doc, folder):
    head = doc.read_text().split("|")[0]
    out = folder.relative_to(ROOT).as_posix()
    assert re.search(rf"python -m ich levers \S+ --table-only --out {out}", head)


def test_the_zero_shot_page_states_the_committed_report():
    report = json.loads((ROOT / "reports" / "external" / "ct-ich-phantom-default.json").read_text())
    page = (ROOT / "docs" / "zero-shot-ct-ich.md").read_text()
    for label, r in report["labels"].items():
        cell = f"| {label} | {r['auc']:.3f} [{r['auc_ci95_low']:.3f}, {r['auc_ci95_high']:.3f}] |"
        assert cell in page, label
    assert f"| the model | {report['model']['weighted_log_loss']:.4f} |" in page


def test_the_generated_blocks_state_the_committed_outputs():
    """`python -m ich docs --check`: every generated block equals what its files give."""
    from ich.docs import stale

    assert stale(ROOT) == [], "run `python -m ich docs` (make docs) after `dvc repro`"


def test_a_changed_figure_makes_its_block_stale(tmp_path):
    import shutil

    from ich.docs import stale

    for name in ("README.md", "docs", "reports", "metrics"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, tmp_path / name)
    report = json.loads((ROOT / "reports" / "holdout.json").read_text())
    report["labels"]["subdural"]["auc"] = round(report["labels"]["subdural"]["auc"] - 0.01, 4)
    (tmp_path / "reports" / "holdout.json").write_text(json.dumps(report))
    assert stale(tmp_path) == [
        "README.md: block(s) holdout out of date",
        "docs/results.md: block(s) holdout out of date",
    ]


PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# what a clone does not have, and the tracker, which readers of the docs cannot see
NOT_IN_A_CLONE = re.compile(
    r"\.\./shared|shared/(?:tools|docs|fixtures)|DOMAIN\.md|SEED\.md|ARCHITECTURE\.md"
)
TRACKER = re.compile(r"\bissues? #?\d+|(?<![\w&/])#\d+\b", re.I)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_pages_cite_only_what_the_repository_holds(page):
    text = page.read_text()
    assert not NOT_IN_A_CLONE.findall(text), NOT_IN_A_CLONE.findall(text)
    assert not TRACKER.findall(text), TRACKER.findall(text)
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if not target.startswith(("http://", "https://", "mailto:")):
            assert (page.parent / target).exists(), f"{page.name} links to {target}"


def test_the_readme_is_a_front_door():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 250
    head = "\n".join(lines[:40])
    for must in ("make repro", "make test", "data.source=", "train.backend=jax"):
        assert must in head, f"{must!r} not in the README's first 40 lines"
