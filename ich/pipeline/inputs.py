"""Files the params name, fingerprinted by content (the `inputs` stage): so that replacing one in
place, under the same name, reruns the stages that read it, as a changed param would.

DVC tracks a param's value, not the file a path value names; a `deps:` entry cannot name a
param that may be null. So an always-run stage hashes each named file (a folder: every file
under it, by relative name, size and content) into a small JSON that the reading stages depend
on; unchanged bytes rerun nothing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20


def fingerprint(value: str | None) -> str | None:
    """sha256 of the file or folder `value` names; None when it names nothing (null, or a path
    that does not exist: the stage reading it says so in its own words)."""
    if not value:
        return None
    path = Path(value)
    if path.is_file():
        return _file(path)
    if path.is_dir():
        h = hashlib.sha256()
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(f"{f.relative_to(path).as_posix()}\0{f.stat().st_size}\0{_file(f)}\n".encode())
        return h.hexdigest()
    return None


def _file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()
