"""The DICOM-folder manifest: cheap, rewritten only on change, stale folders refused."""

from __future__ import annotations

import os
import shutil

import pytest

from ich.data.manifest import StaleManifest, manifest_path, scan, verify, with_md5, write_if_changed


@pytest.fixture()
def folder(tmp_path, tiny_dataset):
    dst = tmp_path / "stage_2_train"
    shutil.copytree(tiny_dataset[0] / "stage_2_train", dst)
    return dst


def test_synthetic_manifest_is_written_and_deterministic(tiny_dataset):
    folder = tiny_dataset[0] / "stage_2_train"
    path = manifest_path(folder)
    assert path.exists()
    assert path.read_text() == with_md5(folder).to_csv(index=False, lineterminator="\n")
    verify(folder, path)


def test_rewritten_only_when_the_folder_changes(folder):
    path = manifest_path(folder)
    assert write_if_changed(scan(folder), path)
    before = path.stat().st_mtime_ns
    assert not write_if_changed(scan(folder), path)
    assert path.stat().st_mtime_ns == before
    victim = sorted(folder.glob("*.dcm"))[0]
    os.utime(victim, ns=(1, 1))
    assert write_if_changed(scan(folder), path)


@pytest.mark.parametrize("change", ["add", "remove", "touch"])
def test_stale_manifest_is_refused(folder, change):
    path = manifest_path(folder)
    write_if_changed(scan(folder), path)
    files = sorted(folder.glob("*.dcm"))
    if change == "add":
        shutil.copy(files[0], folder / "ID_000000abc.dcm")
    elif change == "remove":
        files[0].unlink()
    else:
        os.utime(files[0], ns=(1, 1))
    with pytest.raises(StaleManifest, match="run `make manifest`"):
        verify(folder, path)


def test_trailing_slash_is_refused_by_name():
    from ich.errors import InputError

    with pytest.raises(InputError, match=r"data.dicom_dir = '/data/rsna/stage_2_train/'"):
        manifest_path("/data/rsna/stage_2_train/")
    assert str(manifest_path("/data/rsna/stage_2_train")) == "/data/rsna/stage_2_train.manifest.csv"
