"""Extraction from the decoded codes: the direct route's bytes, row for row, on any number of
workers; a grid finer than the base refused by name; new scans (`predict`) get the same bytes
in one pass."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ich.data import extract, scans
from ich.data.decode import decode
from ich.data.extract import ExtractSpec, Settings
from ich.dicom.read import read_dataset
from ich.errors import InputError

WINDOWS = ((40.0, 80.0), (80.0, 200.0), (600.0, 2800.0))
BASE = 128


@pytest.fixture(scope="module")
def decoded(tiny_dataset, tmp_path_factory):
    """The tiny dataset decoded onto a 128 px base: (folder, codes file, index, areas)."""
    folder = tiny_dataset[0] / "stage_2_train"
    ids = sorted(set(pd.read_csv(tiny_dataset[0] / "stage_2_train.csv")["ID"].str[:12]))
    codes = tmp_path_factory.mktemp("decoded") / "codes.npy"
    index, _, areas = decode(ids, folder, codes, BASE, workers=2, shard_size=16)
    return folder, codes, index, areas


def run(decoded, out, s: Settings, workers: int) -> np.ndarray:
    _, codes, _, areas = decoded
    extract.extract(codes, areas, out, s, workers)
    return np.load(out)


@pytest.mark.parametrize(("resolution", "window_at"), [(32, 128), (64, None), (32, 64)])
def test_images_are_the_direct_routes_row_for_row(decoded, tmp_path, resolution, window_at):
    """512 x 512 slices: the same bytes as decoding each file straight to the image; odd sizes
    (averaged onto the base in floats): at most one grey level apart. Rejected rows: blank."""
    folder, _, index, areas = decoded
    s = Settings(resolution, WINDOWS, window_at, BASE, shard_size=16)
    images = run(decoded, tmp_path / "images.npy", s, workers=2)
    assert images.shape == (len(areas), resolution, resolution, 3)
    assert not images[areas == 0].any() and (areas == 0).sum() == 1, "the truncated file"
    exact = 0
    for r in index.itertuples():
        ds = read_dataset(folder / f"{r.ID}.dcm")
        whole = ds.Rows == ds.Columns == 512
        want = scans.preprocessed(ds, s)
        diff = np.abs(images[r.row].astype(int) - want).max()
        exact += whole
        assert diff <= (0 if whole else 1), (r.ID, areas[r.row], diff)
    assert 0.8 * len(index) < exact < len(index), "odd sizes too"


def test_one_and_two_workers_give_identical_bytes(decoded, tmp_path):
    s = Settings(32, WINDOWS, 128, BASE, shard_size=7)
    one = run(decoded, tmp_path / "one.npy", s, workers=1)
    two = run(decoded, tmp_path / "two.npy", s, workers=2)
    assert one.tobytes() == two.tobytes() and one.any()


def test_a_grid_finer_than_the_base_is_refused_by_name():
    spec = ExtractSpec(resolution=128, windows=WINDOWS, window_at=512)
    with pytest.raises(InputError, match=r"extract.window_at = 512 .*decode.resolution = 256"):
        spec.settings(base=256)
    with pytest.raises(InputError, match=r"extract.resolution = 128 .*decode.resolution = 64"):
        ExtractSpec(resolution=128, windows=WINDOWS, window_at=None).settings(base=64)
    assert spec.settings(base=512).base == 512


@pytest.mark.parametrize("crop", [None, "head"])
def test_new_scans_get_the_pipelines_bytes_in_one_pass(decoded, tmp_path, crop):
    """`predict` decodes and derives at once: the bytes decode + extract give, odd sizes and
    head crops too."""
    folder, _, index, _ = decoded
    s = Settings.from_card(Settings(32, WINDOWS, 64, BASE, shard_size=16, crop=crop).card())
    images = run(decoded, tmp_path / "pipeline.npy", s, workers=1)
    files = [str(folder / f"{i}.dcm") for i in index["ID"]]
    got_index, rejected = scans.decode_images(files, tmp_path / "scans.npy", s, workers=2)
    assert rejected.empty and got_index["ID"].tolist() == index["ID"].tolist()
    assert np.array_equal(np.load(tmp_path / "scans.npy"), images[index["row"].to_numpy()])


def float_route(ds, s: Settings) -> np.ndarray:
    """The general route: float HU, pad, area resize, window."""
    from ich.data.image import preprocess
    from ich.dicom.read import stored_pixels, to_hu

    return preprocess(to_hu(stored_pixels(ds), ds), s.resolution, list(s.windows), s.window_at)


@pytest.mark.parametrize("which", ["fixture", "synthetic"])
def test_integer_route_gives_the_float_routes_bytes(which, request, tiny_dataset):
    """The direct route's fast path (12-bit HU codes, exact block sums, a lookup table) is
    taken by every RSNA-like file and gives exactly the bytes of the general float route."""
    from ich.dicom.read import hu_codes, stored_pixels

    if which == "fixture":
        files = request.getfixturevalue("fixture_files")
    else:
        folder = tiny_dataset[0] / "stage_2_train"
        files = [p for p in sorted(folder.glob("*.dcm")) if p.stem != "ID_6431af929"]
    taken = 0
    for resolution, window_at in ((16, None), (64, None), (128, None), (64, 256), (128, 512)):
        s = Settings(resolution, WINDOWS, window_at)
        for path in files:
            ds = read_dataset(path)
            taken += hu_codes(stored_pixels(ds), ds) is not None
            expected = float_route(ds, s)  # first: preprocessed consumes the read buffer
            assert np.array_equal(scans.preprocessed(ds, s), expected), (path.name, s)
    assert taken == 5 * len(files), "every RSNA encoding qualifies for the integer route"
