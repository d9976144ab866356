"""Stage `labels`: RSNA long label CSV -> data/labels.csv, one row per image."""

from __future__ import annotations

from ich.data.labels import read_long, to_wide
from ich.files import write_csv, write_json
from ich.pipeline import params, paths
from ich.pipeline.stage import run


def main() -> None:
    p = params.load()
    source = params.existing_path(p, "data.labels_csv")
    wide, report = to_wide(read_long(source), str(source))
    write_csv(paths.LABELS, wide)
    write_json(paths.LABELS_REPORT, report)
    print(
        f"labels: {report['images']} images, "
        f"{report['duplicate_ids_dropped']} duplicate IDs dropped"
    )


if __name__ == "__main__":
    run(main)
