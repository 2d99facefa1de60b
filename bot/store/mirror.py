"""The forum mirror's bookkeeping: which channel stands for which category, and the last sync."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from bot.models import ChannelKind, MirrorRecord, MirrorState
from bot.store.db import Database, now_text
from bot.store.rows import parse_time


class MirrorRepo:
    """The forum mirror's bookkeeping: which channel stands for which category, and the last sync."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def records(self, guild_id: int) -> list[MirrorRecord]:
        """Every forum category the mirror has placed in a guild, archived ones included."""
        rows = await self._db.all(
            "SELECT forum_category_id, channel_id, kind, archived FROM mirror_channels WHERE guild_id = ?"
            " ORDER BY forum_category_id",
            (guild_id,),
        )
        return [
            MirrorRecord(row["forum_category_id"], row["channel_id"], ChannelKind(row["kind"]), bool(row["archived"]))
            for row in rows
        ]

    async def put_record(
        self, guild_id: int, record: MirrorRecord, *, archive_undo: Mapping[str, bool | None] | None = None
    ) -> None:
        """Record (or replace) which channel stands for a forum category, and what its archiving changed."""
        undo = None if archive_undo is None else json.dumps(dict(archive_undo), sort_keys=True)
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO mirror_channels"
                " (guild_id, forum_category_id, channel_id, kind, archived, archive_undo, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, forum_category_id) DO UPDATE SET"
                " channel_id = excluded.channel_id, kind = excluded.kind, archived = excluded.archived,"
                " archive_undo = excluded.archive_undo, updated_at = excluded.updated_at",
                (
                    guild_id,
                    record.forum_id,
                    record.channel_id,
                    record.kind.value,
                    int(record.archived),
                    undo,
                    now_text(),
                ),
            )

    async def archive_undo(self, guild_id: int, forum_id: int) -> dict[str, bool | None] | None:
        """What archiving this category's channel changed (permission → value before), or None if unknown."""
        row = await self._db.one(
            "SELECT archive_undo FROM mirror_channels WHERE guild_id = ? AND forum_category_id = ?",
            (guild_id, forum_id),
        )
        if row is None or row["archive_undo"] is None:
            return None
        loaded = json.loads(row["archive_undo"])
        return {str(key): None if value is None else bool(value) for key, value in loaded.items()}

    async def state(self, guild_id: int) -> MirrorState:
        """A guild's archive category and last sync (empty when the mirror never ran there)."""
        row = await self._db.one("SELECT * FROM mirror_state WHERE guild_id = ?", (guild_id,))
        if row is None:
            return MirrorState(guild_id)
        return MirrorState(
            guild_id=guild_id,
            archive_category_id=row["archive_category_id"],
            last_sync_at=parse_time(row["last_sync_at"]),
            last_source=row["last_source"],
            last_summary=row["last_summary"],
            last_tree_json=row["last_tree"],
        )

    async def set_archive_category(self, guild_id: int, channel_id: int) -> None:
        """Record the Discord category archived channels go to."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO mirror_state (guild_id, archive_category_id, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET archive_category_id = excluded.archive_category_id,"
                " updated_at = excluded.updated_at",
                (guild_id, channel_id, now_text()),
            )

    async def record_sync(
        self,
        guild_id: int,
        *,
        source: str,
        summary: str,
        tree_json: str,
        at: datetime | None = None,
    ) -> None:
        """Record an apply: when, from where, what it did, and the tree it worked from (as the mirror wrote it)."""
        now = now_text(at)
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO mirror_state (guild_id, last_sync_at, last_source, last_summary, last_tree, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET"
                " last_sync_at = excluded.last_sync_at, last_source = excluded.last_source,"
                " last_summary = excluded.last_summary, last_tree = excluded.last_tree,"
                " updated_at = excluded.updated_at",
                (guild_id, now, source, summary, tree_json, now),
            )

    async def guilds(self) -> list[int]:
        """Guilds where the mirror has been applied at least once (the periodic re-sync visits these)."""
        rows = await self._db.all("SELECT guild_id FROM mirror_state WHERE last_sync_at IS NOT NULL ORDER BY guild_id")
        return [row["guild_id"] for row in rows]
