"""The bot's imports, read from its source with `ast` (nothing is imported): for the layer and cycle tests."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Import:
    """One module named by an import statement of `source`."""

    source: str  # the importing module, e.g. "bot.gate.delivery"
    target: str  # the module or package named, e.g. "bot.gate" or "discord.ext.commands"
    line: int
    module_level: bool  # False: inside a function (a deferred import)
    type_checking: bool  # inside `if TYPE_CHECKING:`


def module_name(path: Path) -> str:
    """`bot/gate/__init__.py` → `bot.gate`; `bot/gate/words.py` → `bot.gate.words`."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(*packages: str) -> dict[str, Path]:
    """Every module of these top-level packages, by name."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str, path: Path, known: set[str]) -> list[Import]:
    """Every import in the module. `from P import x` names P, and P.x as well when that is a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, *, module_level: bool, type_checking: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(name, alias.name, node.lineno, module_level, type_checking))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append(Import(name, base, node.lineno, module_level, type_checking))
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    found.append(Import(name, f"{base}.{alias.name}", node.lineno, module_level, type_checking))
        for child in ast.iter_child_nodes(node):
            if isinstance(node, ast.If) and _is_type_checking(node.test) and child in node.body:
                visit(child, module_level=module_level, type_checking=True)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, module_level=False, type_checking=type_checking)
            else:
                visit(child, module_level=module_level, type_checking=type_checking)

    visit(tree, module_level=True, type_checking=False)
    return found


def all_imports(*packages: str) -> list[Import]:
    """Every import of every module of these packages."""
    found = modules(*packages)
    known = set(found)
    return [imp for name, path in found.items() for imp in imports_of(name, path, known)]


def graph(imports: list[Import], *, within: str = "bot", room: bool = False) -> dict[str, set[str]]:
    """Module (or, with `room`, package) → what it imports, inside `within` only."""
    edges: dict[str, set[str]] = {}

    def node(module: str) -> str:
        return ".".join(module.split(".")[:2]) if room else module

    for imp in imports:
        if imp.target == within or imp.target.startswith(within + "."):
            source, target = node(imp.source), node(imp.target)
            if source != target:
                edges.setdefault(source, set()).add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one node (Tarjan), each as one cycle through it, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return sorted(_cycle_through(group, edges) for group in groups)


def _cycle_through(group: list[str], edges: dict[str, set[str]]) -> list[str]:
    """One cycle that starts and ends at the group's first node (a shortest one, by breadth-first search)."""
    members = set(group)
    start = group[0]
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(edges.get(v, ())):
            if w == start:
                return [*paths[v], start]
            if w in members and w not in paths:
                paths[w] = [*paths[v], w]
                queue.append(w)
    return group


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """The groups of nodes that import each other, directly or not (each sorted), for failure messages."""
    found: list[list[str]] = []
    seen: set[str] = set()
    for cycle in cycles(edges):
        start = cycle[0]
        if start in seen:
            continue
        group = sorted(v for v in edges if _reaches(edges, start, v) and _reaches(edges, v, start))
        seen.update(group)
        found.append(group)
    return found


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    seen = {start}
    todo = [start]
    while todo:
        for w in edges.get(todo.pop(), ()):
            if w == goal:
                return True
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return start == goal


def loaded_by(module: str, imports: list[Import]) -> set[str]:
    """Every module importing `module` runs at run time: its packages, what they import, and so on (no deferred)."""
    by_source: dict[str, list[str]] = {}
    for imp in imports:
        if imp.module_level and not imp.type_checking:
            by_source.setdefault(imp.source, []).append(imp.target)
    loaded: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        # Importing a.b.c runs a and a.b first.
        for depth in range(1, len(parts) + 1):
            step = ".".join(parts[:depth])
            if step not in loaded:
                loaded.add(step)
                todo.extend(by_source.get(step, ()))
    return loaded
