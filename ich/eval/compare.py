"""`dvc exp show --json` -> a markdown table of what differs and how each iteration scored."""

from __future__ import annotations

from dataclasses import dataclass

from ich.rsna import SHORT, SUBTYPES


@dataclass
class Row:
    name: str
    params: dict
    headline: dict  # metrics/holdout.json


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
    headline = ((data.get("metrics") or {}).get("metrics/holdout.json") or {}).get("data")
    params = ((data.get("params") or {}).get("params.yaml") or {}).get("data") or {}
    return Row(name, _flatten(params), headline) if headline else None


def collect(shown: list[dict]) -> list[Row]:
    """The workspace, the commit(s) shown and every experiment on top of them."""
    rows = []
    for entry in shown:
        base = _row(entry, "workspace" if entry["rev"] == "workspace" else entry["rev"][:7])
        if base:
            rows.append(base)
        for exp in entry.get("experiments") or []:
            for rev in exp.get("revs") or []:
                row = _row(rev, rev.get("name") or rev["rev"][:7])
                if row:
                    rows.append(row)
    return rows


def _fmt(x, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def table(rows: list[Row], params: list[str] | None = None) -> str:
    """Markdown: differing params (or `params`), then holdout figures; best AUC(any) first."""
    keys = sorted({k for r in rows for k in r.params})
    differing = params or [k for k in keys if len({repr(r.params.get(k)) for r in rows}) > 1]
    rows = sorted(rows, key=lambda r: -(r.headline["auc"]["any"] or 0))
    head = [
        "experiment",
        *differing,
        "AUC any [95% CI]",
        "weighted log loss",
        "prior / position baseline",
        *(f"{SHORT[s]} AUC" for s in SUBTYPES),
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        auc, ci, wll = (
            r.headline["auc"],
            r.headline["auc_any_ci95"],
            r.headline["weighted_log_loss"],
        )
        cells = [
            r.name,
            *(str(r.params.get(k, "-")) for k in differing),
            f"{_fmt(auc['any'])} [{_fmt(ci['low'])}, {_fmt(ci['high'])}]",
            _fmt(wll["model"], 4),
            f"{_fmt(wll['prior'], 4)} / {_fmt(wll['position'], 4)}",
            *(_fmt(auc[s]) for s in SUBTYPES),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
