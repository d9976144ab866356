"""`dvc exp show --json` -> a markdown table of what differs and how each iteration scored."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field

from ich.errors import InputError
from ich.formatting import number
from ich.pipeline import paths
from ich.pipeline.paths import HOLDOUT_METRICS
from ich.rsna import SHORT, SUBTYPES

UNFINISHED = ("queued", "running", "failed")


@dataclass
class Row:
    name: str
    params: dict
    headline: dict  # metrics/holdout.json
    rev: str = "workspace"  # the git revision (an experiment's commit) its outputs are at
    metrics: dict = field(default_factory=dict)  # every metrics file: path -> its data


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _row(entry: dict, name: str) -> Row | None:
    data = entry.get("data") or {}
    metrics = {f: (m or {}).get("data") or {} for f, m in (data.get("metrics") or {}).items()}
    if not any(metrics.values()):
        return None
    headline = metrics.get(HOLDOUT_METRICS.as_posix()) or {}  # {}: a real-CT pipeline's only
    params = ((data.get("params") or {}).get("params.yaml") or {}).get("data") or {}
    return Row(name, _flatten(params), headline, entry["rev"], metrics)


def collect(shown: list[dict]) -> list[Row]:
    """The workspace, the commit(s) shown and every finished experiment on top of them."""
    rows = []
    for entry in shown:
        base = _row(entry, "workspace" if entry["rev"] == "workspace" else entry["rev"][:7])
        if base:
            rows.append(base)
        for exp in entry.get("experiments") or []:
            # a running or queued experiment shows its baseline's metrics: not its own yet
            if (exp.get("executor") or {}).get("state") in UNFINISHED:
                continue
            for rev in exp.get("revs") or []:
                row = _row(rev, rev.get("name") or rev["rev"][:7])
                if row:
                    rows.append(row)
    return rows


def _fmt(x, digits: int = 3) -> str:
    return number(x, f".{digits}f", missing="-")


def table(rows: list[Row], params: list[str] | None = None) -> str:
    """Markdown: differing params (or `params`), then holdout figures; best AUC(any) first."""
    keys = sorted({k for r in rows for k in r.params})
    differing = params or [k for k in keys if len({repr(r.params.get(k)) for r in rows}) > 1]
    rows = sorted(rows, key=lambda r: -((r.headline.get("auc") or {}).get("any") or 0))
    head = [
        "experiment",
        *differing,
        "AUC any [95% CI]",
        "weighted log loss",
        "slice model's (series - slice, 95% CI)",
        "prior / position baseline",
        *(f"{SHORT[s]} AUC" for s in SUBTYPES),
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        # `dvc exp show --json` leaves out null values (an AUC without both classes)
        keys = ("auc", "auc_any_ci95", "weighted_log_loss")
        auc, ci, wll = (r.headline.get(k) or {} for k in keys)
        cells = [
            r.name,
            *(str(r.params.get(k, "-")) for k in differing),
            f"{_fmt(auc.get('any'))} [{_fmt(ci.get('low'))}, {_fmt(ci.get('high'))}]",
            _fmt(wll.get("model"), 4),
            _versus_slice(wll, r.headline.get("sequence_minus_slice_ci95")),
            f"{_fmt(wll.get('prior'), 4)} / {_fmt(wll.get('position'), 4)}",
            *(_fmt(auc.get(s)) for s in SUBTYPES),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _versus_slice(wll: dict, interval: dict | None) -> str:
    """The slice model's weighted log loss and the paired interval of the series model minus
    it; `-` for runs from before the series model."""
    if "slice_model" not in wll:
        return "-"
    ci = interval or {}
    return f"{wll['slice_model']:.4f} ([{ci.get('low', 0):+.4f}, {ci.get('high', 0):+.4f}])"


def _ci(d: dict, digits: int = 3) -> str:
    return f"{d['diff']:+.{digits}f} [{d['low']:+.{digits}f}, {d['high']:+.{digits}f}]"


def paired_table(pairs: list[tuple[str, str, dict | str]]) -> str:
    """Markdown: per pair `a - b`, the paired weighted log loss difference (natural scale, then
    raw) and AUC differences with 95% intervals; or why the pair was refused."""
    head = ["a", "b", "WLL a - b (natural)", "WLL a - b (raw)", "AUC any a - b"]
    head += [f"{SHORT[s]} AUC a - b" for s in SUBTYPES]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for a, b, result in pairs:
        if isinstance(result, str):
            lines.append(f"| {a} | {b} | not paired: {result} |" + " |" * (len(head) - 3))
            continue
        corrected, raw = result.get("corrected"), result.get("raw")
        cells = [
            a,
            b,
            _ci(corrected["weighted_log_loss"], 4),
            _ci(raw["weighted_log_loss"], 4) if raw else "-",
            _ci(corrected["auc_any"]),
            *(_ci(corrected[f"auc_{s}"]) for s in SUBTYPES),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def experiments(all_commits: bool) -> list:
    """`dvc exp show --json` as rows (ich.eval.compare.Row): the workspace, the commit(s) and
    every finished experiment."""
    cmd = ["dvc", "exp", "show", "--json", *(["--all-commits"] if all_commits else [])]
    raw = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return collect(json.loads(raw[raw.index("[") :]))  # past any warning DVC prints first


def predictions(rev: str):
    """An experiment's holdout predictions, read through DVC from its commit."""
    import pandas as pd

    path = paths.PREDICTIONS / "holdout.csv"
    if rev == "workspace":
        if not path.is_file():
            raise InputError(f"{path}: missing in the workspace: run `dvc repro` first")
        return pd.read_csv(path)
    import dvc.api
    from dvc.exceptions import DvcException
    from dvc_data.index import DataIndexError

    try:
        with dvc.api.open(path.as_posix(), rev=rev) as f:
            return pd.read_csv(f)
    except (DvcException, DataIndexError, FileNotFoundError) as e:
        raise InputError(
            f"{rev[:7]}: its {path} is not in this clone's DVC cache ({type(e).__name__}): "
            f"`dvc pull` it from a remote that has it, or rebuild it with `dvc exp apply "
            f"{rev[:7]}` then `dvc repro`"
        ) from None
