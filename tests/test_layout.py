"""The package's shape: one stage module per dvc.yaml stage, no import cycles, no reaching
into another subpackage's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from ich.pipeline.deps import imported_names, module_file
from tests.conftest import ROOT


def project_files() -> list[Path]:
    return sorted([*(ROOT / "ich").rglob("*.py"), *(ROOT / "stages").glob("*.py")])


def subpackage(path: Path) -> str:
    """'ich/data/extract.py' -> 'ich.data'; top-level modules are their own unit."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:2]) if len(parts) > 2 else ".".join(parts)


def test_stages_folder_is_the_pipeline():
    """One module per stage of dvc.yaml and of real-ct/dvc.yaml (which reuses the data stages'
    modules; a matrix stage runs one module for every entry)."""
    stages = set(yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"])
    stages |= set(yaml.safe_load((ROOT / "real-ct" / "dvc.yaml").read_text())["stages"])
    modules = {p.stem for p in (ROOT / "stages").glob("*.py")}
    assert modules == stages


def test_no_import_cycles():
    graph = {}
    for path in project_files():
        found = (module_file(n) for n in imported_names(path))
        graph[path] = {f for f in found if f is not None and f != path}
    # A package's __init__ runs before its modules: the edge module -> own __init__ is no cycle.
    for path, targets in graph.items():
        graph[path] = {
            t for t in targets if not (t.name == "__init__.py" and t.parent in path.parents)
        }
    state: dict[Path, str] = {}

    def visit(node: Path, trail: list[Path]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycle = [*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt]
                raise AssertionError(
                    "import cycle: " + " -> ".join(p.relative_to(ROOT).as_posix() for p in cycle)
                )
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for start in graph:
        if start not in state:
            visit(start, [start])


def test_no_private_names_across_subpackages():
    offences = []
    for path in project_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("ich"):
                continue
            source = module_file(node.module)
            for alias in node.names:
                private = alias.name.startswith("_") or any(
                    part.startswith("_") for part in node.module.split(".")
                )
                if private and source is not None and subpackage(source) != subpackage(path):
                    offences.append(f"{path.relative_to(ROOT)}: {node.module}.{alias.name}")
    assert offences == []


# The layers, lowest first (docs/layout.md): a module imports only its own layer and those below.
LAYERS = [
    {"ich", "ich.errors", "ich.spec", "ich.rsna", "ich.files", "ich.jobs", "ich.scratch"},
    {"ich.formatting"},
    {"ich.machine", "ich.pipeline"},
    {"ich.dicom"},
    {"ich.data"},
    {"ich.synthetic"},
    {"ich.importers"},
    {"ich.model"},
    {"ich.eval"},
    {"ich.cv"},
    {"ich.predict"},
    {"ich.docs"},
    {"ich.cli", "ich.__main__"},
]


def layer(path: Path) -> int:
    unit = subpackage(path).removesuffix(".__init__")
    found = [i for i, names in enumerate(LAYERS) if unit in names]
    assert found, f"{path.relative_to(ROOT)}: in no layer of LAYERS (place it there and in docs)"
    return found[0]


def test_no_import_runs_back_up_the_layers():
    offences = []
    for path in sorted((ROOT / "ich").rglob("*.py")):
        for name in imported_names(path):
            target = module_file(name)
            if target is not None and layer(target) > layer(path):
                offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offences == []


def test_no_cli_module_imports_another_and_no_library_module_parses_a_command_line():
    offences = []
    for path in sorted((ROOT / "ich").rglob("*.py")):
        names = imported_names(path)
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("ich/cli/") and path.name != "__init__.py":
            # ich/cli/__init__.py holds the commands' shared helpers: no command
            commands = {module_file(n) for n in names} - {None, ROOT / "ich/cli/__init__.py"}
            offences += [f"{rel} imports {f.stem}" for f in commands if f.parent == path.parent]
        elif not rel.startswith("ich/cli/") and rel != "ich/__main__.py" and "argparse" in names:
            offences.append(f"{rel} imports argparse")
    assert offences == []
