"""Compare datasets' HU scales: the brain away from the skull, on slices without blood.

    python -m ich hu-scales --set CT-ICH=data/real-ct/workspace --set phantom=. \\
        --set RSNA=/data/rsna/stage_2_test --out reports/hu_scales.png --table docs/hu-scales.md

Each --set is NAME=FOLDER: a project or workspace where the decode ran (its slices without a
label are measured), or a folder of DICOMs (decoded here onto --base; every slice). Writes the
pooled densities as a figure (--out), the figures as JSON beside it and, with --table, a
markdown table. Why it matters: docs/hu-features.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ich.cli import command


def add_parser(commands) -> None:
    ap = command(commands, "hu-scales", "compare datasets' brain HU (calibration)", __doc__)
    ap.add_argument("--set", action="append", required=True, metavar="NAME=FOLDER")
    ap.add_argument("--out", type=Path, default=Path("reports/hu_scales.png"))
    ap.add_argument("--table", type=Path, help="also write the figures as a markdown table")
    ap.add_argument("--base", type=int, default=256, help="decode grid for DICOM folders")
    ap.add_argument("--max-slices", type=int, default=1500, help="per set, evenly spaced")
    ap.add_argument("--workers", type=int, help="decoding processes (default: all cores)")
    ap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ich.errors import InputError
    from ich.eval.hu_scales import markdown, of_folder, plot
    from ich.files import write_json
    from ich.jobs import worker_count

    scales = {}
    for item in args.set:
        name, sep, folder = item.partition("=")
        if not sep or not name or not Path(folder).is_dir():
            raise InputError(f"--set {item}: expected NAME=FOLDER with an existing folder")
        scales[name] = of_folder(
            Path(folder), args.base, worker_count(args.workers), args.max_slices
        )
    plot(scales, args.out)
    write_json(args.out.with_suffix(".json"), scales)
    if args.table:
        sets = " ".join(f"--set {name}=..." for name in scales)
        command = f"python -m ich hu-scales {sets} --out {args.out.as_posix()}"
        args.table.parent.mkdir(parents=True, exist_ok=True)
        args.table.write_text(markdown(scales, command))
    for name, s in scales.items():
        print(
            f"hu-scales: {name}: {s['slices']} slices, deep brain median {s['median_mean_hu']} "
            f"HU, 99th percentile {s['median_p99_hu']} HU, {s['share_50_90']:.2%} at 50-90 HU"
        )
    return 0
