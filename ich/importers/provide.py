"""The `source` stage's work: data/source/ filled as `data.source` says (ich.data.source)."""

from __future__ import annotations

from pathlib import Path

from ich.data.source import DataSpec
from ich.errors import InputError
from ich.files import write_json
from ich.importers.convert import import_ct_ich
from ich.synthetic.cohort import SynthesizeSpec
from ich.synthetic.dataset import synthesize


def provide(spec: DataSpec, phantom: SynthesizeSpec, out: Path, workers: int) -> dict:
    """Fill `out` (data/source/) for `spec.source` (`phantom` is read for the phantom only);
    returns what the stage reports."""
    if spec.source == "phantom":
        summary = synthesize(phantom.cohort(), phantom.options(), out, workers)
        return {"source": "phantom", **summary}
    if spec.source == "ct-ich":
        raw = Path(spec.raw or "")
        if not raw.is_dir():
            raise InputError(f"params.yaml: data.raw = {spec.raw!r}: no such folder (CT-ICH)")
        return {"source": "ct-ich", **import_ct_ich(raw, out, workers, labelled=True)}
    for key, is_kind in (("labels_csv", Path.is_file), ("dicom_dir", Path.is_dir)):
        if not is_kind(Path(getattr(spec, key))):
            raise InputError(f"params.yaml: data.{key} = {getattr(spec, key)!r}: not found")
    # DVC needs the output folder; it says where the data is read from
    report = {"source": "rsna", "labels_csv": spec.labels_csv, "dicom_dir": spec.dicom_dir}
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "source.json", {**report, "copied": False})
    return report
