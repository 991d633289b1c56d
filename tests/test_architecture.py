"""The project's layers, checked from the source: apps depend one way and the domain speaks no HTTP.

accounts ← exams ← attempts ← (each app's api/ packages and testpress/api): an arrow the wrong
way, a domain module importing the web framework, or an import cycle fails here, with the
offending import named.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("accounts", "exams", "attempts", "testpress")
# Which apps each app may import (besides itself and the project package's plumbing).
MAY_IMPORT = {"accounts": set(), "exams": {"accounts"}, "attempts": {"accounts", "exams"}}
# The exam engine's rules: plain Python and the ORM, never the API framework or an API layer.
DOMAIN_MODULES = {
    "models",
    "services",
    "selectors",
    "scoring",
    "timing",
    "tallies",
    "refusals",
    "errors",
    "choices",
    "analytics",
    "live",
    "signals",
    "disclosure",
    "offline",
}
WEB_FRAMEWORK = ("rest_framework", "drf_spectacular", "django_filters")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


SOURCES = _sources()


def _imports(module: str, path: Path) -> list[tuple[str, int]]:
    """Every module `module` imports anywhere in the file (a lazy import is an arrow too), with the line."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, node.lineno))
            # `from . import errors` imports the module attempts.errors.
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def _project_imports(module: str) -> list[tuple[str, int]]:
    """The project modules `module` imports (names that are not modules, like classes, are dropped)."""
    return [(name, line) for name, line in _imports(module, SOURCES[module]) if name in SOURCES]


def _layer_of(module: str) -> str:
    return module.split(".")[0]


def _is_api(module: str) -> bool:
    return ".api" in f".{module}" and "api" in module.split(".")


def test_apps_import_each_other_one_way_only():
    wrong = [
        f"{module}:{line} imports {name}"
        for module in SOURCES
        if _layer_of(module) in MAY_IMPORT
        for name, line in _project_imports(module)
        if _layer_of(name) in MAY_IMPORT
        and _layer_of(name) != _layer_of(module)
        and _layer_of(name) not in MAY_IMPORT[_layer_of(module)]
    ]
    assert wrong == []


def test_no_app_module_outside_an_api_package_imports_one():
    # Filtersets name the API's query parameters, so they may use its helpers; nothing else may.
    wrong = [
        f"{module}:{line} imports {name}"
        for module in SOURCES
        if _layer_of(module) in MAY_IMPORT and not _is_api(module) and not module.endswith(".filtersets")
        for name, line in _project_imports(module)
        if _is_api(name)
    ]
    assert wrong == []


def test_the_domain_does_not_import_the_web_framework():
    wrong = [
        f"{module}:{line} imports {name}"
        for module, path in SOURCES.items()
        if module.rpartition(".")[2] in DOMAIN_MODULES or module == "testpress.errors"
        for name, line in _imports(module, path)
        if name.split(".")[0] in WEB_FRAMEWORK or _is_api(name)
    ]
    assert wrong == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_between_project_modules():
    # A package's __init__ re-exporting its modules is not a dependency of those modules on it.
    graph = {
        module: {name for name, _ in _project_imports(module) if not module.startswith(f"{name}.")}
        for module in SOURCES
    }
    assert _cycles(graph) == []


@pytest.mark.parametrize(
    "graph, expected",
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}, "c": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(graph, expected):
    assert _cycles(graph) == expected


def test_the_import_reader_sees_relative_and_lazy_imports(tmp_path, monkeypatch):
    package = tmp_path / "exams"
    package.mkdir()
    (package / "__init__.py").write_text("")
    source = package / "services.py"
    source.write_text("from . import models\ndef f():\n    from attempts.selectors import x\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    names = {name for name, _ in _imports("exams.services", source)}
    assert {"exams.models", "attempts.selectors"} <= names
