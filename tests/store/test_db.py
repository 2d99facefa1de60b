"""The database on real SQLite files: migrations, pragmas, refusals, concurrent writers."""

from __future__ import annotations

import ast
import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.store import Store, StoreError, _migrations
from tests.store.helpers import held


async def test_migrates_from_empty_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "bridge.db"
    first = await Store.open(path)
    assert await first.schema_version() == len(_migrations())
    item, created = await first.items.add(held())
    await first.close()

    again = await Store.open(path)
    assert await again.schema_version() == len(_migrations())
    assert await again.items.get(item.id) == item
    assert created
    await again.close()

    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"guild_settings", "members", "held_items", "held_attachments", "allowed_domains", "audit_log"} <= tables


async def test_refuses_a_database_from_newer_code(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 999")
    with pytest.raises(StoreError, match="newer than this code"):
        await Store.open(path)


async def test_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot use database"):
        await Store.open(path)


async def test_foreign_keys_are_enforced(store: Store) -> None:
    item, _ = await store.items.add(held())
    assert len(await store.items.attachments(item.id)) == 2
    with pytest.raises(sqlite3.IntegrityError):
        async with store.db.transaction() as db:
            await db.execute(
                "INSERT INTO held_attachments (item_id, position, filename, size, data) VALUES (999, 0, 'x', 1, x'00')"
            )


async def test_two_processes_writing_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    first, second = await Store.open(path), await Store.open(path)
    try:
        await asyncio.gather(
            *(store.members.update(1, 7, approved=1) for store in (first, second) for _ in range(50)),
            *(store.items.add(held(1000 + n)) for n, store in enumerate([first, second] * 10)),
        )
        member = await first.members.get(1, 7)
        assert member.approved_posts == 100
        assert member.held_posts == 20
        assert len(await second.items.open(1)) == 20
    finally:
        await first.close()
        await second.close()


STORE = Path(__file__).resolve().parents[2] / "bot" / "store"


def test_the_store_imports_only_core_records_and_itself() -> None:
    # The store keeps plain records (bot.models) and reads nothing of the services: no cycle with the mirror.
    for module in sorted(STORE.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
                assert node.module.split(".")[1] in {"models", "rules", "store"}, (module.name, node.module)


def test_no_store_module_is_a_god_module() -> None:
    sizes = {module.name: len(module.read_text(encoding="utf-8").splitlines()) for module in STORE.glob("*.py")}
    assert max(sizes.values()) <= 310, sizes
