"""Numbers, intervals and markdown tables as every report, table and summary line writes them
(one place, so they cannot drift)."""

from __future__ import annotations

import math


def number(x: float | None, spec: str = ".3f", missing: str = "n/a") -> str:
    """`x` as `spec` formats it; `missing` where it has none (an AUC without positives)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return missing
    return format(x, spec)


def interval(low: float | None, high: float | None, spec: str = ".3f") -> str:
    """[low, high], or n/a without one."""
    if low is None or high is None:
        return "n/a"
    return f"[{number(low, spec)}, {number(high, spec)}]"


def difference(d: dict, spec: str = "+.3f", bold: bool = False) -> str:
    """A paired difference {diff, low, high} as `diff [low, high]`; with `bold`, in bold when
    its interval excludes 0 (a clear difference)."""
    text = f"{number(d['diff'], spec)} {interval(d['low'], d['high'], spec)}"
    clear = d["low"] is not None and (d["high"] < 0 or d["low"] > 0)
    return f"**{text}**" if bold and clear else text


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table's lines."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
