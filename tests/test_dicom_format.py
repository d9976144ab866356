"""The synthetic files have the real files' form, and the fast reader is bit-exact."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pydicom
import pytest

from ich.dicom.read import read_dataset, stored_pixels, to_hu
from ich.dicom.write import SliceHeader, dataset

ID_FORMS = {
    "SOPInstanceUID": r"^ID_[0-9a-f]{9}$",
    "PatientID": r"^ID_[0-9a-f]{8}$",
    "StudyInstanceUID": r"^ID_[0-9a-f]{10}$",
    "SeriesInstanceUID": r"^ID_[0-9a-f]{10}$",
}


def signature(ds: pydicom.Dataset) -> list[tuple[str, str, int]]:
    """(tag, VR, value multiplicity) of each data element."""
    return [(str(el.tag), el.VR, el.VM) for el in ds]


def synthetic_files(tiny_dataset):
    return sorted((tiny_dataset[0] / "stage_2_train").glob("*.dcm"))


def test_fixture_file_rewrites_byte_identical(fixture_files):
    """Our writer, fed a real file's values, reproduces that file to the byte."""
    path = fixture_files[0]
    ds = pydicom.dcmread(path)
    header = SliceHeader(
        sop_uid=ds.SOPInstanceUID,
        patient_id=ds.PatientID,
        study_uid=ds.StudyInstanceUID,
        series_uid=ds.SeriesInstanceUID,
        media_uid=ds.file_meta.MediaStorageSOPInstanceUID,
        position=tuple(str(v) for v in ds.ImagePositionPatient),
        orientation=tuple(str(v) for v in ds.ImageOrientationPatient),
        spacing=str(ds.PixelSpacing[0]),
        encoding="uint12",
        intercept=int(ds.RescaleIntercept),
        window_center="\\".join(v.original_string for v in ds.WindowCenter),
        window_width="\\".join(v.original_string for v in ds.WindowWidth),
    )
    pixels = np.frombuffer(ds.PixelData, "<u2").reshape(512, 512)
    import io

    buf = io.BytesIO()
    pydicom.dcmwrite(buf, dataset(header, pixels), enforce_file_format=False)
    assert buf.getvalue() == path.read_bytes()


def test_tag_set_and_vrs_match_fixture(fixture_files, tiny_dataset):
    real = signature(pydicom.dcmread(fixture_files[0]))
    assert len(real) == 22
    seen_encodings = set()
    for path in synthetic_files(tiny_dataset):
        ds = pydicom.dcmread(path, stop_before_pixels=False, force=True)
        sig = signature(ds)
        # Window tags are two-valued in encoding (a) and single-valued in (b); the rest match.
        strip = [(t, vr) for t, vr, _ in sig]
        assert strip == [(t, vr) for t, vr, _ in real], path.name
        assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
        assert ds.file_meta.ImplementationVersionName == "dcm4che-1.4.38"
        for tag, form in ID_FORMS.items():
            if path.stem != "ID_6431af929" or tag != "SOPInstanceUID":
                assert re.match(form, str(ds.get(tag))), (path.name, tag)
        assert ds.SOPInstanceUID == path.stem
        seen_encodings.add((int(ds.BitsStored), int(ds.PixelRepresentation)))
        wc = ds.WindowCenter
        if int(ds.BitsStored) == 12:
            assert len(wc) == 2 and re.match(r"^\d{5}$", wc[0].original_string)
        else:
            assert not isinstance(wc, pydicom.multival.MultiValue)
    assert seen_encodings == {(12, 0), (16, 1)}


def test_csv_format(tiny_dataset):
    out, summary = tiny_dataset
    csv = pd.read_csv(out / "stage_2_train.csv")
    assert list(csv.columns) == ["ID", "Label"]
    assert len(csv) % 6 == 0
    parts = csv["ID"].str.extract(r"^(ID_[0-9a-f]{9})_(\w+)$")
    assert parts.notna().all().all()
    order = ["epidural", "intraparenchymal", "intraventricular", "subarachnoid", "subdural", "any"]
    assert (parts[1].to_numpy().reshape(-1, 6) == np.array(order)).all()
    labels = csv["Label"].to_numpy().reshape(-1, 6)
    assert set(np.unique(labels)) <= {0, 1}
    assert (labels[:, 5] == labels[:, :5].max(axis=1)).all(), "any must be the OR of the five"
    images = parts[0].to_numpy().reshape(-1, 6)[:, 0]
    assert len(images) - len(set(images)) == summary["duplicated_ids"] == 2
    files = {p.stem for p in (out / "stage_2_train").glob("*.dcm")}
    assert set(images) == files
    sub = pd.read_csv(out / "stage_2_sample_submission.csv")
    assert (sub["Label"] == 0.5).all() and len(sub) == 6 * len(
        list((out / "stage_2_test").glob("*"))
    )


@pytest.mark.parametrize("which", ["fixture", "synthetic"])
def test_fast_path_is_bit_exact_with_pixel_array(which, request, tiny_dataset):
    """Both readers (the minimal parser and pydicom) give pydicom's pixel_array, bit for bit,
    and the same HU, identifiers and windows."""
    from ich.dicom.fast import FastHeader
    from ich.dicom.read import describe

    if which == "fixture":
        files = request.getfixturevalue("fixture_files")[:8]
    else:
        files = [p for p in synthetic_files(tiny_dataset) if p.stem != "ID_6431af929"]
    encodings = set()
    for path in files:
        reference = pydicom.dcmread(path)
        fast = read_dataset(path)
        assert isinstance(fast, FastHeader), "the RSNA layout takes the fast path"
        fast_pixels = stored_pixels(fast).copy()
        fast_hu = to_hu(stored_pixels(fast), fast)
        fast_info = describe(fast)
        assert np.array_equal(fast_pixels, reference.pixel_array), path.name
        slow = read_dataset(path, fast=False)
        assert np.array_equal(stored_pixels(slow), reference.pixel_array), path.name
        assert np.array_equal(fast_hu, to_hu(stored_pixels(slow), slow)), path.name
        assert fast_info == describe(slow), path.name
        encodings.add(
            (int(fast.BitsStored), int(fast.PixelRepresentation), int(fast.RescaleIntercept))
        )
    if which == "synthetic":  # every encoding, the quirks included, went through the check
        assert {(12, 0, -1024), (16, 1, -1024), (16, 1, -1000)} <= encodings
        assert any(bits == 12 and icpt in (0, 1) for bits, _, icpt in encodings)


def test_unusual_files_fall_back_to_pydicom(tmp_path, fixture_files):
    """Implicit VR (another syntax) is read by pydicom, to the same pixels."""
    from pydicom.uid import ImplicitVRLittleEndian

    from ich.dicom.fast import FastHeader

    ds = pydicom.dcmread(fixture_files[0])
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    path = tmp_path / "implicit.dcm"
    ds.save_as(path, enforce_file_format=True)
    got = read_dataset(path)
    assert not isinstance(got, FastHeader)
    assert np.array_equal(stored_pixels(got), pydicom.dcmread(fixture_files[0]).pixel_array)


def test_wrapped_file_decodes_to_its_normal_twin():
    """The same HU image in the wrapped encoding and in encoding (a) decodes identically."""
    from ich.dicom.write import encode

    rng = np.random.default_rng(0)
    hu = rng.integers(-1000, 2000, (64, 64)).astype(np.float32)
    hu[:8] = -1000  # air, the value that wraps to ~3096
    twins = {}
    for enc, icpt, bits, signed in [
        ("uint12", -1024, 12, 0),
        ("wrapped", 0, 12, 0),
        ("wrapped", 1, 12, 0),
        ("int16", -1024, 16, 1),
        ("int16_1000", -1000, 16, 1),
    ]:
        ds = pydicom.Dataset()
        ds.BitsStored, ds.PixelRepresentation = bits, signed
        ds.RescaleIntercept, ds.RescaleSlope = str(icpt), "1"
        stored = encode(hu, enc, icpt)
        twins[(enc, icpt)] = to_hu(stored, ds)
        if enc == "wrapped":
            assert stored.max() >= 3000, "air must actually be wrapped"
    for key, value in twins.items():
        assert np.array_equal(value, hu), key


def test_truncated_file_fails_to_decode(tiny_dataset):
    from ich.dicom.read import Unusable, read_slice

    path = tiny_dataset[0] / "stage_2_train" / "ID_6431af929.dcm"
    assert path.exists()
    with pytest.raises(Unusable) as err:
        read_slice(path)
    assert err.value.reason == "truncated_pixel_data"
    with pytest.raises(Exception):  # noqa: B017 - pydicom's own decoder fails too
        _ = pydicom.dcmread(path).pixel_array


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"])
@pytest.mark.parametrize("bits, signed", [(12, 0), (12, 1), (16, 0), (16, 1)])
def test_stored_pixels_match_pixel_array_for_any_bits(syntax, bits, signed):
    """Both byte orders, signed or not, with garbage in the unused high bits."""
    from pydicom.dataset import Dataset, FileMetaDataset

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    ds.Rows = ds.Columns = 16
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, bits, bits - 1
    ds.PixelRepresentation, ds.SamplesPerPixel = signed, 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    raw = np.random.default_rng(bits + signed).integers(0, 65536, (16, 16)).astype(np.uint16)
    order = ">" if syntax.endswith(".2.2") else "<"
    ds.PixelData = raw.astype(np.dtype("u2").newbyteorder(order)).tobytes()
    assert np.array_equal(stored_pixels(ds), ds.pixel_array)
