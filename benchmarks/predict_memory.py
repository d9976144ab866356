"""Peak memory and speed of `python -m ich predict` at two input sizes: bounded memory means the
peak does not grow with the number of slices.

The inputs are copies of the embedded dataset's labelled slices (run `make repro` first), each
copy with new SOP and series UIDs written into the files (same lengths), so every copy is a
new set of series. Each size runs in a fresh process under /usr/bin/time -v; prints slices,
seconds, slices/s and the maximum resident set size.
Usage: python benchmarks/predict_memory.py [--copies 4] [--workers 2]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from ich.dicom.fast import read
from ich.pipeline import paths

SOURCE = paths.SOURCE / "stage_2_train"


def new_uid(uid: str, copy: int) -> str:
    """Another ID of the same length (ID_ + hex), the same for every file of one copy."""
    digest = hashlib.md5(f"{uid}/{copy}".encode()).hexdigest()
    return uid[:3] + digest[: len(uid) - 3]


def write_copy(files: list[Path], copy: int, folder: Path) -> None:
    folder.mkdir(parents=True)
    for f in files:
        data = f.read_bytes()
        try:
            series = read(f).SeriesInstanceUID
        except Exception:  # noqa: BLE001 - the truncated file: copied as it is
            series = None
        for uid in (f.stem, series):
            if uid:
                data = data.replace(uid.encode(), new_uid(uid, copy).encode())
        (folder / f"{new_uid(f.stem, copy)}.dcm").write_bytes(data)


def measure(folders: list[Path], workers: int, out: Path) -> tuple[int, float, float]:
    """(slices predicted, seconds, peak RSS in GB) of one predict run."""
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "ich", "predict", *map(str, folders)]
    cmd += ["--out", str(out), "--workers", str(workers)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    text = done.stdout + done.stderr
    slices, seconds = re.search(r"predicted (\d+) slices of \d+ files in ([\d.]+) s", text).groups()
    peak_kb = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)
    return int(slices), float(seconds), int(peak_kb) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--copies", type=int, default=4, help="the larger input: this many copies")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    files = sorted(SOURCE.glob("*.dcm"))
    if not files:
        raise SystemExit(f"{SOURCE}: no slices (run `make repro` first)")
    with tempfile.TemporaryDirectory() as tmp:
        folders = [Path(tmp) / f"copy_{c}" for c in range(args.copies)]
        for c, folder in enumerate(folders):
            write_copy(files, c, folder)
        print("| copies | slices | seconds | slices/s | peak RSS |")
        print("|---|---|---|---|---|")
        for n in (1, args.copies):
            slices, seconds, peak = measure(folders[:n], args.workers, Path(tmp) / "sub.csv")
            print(f"| {n} | {slices} | {seconds:.1f} | {slices / seconds:.0f} | {peak:.2f} GB |")


if __name__ == "__main__":
    main()
