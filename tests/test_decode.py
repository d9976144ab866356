"""Decoding: every encoding to the same codes, every rejection reason, resume, workers."""

from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pydicom
import pytest
from pydicom.encaps import encapsulate

from ich.data import decode, shards
from ich.data.decode import store_base
from ich.dicom.read import read_slice
from ich.dicom.write import SliceHeader, dataset, encode, write
from tests.conftest import THE_FIXTURE

BASE = 128


def run_decode(ids, folder, codes: Path, workers: int, max_rejected: float = 1.0):
    return decode.decode(ids, folder, codes, BASE, workers, max_rejected, shard_size=7)


def header(sop: str, encoding: str, intercept: int) -> SliceHeader:
    return SliceHeader(
        sop,
        "ID_0000aaaa",
        "ID_00000000aa",
        "ID_00000000bb",
        "9999.1",
        ("-125", "-125", "100"),
        ("1", "0", "0", "0", "1", "0"),
        "0.48828125",
        encoding,
        intercept,
        "40",
        "80",
    )


def test_each_encoding_decodes_identically(tmp_path):
    rng = np.random.default_rng(1)
    hu = rng.normal(30, 40, (512, 512)).astype(np.float32)
    hu[:50] = -1000
    hu[60:70] = 1800
    arrays = {}
    for i, (enc, icpt) in enumerate(
        [("uint12", -1024), ("int16", -1024), ("int16_1000", -1000), ("wrapped", 0), ("wrapped", 1)]
    ):
        path = tmp_path / f"ID_00000000{i}.dcm"
        write(path, header(path.stem, enc, icpt), encode(hu, enc, icpt))
        codes = np.empty((1, BASE, BASE), np.uint16)
        done = decode.read_into([str(path)], partial(store_base, BASE), codes)
        assert not done["rejected"] and done["values"] == [(512 // BASE) ** 2]
        arrays[(enc, icpt)] = codes[0]
    first = next(iter(arrays.values()))
    for key, value in arrays.items():
        assert np.array_equal(value, first), key


def make_bad_files(folder: Path) -> dict[str, str]:
    """One real file per rejection reason; returns ID -> expected reason."""
    hu = np.zeros((64, 64), np.float32)
    expected = {}

    def save(sop, ds, reason):
        pydicom.dcmwrite(folder / f"{sop}.dcm", ds, enforce_file_format=False)
        expected[sop] = reason

    ds = dataset(header("ID_bad000001", "int16", -1024), encode(hu, "int16", -1024))
    del ds.PixelData
    save("ID_bad000001", ds, "no_pixel_data")
    ds = dataset(header("ID_bad000002", "int16", -1024), encode(hu, "int16", -1024))
    ds.Modality = "MR"
    save("ID_bad000002", ds, "not_ct")
    ds = dataset(header("ID_bad000003", "int16", -1024), encode(hu, "int16", -1024))
    ds.NumberOfFrames = 2
    ds.PixelData = ds.PixelData * 2
    save("ID_bad000003", ds, "multi_frame")
    ds = dataset(header("ID_bad000004", "int16", -1024), encode(hu, "int16", -1024))
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.90"  # JPEG 2000 lossless
    ds.PixelData = encapsulate([b"\xff\x4f\xff\x51" + bytes(100)])
    ds["PixelData"].VR = "OB"
    save("ID_bad000004", ds, "compressed_syntax")
    (folder / "ID_bad000005.dcm").write_text("this is not a DICOM file\n")
    expected["ID_bad000005"] = "not_dicom"
    ds = dataset(header("ID_bad000006", "int16", -1024), encode(hu, "int16", -1024))
    path = folder / "ID_bad000006.dcm"
    pydicom.dcmwrite(path, ds, enforce_file_format=False)
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size - 3000)
    expected["ID_bad000006"] = "truncated_pixel_data"
    expected["ID_bad000007"] = "missing_file"  # labelled, but no file
    ds = dataset(header("ID_bad000008", "int16", -1024), encode(hu, "int16", -1024))
    del ds.Rows
    save("ID_bad000008", ds, "bad_header")
    ds = dataset(header("ID_bad000010", "int16", -1024), encode(hu, "int16", -1024))
    del ds.ImagePositionPatient  # would be ranked last in its series, wrongly
    save("ID_bad000010", ds, "no_position")
    path = folder / "ID_bad000009.dcm"  # an intercept that is not a number
    write(path, header(path.stem, "int16", -1024), encode(hu, "int16", -1024))
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b"-1024", b"abcde", 1))
    expected["ID_bad000009"] = "bad_header"
    return expected


def test_every_rejection_reason_from_a_real_file(tmp_path):
    expected = make_bad_files(tmp_path)
    good = tmp_path / "ID_good00001.dcm"
    write(good, header(good.stem, "uint12", -1024), encode(np.zeros((64, 64)), "uint12", -1024))
    ids = [*expected, good.stem]
    index, rejected, areas = run_decode(ids, tmp_path, tmp_path / "out" / "codes.npy", 1)
    assert index["ID"].tolist() == [good.stem]
    codes = np.load(tmp_path / "out" / "codes.npy")
    assert len(codes) == len(areas) == len(ids), "row i is the i-th requested ID in sorted order"
    row = sorted(ids).index(good.stem)
    assert index["row"].tolist() == [row] and codes[row].any() and areas[row] == 16
    assert not np.delete(codes, row, axis=0).any(), "rejected IDs keep blank rows"
    assert not np.delete(areas, row).any(), "... and area 0"
    got = dict(zip(rejected["ID"], rejected["reason"], strict=True))
    assert got == expected
    assert (rejected["path"].str.endswith(".dcm")).all()


def test_too_many_rejected_fails_naming_files_and_writes_nothing(tmp_path):
    expected = make_bad_files(tmp_path)
    with pytest.raises(decode.TooManyRejected, match=r"ID_bad000001\.dcm \(no_pixel_data"):
        run_decode(list(expected), tmp_path, tmp_path / "out" / "codes.npy", 1, 0.001)
    assert not (tmp_path / "out" / "codes.npy").exists()
    full_list = pd.read_csv(tmp_path / "out" / "codes.npy.partial" / "rejected.csv")
    assert sorted(full_list["ID"]) == sorted(expected), "the message's full list is there"


def labelled_ids(tiny_dataset) -> list[str]:
    csv = pd.read_csv(tiny_dataset[0] / "stage_2_train.csv")
    return sorted(set(csv["ID"].str[:12]))


def write_outputs(out: Path, index: pd.DataFrame, rejected: pd.DataFrame) -> None:
    index.to_csv(out / "index.csv", index=False)
    rejected.to_csv(out / "rejected.csv", index=False)


def run(tiny_dataset, out: Path, workers: int) -> bytes:
    index, rejected, areas = run_decode(
        labelled_ids(tiny_dataset), tiny_dataset[0] / "stage_2_train", out / "codes.npy", workers
    )
    write_outputs(out, index, rejected)
    assert rejected["reason"].tolist() == ["truncated_pixel_data"]
    files = ("codes.npy", "index.csv", "rejected.csv")
    return areas.tobytes() + b"".join((out / f).read_bytes() for f in files)


def test_one_and_two_workers_give_identical_bytes(tmp_path, tiny_dataset):
    assert run(tiny_dataset, tmp_path / "a", 1) == run(tiny_dataset, tmp_path / "b", 2)


def test_interrupted_run_resumes_to_the_same_bytes(tmp_path, tiny_dataset, monkeypatch):
    reference = run(tiny_dataset, tmp_path / "ref", 1)
    out = tmp_path / "out"
    calls = []
    real_job = shards.shard_job

    def dying_job(job):
        if len(calls) == 3:
            raise KeyboardInterrupt  # killed mid-way
        calls.append(job[0])
        return real_job(job)

    monkeypatch.setattr(shards, "shard_job", dying_job)
    with pytest.raises(KeyboardInterrupt):
        run(tiny_dataset, out, 1)
    assert not (out / "codes.npy").exists(), "no half-written result where a complete one goes"
    assert len(list((tmp_path / "out" / "codes.npy.partial").glob("shard_*.json"))) == 3
    redone = []
    monkeypatch.setattr(shards, "shard_job", lambda job: redone.append(job[0]) or real_job(job))
    assert run(tiny_dataset, out, 1) == reference
    assert not set(redone) & set(calls), "finished shards are not redone"
    assert not (tmp_path / "out" / "codes.npy.partial").exists()


def test_a_partial_run_of_other_code_is_discarded(tmp_path, tiny_dataset, monkeypatch):
    """Resuming after a reader fix must not mix the old reader's shards with the new one's."""
    out = tmp_path / "out"
    real_job = shards.shard_job

    def dying_job(job):
        if job[0] == 2:
            raise KeyboardInterrupt
        return real_job(job)

    monkeypatch.setattr(shards, "shard_job", dying_job)
    with pytest.raises(KeyboardInterrupt):
        run(tiny_dataset, out, 1)
    assert len(list((out / "codes.npy.partial").glob("shard_*.json"))) == 2
    monkeypatch.setattr(decode, "code_version", lambda modules: "edited reader")
    redone = []
    monkeypatch.setattr(shards, "shard_job", lambda job: redone.append(job[0]) or real_job(job))
    run(tiny_dataset, out, 1)
    assert sorted(redone) == list(range(len(redone))) and len(redone) > 2, "all redone"


def test_fixture_series_has_plausible_hu(fixture_files):
    by_z = sorted((read_slice(p) for p in fixture_files), key=lambda s: s.z)
    n = len(by_z)
    for sl in by_z[n // 4 : 3 * n // 4]:  # mid-series slices, through the brain
        hu = sl.hu
        assert -1030 <= np.percentile(hu, 5) <= -990, "air"
        brain = hu[(hu > 0) & (hu < 80)]
        assert 15 <= np.median(brain) <= 50, "brain"
        assert hu.max() > 700, "skull"


def test_fixture_series_decodes(fixture_files, tmp_path):
    folder = tmp_path / "dicoms"
    folder.mkdir()
    for f in fixture_files:
        shutil.copy(f, folder / f.name)
    ids = [f.stem for f in fixture_files]
    index, rejected, areas = run_decode(ids, folder, tmp_path / "o" / "codes.npy", 2)
    n = len(fixture_files)
    assert len(index) == n and rejected.empty
    assert index["position"].tolist() == index["z"].rank(method="first").astype(int).sub(1).tolist()
    codes = np.load(tmp_path / "o" / "codes.npy")
    assert codes.shape == (n, BASE, BASE) and codes.dtype == np.uint16
    if THE_FIXTURE:
        assert areas.tolist() == [16] * n, "512 px onto a 128 px base: 4 x 4 codes a value"


def test_slope_and_extreme_values():
    """HU = stored * slope + intercept in a wide type; extreme 16-bit values are clipped."""
    from ich.dicom.read import HU_RANGE, to_hu

    ds = pydicom.Dataset()
    ds.BitsStored, ds.PixelRepresentation = 16, 1
    ds.RescaleSlope, ds.RescaleIntercept = "2", "-1024"
    stored = np.array([[0, 512, 600, 32767], [-32768, 10, 20, 30]], np.int16)
    hu = to_hu(stored, ds)
    assert hu[0, :3].tolist() == [-1024, 0, 176]
    assert hu[0, 3] == HU_RANGE[1] and hu[1, 0] == HU_RANGE[0]
    ds.RescaleSlope = "1"
    unsigned = pydicom.Dataset()
    unsigned.BitsStored, unsigned.PixelRepresentation = 16, 0
    unsigned.RescaleSlope, unsigned.RescaleIntercept = "1", "-1024"
    big = to_hu(np.array([[65535, 0]], np.uint16), unsigned)  # no uint16 wrap-around
    assert big.tolist() == [[HU_RANGE[1], -1024]]


def test_outputs_carry_no_names_or_dates(tmp_path):
    """Only the IDs the pipeline needs leave the reader, whatever else the header holds."""
    path = tmp_path / "ID_00000abcd.dcm"
    ds = dataset(header(path.stem, "uint12", -1024), encode(np.zeros((64, 64)), "uint12", -1024))
    ds.PatientName = "Doe^Jane"
    ds.StudyDate = "20190412"
    ds.PatientBirthDate = "19570101"
    pydicom.dcmwrite(path, ds, enforce_file_format=False)
    (tmp_path / "ID_00000bad0.dcm").write_text("junk")
    out = tmp_path / "out"
    index, rejected, _ = run_decode([path.stem, "ID_00000bad0"], tmp_path, out / "codes.npy", 1)
    write_outputs(out, index, rejected)
    text = "".join(p.read_text() for p in out.glob("*.csv"))
    assert "Doe" not in text and "2019" not in text and "1957" not in text
    assert path.stem in text


def test_sigkilled_run_resumes_to_the_same_bytes(tmp_path, tiny_dataset):
    """A real process killed with SIGKILL mid-run: the rerun finishes from its shards."""
    import signal
    import subprocess
    import sys
    import textwrap
    import time

    reference = run(tiny_dataset, tmp_path / "ref", 1)
    out = tmp_path / "out"
    ids = labelled_ids(tiny_dataset)
    driver = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from ich.data import decode, shards
        real = shards.shard_job
        def slow(job):  # slow shards, so the kill lands mid-run
            time.sleep(0.3)
            return real(job)
        shards.shard_job = slow
        decode.decode({ids!r}, Path({str(tiny_dataset[0] / "stage_2_train")!r}),
                      Path({str(out / "codes.npy")!r}), {BASE}, 1, shard_size=7)
    """)
    proc = subprocess.Popen([sys.executable, "-c", driver], cwd=str(Path(__file__).parents[1]))
    work = tmp_path / "out" / "codes.npy.partial"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(work.glob("shard_*.json"))) < 2:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = len(list(work.glob("shard_*.json")))
    assert 2 <= finished < -(-len(ids) // 7), "killed mid-way"
    assert not (out / "codes.npy").exists()
    assert run(tiny_dataset, out, 1) == reference


@pytest.mark.parametrize(
    "bits, signed, intercept",
    [
        (12, 0, -1024),
        (16, 1, -1024),
        (16, 1, -1000),
        (12, 0, 0),
        (12, 0, 1),
        (16, 0, -1024),
        (16, 1, -2048),
        (16, 1, 7),
        (12, 1, -1024),
        (16, 1, -30000),
    ],
)
def test_hu_codes_are_clipped_hu_plus_1024(bits, signed, intercept):
    """Every encoding, any stored value (extremes and garbage high bits included)."""
    from ich.dicom.read import HU_RANGE, hu_codes, to_hu

    ds = pydicom.Dataset()
    ds.BitsStored, ds.PixelRepresentation = bits, signed
    ds.RescaleSlope, ds.RescaleIntercept = "1", str(intercept)
    rng = np.random.default_rng(abs(intercept) + bits)
    dtype = np.int16 if signed else np.uint16
    info = np.iinfo(dtype)
    stored = rng.integers(info.min, info.max, (64, 64), endpoint=True).astype(dtype)
    if bits < 16:  # what stored_pixels hands over: the BitsStored range only
        stored = stored.view(np.uint16) & np.uint16(4095)
        stored = ((stored << 4).view(np.int16) >> 4) if signed else stored
    stored.flat[:4] = [info.min, info.max, 0, 4095] if bits == 16 else [0, 1, 2, 3]
    codes = hu_codes(stored, ds)
    assert codes is not None and codes.dtype == np.uint16
    expected = to_hu(stored, ds)
    assert expected.min() >= HU_RANGE[0] and expected.max() <= HU_RANGE[1]
    assert np.array_equal(codes.astype(np.float32) - 1024, expected)


def test_hu_codes_decline_what_is_not_an_integer_shift():
    from ich.dicom.read import hu_codes

    ds = pydicom.Dataset()
    ds.BitsStored, ds.PixelRepresentation = 16, 1
    stored = np.zeros((4, 4), np.int16)
    for slope, intercept in [("2", "-1024"), ("1", "-1024.5")]:
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
        assert hu_codes(stored, ds) is None
