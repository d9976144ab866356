"""Stage `labels`: RSNA long label CSV -> data/labels.csv, one row per image."""

from __future__ import annotations

from ich import params
from ich.cli import run
from ich.labels import read_long, to_wide
from ich.reports import write_csv, write_json


def main() -> None:
    p = params.load()
    source = params.existing_path(p, "data.labels_csv")
    wide, report = to_wide(read_long(source), str(source))
    write_csv("data/labels.csv", wide)
    write_json("metrics/labels.json", report)
    print(
        f"labels: {report['images']} images, "
        f"{report['duplicate_ids_dropped']} duplicate IDs dropped"
    )


if __name__ == "__main__":
    run(main)
