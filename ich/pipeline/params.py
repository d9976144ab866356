"""Reading `params.yaml` and validating a section up front, with errors that name the key:
`params.yaml: <key> = <value>: <why>`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from ich.errors import InputError
from ich.pipeline.paths import PARAMS
from ich.spec import Spec

S = TypeVar("S", bound=Spec)

# Pydantic's error types, said as this project says them.
WHY = {
    "greater_than_equal": "must be >= {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be <= {le}",
    "less_than": "must be < {lt}",
    "int_type": "expected an integer",
    "int_from_float": "expected an integer",
    "float_type": "expected a number",
    "bool_type": "expected true or false",
    "string_type": "expected text",
    "literal_error": "must be one of {expected}",
    "tuple_type": "expected a list",
    "too_short": "expected at least {min_length} value(s)",
    "too_long": "expected at most {max_length} value(s)",
    "model_type": "expected a mapping of keys",
    "value_error": "{error}",
}


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


def section(params: dict[str, Any], key: str, spec: type[S]) -> S:
    """The section at `key` as a validated `spec`; ParamError naming the first bad key."""
    value = get(params, key)
    try:
        # JSON mode: YAML lists may fill tuples, integers may fill floats, nothing else converts
        return spec.model_validate_json(json.dumps(value))
    except ValidationError as e:
        raise ParamError(describe(key, e.errors()[0])) from None


def _number(x: Any) -> Any:
    return int(x) if isinstance(x, float) and x.is_integer() else x


def describe(key: str, error: dict) -> str:
    """One pydantic error as `params.yaml: <key> = <value>: <why>`."""
    where, kind = key, error["type"]
    loc = list(error["loc"])
    if kind == "missing" and loc and isinstance(loc[-1], int):
        loc, kind = loc[:-1], "too_few"  # a list with a value missing: name the list
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else f".{part}"
    if kind == "missing":
        return f"params.yaml: missing key '{where}'"
    if kind == "extra_forbidden":
        return f"params.yaml: unknown key '{where}' (misspelt, or not read by this stage)"
    if kind == "too_few":
        return f"params.yaml: {where} = {error['input']!r}: too few values"
    context = {k: _number(v) for k, v in (error.get("ctx") or {}).items()}
    why = WHY[kind].format(**context) if kind in WHY else error["msg"]
    return f"params.yaml: {where} = {error['input']!r}: {why}"


def existing_path(params: dict, key: str, kind: Callable[[Path], bool] = Path.exists) -> Path:
    value = get(params, key)
    if not isinstance(value, str) or not value:
        raise ParamError(f"params.yaml: {key} = {value!r}: expected a path")
    path = Path(value)
    if not kind(path):
        raise ParamError(f"params.yaml: {key} = {value!r}: path does not exist")
    return path


def override(params: dict, assignment: str) -> None:
    """Apply one `key.sub=value` (value in YAML) to the params, in place; the key must exist."""
    key, sep, text = assignment.partition("=")
    if not sep:
        raise InputError(f"-S {assignment}: expected KEY=VALUE")
    node = params
    *parents, last = key.split(".")
    for part in parents:
        if not isinstance(node.get(part), dict):
            raise InputError(f"-S {assignment}: params.yaml has no key '{key}'")
        node = node[part]
    if last not in node:
        raise InputError(f"-S {assignment}: params.yaml has no key '{key}'")
    node[last] = yaml.safe_load(text)
