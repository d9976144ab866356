"""Each stage's code: the project files it executes, as `dvc.yaml` must list them.

A stage runs `python -m stages.<name>`: Python executes stages/<name>.py and every project
module it imports, directly or not, each package's `__init__.py` included. The imports are
read from the source (every import statement, also those inside functions, since any of them
may run), so the list is complete without running anything, and no wider than the imports.
`python -m ich deps` compares the lists with `dvc.yaml` and `--write` puts them there.
"""

from __future__ import annotations

import ast
import io
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ich", "stages")  # the project's code; everything else is a dependency


def module_file(name: str, root: Path = ROOT) -> Path | None:
    """The file Python executes for module `name`, if it is project code (None for names
    that are not modules, third-party modules and namespace packages)."""
    parts = name.split(".")
    if parts[0] not in PACKAGES:
        return None
    base = root.joinpath(*parts)
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _package(path: Path, root: Path) -> list[str]:
    """The package a file's relative imports start from: its folder, as module names."""
    return list(path.relative_to(root).parent.parts)


def imported_names(path: Path, root: Path = ROOT) -> set[str]:
    """Every module name an import statement in `path` may execute, with its parents."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the importing file's package
                package = _package(path, root)
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # submodules
    parents = {".".join(n.split(".")[:i]) for n in names for i in range(1, n.count(".") + 1)}
    return names | parents


def import_graph(start: Path, root: Path = ROOT) -> dict[Path, Path | None]:
    """Every project file executed when `start` runs, mapped to the file that first imports it
    (None for `start` itself): the chain an error message can show."""
    seen: dict[Path, Path | None] = {start: None}
    todo = [start]
    while todo:
        current = todo.pop()
        for name in sorted(imported_names(current, root)):
            found = module_file(name, root)
            if found is not None and found not in seen:
                seen[found] = current
                todo.append(found)
    return seen


def chain(graph: dict[Path, Path | None], path: Path, root: Path = ROOT) -> str:
    """'stages/x.py -> ich/a.py -> ich/b.py': how the stage reaches `path`."""
    links = []
    node: Path | None = path
    while node is not None:
        links.append(node.relative_to(root).as_posix())
        node = graph[node]
    return " -> ".join(reversed(links))


def stage_code(stage: str, root: Path = ROOT, prefix: str = "") -> list[str]:
    """The stage's module first, then every project file it imports, sorted; each path after
    `prefix` (the way from a dvc.yaml in a subfolder, e.g. real-ct/, back to `root`)."""
    start = root / "stages" / f"{stage}.py"
    files = sorted(p.relative_to(root).as_posix() for p in import_graph(start, root))
    first = start.relative_to(root).as_posix()
    return [prefix + f for f in [first, *(f for f in files if f != first)]]


def is_code(dep: str) -> bool:
    """A dvc.yaml dependency that is project code rather than data (from any folder)."""
    parts = [p for p in dep.split("/") if p != ".."]
    return bool(parts) and parts[0] in PACKAGES


def prefix_of(dvc_yaml: Path, root: Path) -> str:
    """'' for the project's dvc.yaml, '../' for one in a subfolder (whose stages run there)."""
    way = os.path.relpath(root.resolve(), dvc_yaml.resolve().parent)
    return "" if way == "." else Path(way).as_posix() + "/"


def stage_module(stage: str) -> str:
    """A stage's module name: `fold_fit@3` and `fold_fit` both run stages/fold_fit.py."""
    return stage.split("@", 1)[0]


def _yaml():
    from ruamel.yaml import YAML  # DVC's own YAML library: keeps dvc.yaml's comments

    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    yaml.preserve_quotes = True
    return yaml


def differences(dvc_yaml: Path, root: Path = ROOT) -> list[str]:
    """One line per code file a stage executes but dvc.yaml does not list, or lists but does
    not execute; empty when they agree."""
    problems = []
    prefix = prefix_of(dvc_yaml, root)
    for stage, spec in _yaml().load(dvc_yaml)["stages"].items():
        listed = {d for d in spec.get("deps", []) if is_code(d)}
        module = stage_module(stage)
        start = root / "stages" / f"{module}.py"
        if not start.is_file():
            problems.append(f"stage '{stage}': no module stages/{module}.py")
            continue
        graph = import_graph(start, root)
        executed = {prefix + p.relative_to(root).as_posix(): p for p in graph}
        for missing in sorted(executed.keys() - listed):
            problems.append(
                f"stage '{stage}': dvc.yaml misses {missing} "
                f"({chain(graph, executed[missing], root)})"
            )
        for extra in sorted(listed - executed.keys()):
            problems.append(f"stage '{stage}': dvc.yaml lists {extra}, which it never imports")
    return problems


def write(dvc_yaml: Path, root: Path = ROOT) -> bool:
    """Put each stage's code files first in its deps, data deps after; True if changed."""
    yaml = _yaml()
    text = dvc_yaml.read_text()
    pipeline = yaml.load(text)
    prefix = prefix_of(dvc_yaml, root)
    for stage, spec in pipeline["stages"].items():
        data = [d for d in spec.get("deps", []) if not is_code(d)]
        spec["deps"] = [*stage_code(stage_module(stage), root, prefix), *data]
    out = io.StringIO()
    yaml.dump(pipeline, out)
    if out.getvalue() == text:
        return False
    dvc_yaml.write_text(out.getvalue())
    return True
