"""Reading `params.yaml` and validating values up front, with errors that name the key."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from ich.errors import InputError
from ich.pipeline.paths import PARAMS


class ParamError(InputError):
    """A params.yaml value that is missing, mistyped or out of range."""


def load(path: Path | str = PARAMS) -> dict[str, Any]:
    """The whole params file as a dict."""
    path = Path(path)
    if not path.is_file():
        raise ParamError(f"{path}: params file not found")
    with path.open() as f:
        params = yaml.safe_load(f)
    if not isinstance(params, dict):
        raise ParamError(f"{path}: expected a mapping at top level")
    return params


def get(params: dict[str, Any], key: str) -> Any:
    """Value at a dotted key such as 'train.dropout'; ParamError naming it when absent."""
    node: Any = params
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ParamError(f"params.yaml: missing key '{key}'")
        node = node[part]
    return node


def _fail(key: str, value: Any, why: str) -> ParamError:
    return ParamError(f"params.yaml: {key} = {value!r}: {why}")


def integer(params: dict, key: str, lo: int | None = None, hi: int | None = None) -> int:
    value = get(params, key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(key, value, "expected an integer")
    if lo is not None and value < lo:
        raise _fail(key, value, f"must be >= {lo}")
    if hi is not None and value > hi:
        raise _fail(key, value, f"must be <= {hi}")
    return value


def number(
    params: dict,
    key: str,
    lo: float | None = None,
    hi: float | None = None,
    hi_open: bool = False,
    lo_open: bool = False,
) -> float:
    value = get(params, key)
    return check_number(key, value, lo, hi, hi_open=hi_open, lo_open=lo_open)


def check_number(
    key: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    hi_open: bool = False,
    lo_open: bool = False,
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(key, value, "expected a number")
    if lo is not None and (value < lo or (lo_open and value == lo)):
        raise _fail(key, value, f"must be {'>' if lo_open else '>='} {lo}")
    if hi is not None and (value > hi or (hi_open and value == hi)):
        raise _fail(key, value, f"must be {'<' if hi_open else '<='} {hi}")
    return float(value)


def choice(params: dict, key: str, options: Iterable[str]) -> str:
    value = get(params, key)
    options = tuple(options)
    if value not in options:
        raise _fail(key, value, f"must be one of {', '.join(options)}")
    return value


def boolean(params: dict, key: str) -> bool:
    value = get(params, key)
    if not isinstance(value, bool):
        raise _fail(key, value, "expected true or false")
    return value


def existing_path(params: dict, key: str, kind: Callable[[Path], bool] = Path.exists) -> Path:
    value = get(params, key)
    if not isinstance(value, str) or not value:
        raise _fail(key, value, "expected a path")
    path = Path(value)
    if not kind(path):
        raise _fail(key, value, "path does not exist")
    return path


def number_list(params: dict, key: str, length: int | None = None, **bounds: Any) -> list[float]:
    value = get(params, key)
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise _fail(key, value, f"expected a list of {length or 'some'} numbers")
    return [check_number(f"{key}[{i}]", v, **bounds) for i, v in enumerate(value)]


def int_range(params: dict, key: str, lo: int = 1) -> tuple[int, int]:
    """A [min, max] pair of integers with lo <= min <= max."""
    value = get(params, key)
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )
    if not ok:
        raise _fail(key, value, "expected [min, max] integers")
    if value[0] < lo or value[0] > value[1]:
        raise _fail(key, value, f"expected {lo} <= min <= max (empty or negative range)")
    return value[0], value[1]


def windows(params: dict, key: str) -> tuple[tuple[float, float], ...]:
    """A non-empty list of [center, width] pairs in HU, width > 0."""
    value = get(params, key)
    if not isinstance(value, list) or not value:
        raise _fail(key, value, "expected a list of [center, width]")
    pairs = []
    for i, w in enumerate(value):
        if not isinstance(w, list) or len(w) != 2:
            raise _fail(f"{key}[{i}]", w, "expected [center, width]")
        center = check_number(f"{key}[{i}][0]", w[0])
        width = check_number(f"{key}[{i}][1]", w[1], lo=0, lo_open=True)
        pairs.append((center, width))
    return tuple(pairs)
