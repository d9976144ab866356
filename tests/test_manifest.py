"""The manifest: one row per labelled DICOM, stamped by mtime or content; a copied dataset
recognised by its MD5s, read once; stale folders refused; nothing written near the data."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ich.data import manifest
from ich.data.decode import decode
from ich.data.manifest import StaleManifest, build, hashes_path, stamp_kind, verify


@pytest.fixture()
def folder(tmp_path, tiny_dataset):
    dst = tmp_path / "dicoms" / "stage_2_train"
    shutil.copytree(tiny_dataset[0] / "stage_2_train", dst)
    return dst


def ids_of(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.dcm"))


def test_rows_are_the_labelled_files_with_size_and_stamp(folder, tmp_path):
    ids = ids_of(folder)[:10]
    frame = build(folder, [*ids, "ID_notthere"], "mtime", tmp_path / "h.csv")
    assert frame["name"].tolist() == sorted(f"{i}.dcm" for i in [*ids, "ID_notthere"])
    row = frame.set_index("name").loc[f"{ids[3]}.dcm"]
    st = (folder / f"{ids[3]}.dcm").stat()
    assert row["size"] == st.st_size and row["stamp"] == f"mtime:{st.st_mtime_ns}"
    assert frame.set_index("name").loc["ID_notthere.dcm", "stamp"] == "missing"
    assert not (tmp_path / "h.csv").exists(), "mtime stamps keep no hashes"


def test_a_copied_dataset_is_recognised_by_content(folder, tmp_path, monkeypatch):
    """MD5 stamps do not move when the files are copied with new mtimes; each file is read
    once, later scans reuse the hash while size and mtime stay."""
    ids = ids_of(folder)
    reads = []
    real_md5 = manifest.md5
    monkeypatch.setattr(manifest, "md5", lambda path: reads.append(path) or real_md5(path))
    first = build(folder, ids, "md5", tmp_path / "h.csv")
    victim = folder / f"{ids[0]}.dcm"
    assert first.set_index("name").loc[victim.name, "stamp"] == (
        "md5:" + hashlib.md5(victim.read_bytes()).hexdigest()
    )
    assert len(reads) == len(ids)
    reads.clear()
    assert build(folder, ids, "md5", tmp_path / "h.csv").equals(first) and not reads
    os.utime(victim, ns=(1, 1))
    assert build(folder, ids, "md5", tmp_path / "h.csv").equals(first)
    assert reads == [str(victim)], "only the touched file is read again"
    copy = tmp_path / "copy" / "stage_2_train"
    shutil.copytree(folder, copy, copy_function=shutil.copyfile)  # new mtimes
    assert build(copy, ids, "md5", tmp_path / "h2.csv").equals(first)
    assert not build(copy, ids, "mtime", tmp_path / "h3.csv").equals(
        build(folder, ids, "mtime", tmp_path / "h4.csv")
    )


def test_auto_stamps_hash_inside_the_repository_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    assert stamp_kind("auto", Path("data")) == "md5"
    assert stamp_kind("auto", tmp_path.parent) == "mtime"
    assert stamp_kind("mtime", Path("data")) == "mtime"


@pytest.mark.parametrize("change", ["remove", "touch", "grow"])
def test_stale_manifest_is_refused(folder, tmp_path, change):
    path = tmp_path / "manifest.csv"
    build(folder, ids_of(folder), "mtime", hashes_path(path)).to_csv(path, index=False)
    verify(folder, path)
    victim = sorted(folder.glob("*.dcm"))[3]
    if change == "remove":
        victim.unlink()
    elif change == "touch":
        os.utime(victim, ns=(1, 1))
    else:
        with victim.open("ab") as f:
            f.write(b"\0")
    with pytest.raises(StaleManifest, match=f"first {victim.name}.*run `dvc repro`"):
        verify(folder, path)


def test_nothing_is_written_into_or_beside_the_data_folder(folder, tmp_path):
    """The dataset is often a read-only mount: the manifest and the decode write only
    their own outputs."""

    def listing() -> dict[str, int]:
        root = folder.parent
        return {str(p): p.stat().st_mtime_ns for p in sorted(root.rglob("*"))} | {
            str(root): root.stat().st_mtime_ns
        }

    before = listing()
    ids = ids_of(folder)
    out = tmp_path / "repo" / "data"
    frame = build(folder, ids, "md5", hashes_path(out / "manifest.csv"))
    frame.to_csv(out / "manifest.csv", index=False)
    verify(folder, out / "manifest.csv")
    decode(ids, folder, out / "codes.npy", 64, workers=2)
    assert listing() == before
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["manifest.csv", "manifest.hashes.csv", "codes.npy"]
    )
    assert len(pd.read_csv(out / "manifest.csv")) == len(ids)
