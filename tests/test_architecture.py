"""The layer rule of ARCHITECTURE.md, read from the source's imports (ast; nothing is imported).

rules ← store ← services ← cogs; `words.py` modules, `bot/rules/` and `bot/text.py` are pure (no discord, no
aiohttp, no database, not even through the packages they sit in); SQL lives in `bot/store/` only; `bot/` never
imports `cogs/`; and no module of `bot/` takes part in an import cycle (TYPE_CHECKING imports included).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.imports import ROOT, Import, all_imports, cycles, graph, imports_of, loaded_by, modules, strongly_connected

IMPORTS = all_imports("bot", "cogs")
RUNTIME = [imp for imp in IMPORTS if imp.module_level and not imp.type_checking]
MODULE_LEVEL = [imp for imp in IMPORTS if imp.module_level]
BOT_MODULES = modules("bot")

NOT_PURE = {"discord", "aiohttp", "aiosqlite", "sqlite3", "asyncpg"}
SQL_DRIVERS = {"sqlite3", "aiosqlite", "asyncpg"}
SERVICES = ("bot.gate", "bot.mirror", "bot.admin", "bot.queue", "bot.welcome")
# SQL in a string literal: the statements the store writes, in capitals as the store writes them.
SQL = re.compile(
    r"\bSELECT\b[^\"']*?\bFROM\b|\bINSERT\s+(?:OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
)


def _pure_modules() -> list[str]:
    return sorted(
        name
        for name, path in BOT_MODULES.items()
        if name == "bot.rules" or name.startswith("bot.rules.") or path.name == "words.py" or name == "bot.text"
    )


def _top(module: str) -> str:
    return module.split(".", maxsplit=1)[0]


def _shown(found: list[Import]) -> list[str]:
    return [f"{imp.source}:{imp.line} imports {imp.target}" for imp in found]


# --- the reader and the cycle finder, on small cases --------------------------------------------------------


def test_the_reader_sees_deferred_and_type_checking_imports_and_names_submodules(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import discord\n"
        "from bot.gate import words\n"
        "if TYPE_CHECKING:\n"
        "    from bot.client import ForumBridge\n"
        "def later():\n"
        "    import aiosqlite\n",
        encoding="utf-8",
    )
    found = {
        (imp.target, imp.module_level, imp.type_checking) for imp in imports_of("sample", source, {"bot.gate.words"})
    }
    assert ("discord", True, False) in found
    # `from P import m` runs P's __init__ and, m being a module, m as well.
    assert {("bot.gate", True, False), ("bot.gate.words", True, False)} <= found
    assert ("bot.client", True, True) in found
    assert ("aiosqlite", False, False) in found


def test_the_cycle_finder_finds_a_cycle_and_passes_a_tree() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b", "c"}, "b": {"c"}}) == []


def test_importing_a_module_runs_its_packages_first() -> None:
    imports = [Import("p", "p.a", 1, True, False), Import("p.a", "x", 1, True, False)]
    assert loaded_by("p.b", imports) == {"p", "p.a", "p.b", "x"}


# --- the layer rule ------------------------------------------------------------------------------------------


def test_no_module_of_the_bot_imports_the_cogs() -> None:
    # The cogs are the outermost layer: they adapt Discord to the bot, never the other way round.
    found = [imp for imp in IMPORTS if _top(imp.source) == "bot" and _top(imp.target) == "cogs"]
    assert not found, _shown(found)


@pytest.mark.parametrize("module", _pure_modules())
def test_a_pure_module_imports_no_discord_or_database(module: str) -> None:
    # Any import, deferred or for type checking too: a pure module has no use for them.
    found = [imp for imp in IMPORTS if imp.source == module and _top(imp.target) in NOT_PURE]
    assert not found, _shown(found)


@pytest.mark.parametrize(
    "module",
    [name for name in _pure_modules()],
)
def test_a_pure_module_loads_no_discord_or_database_even_through_its_packages(module: str) -> None:
    loaded = sorted(name for name in loaded_by(module, RUNTIME) if _top(name) in NOT_PURE)
    assert not loaded, f"importing {module} loads {loaded}"


def test_the_rules_import_nothing_of_the_bot_but_the_rules() -> None:
    found = [
        imp
        for imp in IMPORTS
        if imp.source.startswith("bot.rules")
        and _top(imp.target) == "bot"
        and not (imp.target == "bot.rules" or imp.target.startswith("bot.rules."))
    ]
    assert not found, _shown(found)


def test_the_store_imports_no_service_nor_the_client() -> None:
    found = [
        imp
        for imp in IMPORTS
        if imp.source.startswith("bot.store")
        and any(imp.target == room or imp.target.startswith(room + ".") for room in (*SERVICES, "bot.client"))
    ]
    assert not found, _shown(found)


def test_services_import_no_cog() -> None:
    found = [imp for imp in IMPORTS if imp.source.startswith(SERVICES) and _top(imp.target) == "cogs"]
    assert not found, _shown(found)


# --- SQL only in bot/store/ ----------------------------------------------------------------------------------

_OUTSIDE_THE_STORE = sorted(name for name in modules("bot", "cogs") if not name.startswith("bot.store"))


@pytest.mark.parametrize(
    "module",
    [name for name in _OUTSIDE_THE_STORE],
)
def test_no_database_driver_is_imported_outside_the_store(module: str) -> None:
    found = [imp for imp in IMPORTS if imp.source == module and _top(imp.target) in SQL_DRIVERS]
    assert not found, _shown(found)


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_the_sql_pattern_finds_the_stores_statements() -> None:
    # The store's repositories are where the statements are: the pattern must see them there.
    kinds = {
        match.group(0).split()[0]
        for path in (ROOT / "bot" / "store").glob("*.py")
        for _, text in _string_literals(path)
        for match in SQL.finditer(text)
    }
    assert {"SELECT", "INSERT", "UPDATE", "DELETE"} <= kinds


def test_no_sql_in_string_literals_outside_the_store() -> None:
    found = [
        f"{name}:{line}: {text[:60]!r}"
        for name, path in modules("bot", "cogs").items()
        if not name.startswith("bot.store")
        for line, text in _string_literals(path)
        if SQL.search(text)
    ]
    assert not found, found


# --- no import cycle -----------------------------------------------------------------------------------------


def test_no_import_cycle_at_run_time() -> None:
    # Module-level imports outside TYPE_CHECKING: what runs when the module is imported.
    edges = graph(RUNTIME)
    assert not cycles(edges), f"cycles {cycles(edges)} among {strongly_connected(edges)}"


def test_no_import_cycle_counting_type_checking_imports() -> None:
    # Reported apart from the runtime ones: these do not fail at import, but they tie the modules together all the same.
    edges = graph(MODULE_LEVEL)
    assert not cycles(edges), f"cycles {cycles(edges)} among {strongly_connected(edges)}"


def test_no_cycle_between_rooms() -> None:
    # A room is a package of bot/ (bot.gate, bot.store, ...) or a module directly in bot/ (bot.client, ...).
    edges = graph(RUNTIME, room=True)
    assert not cycles(edges), f"cycles {cycles(edges)} among {strongly_connected(edges)}"
