"""How fast `predict` decodes and infers, each beside its yardstick, on the same >= 20,000
slices (copies of the embedded dataset with new UIDs, as benchmarks/predict_memory.py makes
them; page cache warm, every file read once first):

- decoding: predict's one-pass decode (`ich.data.scans.decode_images`: DICOM -> base grid ->
  the model's image) against the decode stage's own (`ich.data.decode.read_sharded` with the
  stage's conversion: DICOM -> base grid), both sharded over the same workers;
- inference: predict's embedding of the decoded images (`embed_index`: batches of 256 read
  through `MappedRows`) against the slice model's bare `model.predict` on the same images held
  in memory, batch size 256.
Each figure is the median of --repeats runs. Needs the committed model (run `make repro` first).
Usage: python benchmarks/predict_speed.py [--copies 4] [--workers 2] [--repeats 3]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the stages do

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks.predict_memory import SOURCE, write_copy  # noqa: E402
from ich.data.decode import read_sharded, store_base  # noqa: E402
from ich.data.extract import Settings  # noqa: E402
from ich.data.scans import decode_images  # noqa: E402
from ich.data.shards import Rows  # noqa: E402
from ich.pipeline import paths  # noqa: E402


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    prep = json.loads(paths.SLICE_CARD.read_text())
    s = Settings.from_card(prep)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = []
        for c in range(args.copies):
            write_copy(sorted(SOURCE.glob("*.dcm")), c, tmp / f"copy_{c}")
            files += sorted(str(f) for f in (tmp / f"copy_{c}").glob("*.dcm"))
        for f in files:  # warm: both decoders read from memory
            Path(f).read_bytes()
        stage = partial(
            read_sharded, files, tmp / "codes.npy", Rows((s.base, s.base), "uint16"),
            partial(store_base, s.base), "bench", args.workers, 1.0, 1024, "decode stage",
        )  # fmt: skip
        scans = partial(decode_images, files, tmp / "images.npy", s, args.workers)
        decode_t = {"stage": [], "predict": []}
        for _ in range(args.repeats):  # interleaved
            decode_t["stage"].append(timed(stage))
            decode_t["predict"].append(timed(scans))
        index, _ = scans()
        infer(tmp / "images.npy", index, prep, args.repeats, len(files), decode_t)


def infer(images_path: Path, index, prep: dict, repeats: int, n_files: int, decode_t) -> None:
    import keras

    from ich.model.embedding import embed_index
    from ich.predict import MappedRows

    model = keras.saving.load_model(paths.SLICE_MODEL, compile=False)
    rows = np.sort(index["row"].to_numpy())
    in_memory = np.load(images_path)[rows]
    embed_t, bare_t = [], []
    for _ in range(repeats):
        embed_t.append(timed(lambda: embed_index(model, prep, MappedRows(images_path), index)))
        bare_t.append(timed(lambda: model.predict(in_memory, batch_size=256, verbose=0)))
    med = {k: statistics.median(v) for k, v in decode_t.items()}
    n = len(rows)
    print(f"{n_files} files, {n} slices, {prep['resolution']} px model, medians of {repeats}")
    print(f"decode stage (DICOM -> base grid)        {n_files / med['stage']:7.0f} slices/s")
    print(f"predict's decode (DICOM -> image)        {n_files / med['predict']:7.0f} slices/s")
    print(f"  predict / stage: {med['stage'] / med['predict']:.2f} (target >= 0.67, 1 / 1.5)")
    embed, bare = statistics.median(embed_t), statistics.median(bare_t)
    print(f"predict's inference (embed, batches 256) {n / embed:7.0f} images/s")
    print(f"bare model.predict, in memory, 256       {n / bare:7.0f} images/s")
    print(f"  predict / bare: {bare / embed:.2f}")


if __name__ == "__main__":
    main()
