"""The embedded store: a facade over one database and a repository per aggregate.

Every repository takes and returns core types (``bot.models``); SQL never leaves this package and
is always parameterised. Writes run in explicit transactions under a lock (``db.py``), so a
multi-statement change is never interleaved with another coroutine's. A write that spans
aggregates runs in one transaction: a decision with its member, domain and outbox rows
(``decisions``) on its own; a caller's own combination, such as a hold with its raid sighting, through
``store.transaction()`` and the repositories' module-level ``*_in(conn, ...)`` functions
(``items.add_in``, ``raid.record_sighting_in``, ``outbox.enqueue_in``, ``members.bump_in``,
``guilds.allow_domains_in``, ``screening.save_allowed_in``), which write on the caller's connection.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path

from bot.store.db import BUSY_TIMEOUT_MS, Connection, Database, DatabaseError, StoreError, _migrations
from bot.store.decisions import DECIDABLE_FROM, DecisionRepo
from bot.store.guilds import GuildRepo
from bot.store.holds import HoldRepo
from bot.store.items import ItemRepo
from bot.store.members import MemberRepo
from bot.store.mirror import MirrorRepo
from bot.store.notices import NoticeRepo
from bot.store.outbox import OutboxRepo
from bot.store.queue import QueueRepo
from bot.store.raid import RaidRepo
from bot.store.screening import ScreeningRepo

__all__ = ["BUSY_TIMEOUT_MS", "DECIDABLE_FROM", "Database", "DatabaseError", "Store", "StoreError", "_migrations"]


class Store:
    """The bot's storage: ``store.items``, ``store.outbox``, ``store.members``… over one shared database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.guilds = GuildRepo(db)
        self.members = MemberRepo(db)
        self.items = ItemRepo(db)
        self.decisions = DecisionRepo(db)
        self.outbox = OutboxRepo(db)
        self.notices = NoticeRepo(db)
        self.mirror = MirrorRepo(db)
        self.queue = QueueRepo(db)
        self.raid = RaidRepo(db)
        self.screening = ScreeningRepo(db)
        self.holds = HoldRepo(db, self.items, self.members)

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        """Open (creating if needed) and migrate the database at path."""
        return cls(await Database.open(path))

    @property
    def path(self) -> Path:
        """The database file."""
        return self.db.path

    async def close(self) -> None:
        """Close the connection."""
        await self.db.close()

    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """One write transaction for a change that spans aggregates: hand its connection to the ``*_in`` functions."""
        return self.db.transaction()

    async def schema_version(self) -> int:
        """The applied migration number."""
        return await self.db.schema_version()
