"""Stage `decode`: labelled DICOMs -> data/decoded/ (HU codes on the base grid, index,
rejected). The only stage that reads the DICOMs."""

from __future__ import annotations

import os

# Parallelism comes from worker processes; BLAS threads on top would oversubscribe the cores
# (measured: 2 workers x 2 OpenBLAS threads ran 10x slower than 2 x 1).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from ich.cli import sharded_options  # noqa: E402
from ich.data.decode import DecodeSpec, decode, summarise  # noqa: E402
from ich.data.manifest import verify  # noqa: E402
from ich.files import write_csv, write_json, write_npy  # noqa: E402
from ich.machine import machine  # noqa: E402
from ich.pipeline import params, paths  # noqa: E402
from ich.pipeline.stage import run  # noqa: E402


def main() -> None:
    workers, shard_size = sharded_options(__doc__)
    p = params.load()
    spec = params.section(p, "decode", DecodeSpec)
    dicom_dir = params.existing_path(p, "data.dicom_dir", Path.is_dir)
    verify(dicom_dir, paths.MANIFEST)
    ids = pd.read_csv(paths.LABELS, usecols=["ID"])["ID"].tolist()
    start = time.perf_counter()
    index, rejected, areas = decode(
        ids,
        dicom_dir,
        paths.CODES,
        spec.resolution,
        workers,
        spec.max_rejected_fraction,
        shard_size,
    )
    seconds = time.perf_counter() - start
    write_npy(paths.AREAS, areas)
    write_csv(paths.INDEX, index)
    write_csv(paths.REJECTED, rejected)
    env = machine()
    write_json(paths.DECODE_REPORT, summarise(index, rejected, len(ids)) | {"numpy": env["numpy"]})
    write_json(paths.DECODE_MACHINE, env)  # not an output: it names this machine's CPU
    print(f"decode: {len(index)} slices, {len(rejected)} rejected, {len(ids) / seconds:.0f}/s")


if __name__ == "__main__":
    run(main)
