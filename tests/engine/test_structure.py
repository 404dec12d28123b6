"""The shape of the code, read from its source (AST): layers, imports and module sizes.

- no module imports another module's private (underscore) names, by ``from x import _y``
  or as ``x._y``;
- no import circles among vgtui modules, counting imports inside functions;
- an import inside a function must keep something slow (torch, numpy, rich, textual,
  the Markdown viewer) off the importing module's own import, and say so in a comment;
- layers point one way: the engine imports no wording, CLI or UI; the wording imports
  no CLI or UI; the screens import nothing from the CLI;
- wording lives in ``vgtui/present/``, not at the package root;
- no engine module is over 800 lines.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "vgtui"
# Imports worth deferring (each takes a noticeable share of start-up time): torch, numpy,
# rich, textual, and Textual's Markdown viewer (markdown-it), which the help loads.
MARKDOWN = ("textual.widgets.Markdown", "textual.widgets.MarkdownViewer")
ENGINE_MAX_LINES = 800


@dataclass
class Import:
    module: str        # the importing module
    line: int
    targets: list      # dotted names imported (a submodule where one exists)
    names: list        # (imported-from module, name) pairs of ``from x import name``
    local: bool        # inside a function
    text: str          # the source line(s)


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    lines: list
    imports: list = field(default_factory=list)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@lru_cache(maxsize=None)
def modules() -> dict:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        out[_module_name(path)] = Module(_module_name(path), path, ast.parse(text),
                                         text.splitlines())
    for mod in out.values():
        _collect(mod, out)
    return out


def _absolute(mod: Module, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = mod.name.split(".")
    if mod.path.name != "__init__.py":
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _collect(mod: Module, known: dict) -> None:
    def visit(node, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                ast.Lambda))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                text = "\n".join(mod.lines[child.lineno - 1:child.end_lineno])
                if isinstance(child, ast.Import):
                    targets = [a.name for a in child.names]
                    names = []
                else:
                    source = _absolute(mod, child)
                    names = [(source, a.name) for a in child.names]
                    targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in known
                               or _is_slow(f"{source}.{a.name}") else source
                               for a in child.names]
                mod.imports.append(Import(mod.name, child.lineno, targets, names, local, text))
            visit(child, inner)

    visit(mod.tree, False)


def _slow_kind(name: str) -> str | None:
    """Which slow import a dotted name is (None for a cheap one)."""
    if name in MARKDOWN or name.startswith(("textual.widgets._markdown", "markdown_it")):
        return "markdown"
    for kind in ("torch", "numpy", "rich", "textual"):
        if name == kind or name.startswith(kind + "."):
            return kind
    return None


def _is_slow(name: str) -> bool:
    return _slow_kind(name) is not None


@lru_cache(maxsize=None)
def top_level_closure(name: str) -> frozenset:
    """Every module (vgtui or not) that importing ``name`` imports at module level."""
    known = modules()
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        parts = current.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # parent packages
        if current in known:
            for imp in known[current].imports:
                if not imp.local:
                    todo.extend(imp.targets)
    return frozenset(seen)


def _slow_in(names) -> set:
    return {kind for kind in map(_slow_kind, names) if kind}


def _vgtui_edges() -> dict:
    known = modules()
    edges = {name: set() for name in known}
    for mod in known.values():
        for imp in mod.imports:
            edges[mod.name].update(t for t in imp.targets if t in known and t != mod.name)
    return edges


# -- the tests ----------------------------------------------------------------------------------

@pytest.mark.slow
def test_no_module_imports_a_private_name_of_another_module():
    known = modules()
    bad = []
    for mod in known.values():
        module_aliases = {}
        for imp in mod.imports:
            for source, name in imp.names:
                full = f"{source}.{name}"
                if full in known:
                    module_aliases[name] = full
                elif name.startswith("_") and not name.startswith("__") and \
                        source.startswith("vgtui") and source != mod.name:
                    bad.append(f"{mod.name}:{imp.line} imports {source}.{name}")
            if not imp.names:
                for target in imp.targets:
                    if target.startswith("vgtui"):
                        module_aliases[target.split(".")[-1]] = target
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.ImportFrom) or not isinstance(node, ast.Attribute):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in module_aliases and \
                    node.attr.startswith("_") and not node.attr.startswith("__"):
                bad.append(f"{mod.name}:{node.lineno} uses "
                           f"{module_aliases[node.value.id]}.{node.attr}")
    assert not bad, "\n".join(bad)


def test_no_import_circles_counting_imports_inside_functions():
    edges = _vgtui_edges()
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def strongconnect(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            strongconnect(v)
    assert not cycles, f"import circles: {cycles}"


def test_imports_inside_functions_keep_something_slow_off_and_say_why():
    known = modules()
    bad = []
    for mod in known.values():
        have = _slow_in(top_level_closure(mod.name))
        for imp in mod.imports:
            if not imp.local:
                continue
            brings = set()
            for target in imp.targets:
                brings |= _slow_in({target} | (top_level_closure(target) if target in known
                                               else set()))
            where = f"{mod.name}:{imp.line} `{imp.text.strip()}`"
            if not brings - have:
                bad.append(f"{where} keeps nothing slow off {mod.name}: import it at the top")
            elif not _has_reason(mod, imp):
                bad.append(f"{where} needs a short comment saying what it keeps off")
    assert not bad, "\n".join(bad)


def _has_reason(mod: Module, imp: Import) -> bool:
    """A comment on the import itself, or on the lines just above it within the same
    run of imports (one comment may explain a group of lazy imports)."""
    if "#" in imp.text:
        return True
    first = mod.lines[imp.line - 1]
    indent = len(first) - len(first.lstrip())
    k = imp.line - 2
    while k >= 0:
        line = mod.lines[k]
        text = line.strip()
        if text.startswith("#") or (text.startswith(("from ", "import ")) and "#" in text):
            return True
        deeper = len(line) - len(line.lstrip()) > indent  # a continuation line
        if not (text.startswith(("from ", "import ")) or (text and deeper)):
            return False
        k -= 1
    return False


def _imports_of(prefix: str):
    for mod in modules().values():
        if mod.name == prefix or mod.name.startswith(prefix + "."):
            for imp in mod.imports:
                for target in imp.targets:
                    yield mod.name, imp.line, target


@pytest.mark.parametrize("layer,forbidden", [
    ("vgtui.engine", ("vgtui.present", "vgtui.cli", "vgtui.screens", "vgtui.widgets",
                      "vgtui.app", "textual", "rich")),
    ("vgtui.present", ("vgtui.cli", "vgtui.screens", "vgtui.widgets", "vgtui.app", "textual",
                       "rich")),
    ("vgtui.screens", ("vgtui.cli",)),
    ("vgtui.widgets", ("vgtui.cli",)),
    # the registry is read by the app and the CLI alike: it names screens and lookups by
    # module path and imports neither
    ("vgtui.topics", ("vgtui.cli", "vgtui.screens", "vgtui.widgets", "vgtui.app", "textual",
                      "rich")),
])
def test_layers_point_one_way(layer, forbidden):
    bad = [f"{name}:{line} imports {target}" for name, line, target in _imports_of(layer)
           if any(target == f or target.startswith(f + ".") for f in forbidden)]
    assert not bad, "\n".join(bad)


def test_wording_lives_in_the_present_package_not_at_the_package_root():
    root = sorted(p.stem for p in PACKAGE.glob("*.py"))
    # the entry points, the app, the topic registry and the public Python API (measure,
    # Probe); wording lives in present/
    assert root == ["__init__", "__main__", "api", "app", "topics"], root
    assert (PACKAGE / "present" / "__init__.py").is_file()


def test_no_engine_module_is_over_800_lines():
    long = {p.name: n for p in sorted((PACKAGE / "engine").glob("*.py"))
            if (n := len(p.read_text().splitlines())) > ENGINE_MAX_LINES}
    assert not long, f"engine modules over {ENGINE_MAX_LINES} lines: {long}"


def test_the_import_reader_sees_what_it_checks():
    """The checks above would pass vacuously if the reader found nothing: it finds the
    engine's lazy torch imports, the app's lazy start from the CLI, and module edges."""
    known = modules()
    flow = known["vgtui.engine.flow"]
    assert any(imp.local and "torch" in imp.targets for imp in flow.imports)
    assert "vgtui.engine.recurrence" in _vgtui_edges()["vgtui.engine.flow"]
    cli = known["vgtui.cli"]
    assert any(imp.local and "vgtui.app" in imp.targets for imp in cli.imports)
    assert "numpy" in top_level_closure("vgtui.engine.flow")
    assert "numpy" not in top_level_closure("vgtui.engine.longrange")
