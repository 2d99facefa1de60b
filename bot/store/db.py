"""The database: one connection, its pragmas, the migrations and write transactions.

Everything that is SQLite's own (the driver, PRAGMAs, ``BEGIN IMMEDIATE``, ``user_version``, how a
moment is written down) lives here, so a second engine can stand behind the same repositories. The queries
themselves are standard SQL (``ON CONFLICT``, parameters) except for a few spots a second engine must
translate: ``json_group_array``/``json_array`` (items.select_items), the two-argument ``MIN``/``MAX``
(outbox.mark_sending, screening.save), ``IS ?`` (outbox.mark_sending) and ``cursor.lastrowid`` after an
insert (items, members, notices, outbox).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000

# What the repositories write with and read back: the engine's connection and row types.
Connection = aiosqlite.Connection
Row = aiosqlite.Row


# What a read or write can raise from the database itself (locked, disk full, closed): callers outside the
# store catch this name, never the driver's own, so a second engine can widen it in this one place.
DatabaseError = sqlite3.Error


class StoreError(RuntimeError):
    """The database cannot be opened or migrated."""


def _migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) for every shipped migration, in order."""
    found = []
    for entry in resources.files("bot.store.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise StoreError(f"migrations must be numbered 1..n without gaps, found {numbers}")
    return found


def now_text(moment: datetime | None = None) -> str:
    """A moment (now by default) as the text the database keeps: ISO 8601 in UTC."""
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat()


class Database:
    """One aiosqlite connection: reads in one call each, writes in transactions under a lock."""

    def __init__(self, connection: Connection, path: Path) -> None:
        self._db = connection
        self._path = path
        self._write_lock = asyncio.Lock()

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    @property
    def connection(self) -> Connection:
        """The raw connection (tests reach under the repositories with it)."""
        return self._db

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (creating if needed) and migrate the database at path."""
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc
        connection.row_factory = aiosqlite.Row
        database = cls(connection, path)
        try:
            await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await connection.execute("PRAGMA journal_mode = WAL")
            await connection.execute("PRAGMA synchronous = NORMAL")
            await connection.execute("PRAGMA foreign_keys = ON")
            await database._migrate()
        except BaseException as exc:
            # aiosqlite's worker thread keeps the process alive until the connection closes.
            await connection.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise StoreError(f"cannot use database {path}: {exc}") from exc
            raise
        return database

    async def close(self) -> None:
        """Close the connection."""
        await self._db.close()

    async def schema_version(self) -> int:
        """The applied migration number (PRAGMA user_version)."""
        row = await self.one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        current = await self.schema_version()
        migrations = _migrations()
        if current > len(migrations):
            raise StoreError(f"database {self._path} is at version {current}, newer than this code ({len(migrations)})")
        for number, name, sql in migrations[current:]:
            # executescript commits first; the script runs inside its own transaction.
            await self._db.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
            log.info("applied migration %s to %s", name, self._path)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """One write transaction: everything done on the connection it yields commits together or not at all."""
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    # Reads run and finish in one call on the database thread: a statement left open across
    # an await would pin an old snapshot, and this connection's next write would then fail
    # at once with SQLITE_BUSY instead of waiting for the other writer.
    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a query, or None."""
        rows = await self._db.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of a query."""
        return list(await self._db.execute_fetchall(sql, params))
