"""What screening remembers: allowed messages' flaggables and each channel's newest message seen."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from bot.models import (
    AllowedMessage,
    ChannelMark,
)
from bot.store.db import Connection, Database, now_text


async def save_allowed_in(db: Connection, allowed: Iterable[AllowedMessage], now: str) -> None:
    """Remember allowed messages' flaggables, inside the caller's transaction."""
    await db.executemany(
        "INSERT INTO allowed_messages (message_id, guild_id, channel_id, flaggable, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_id) DO UPDATE SET"
        " flaggable = excluded.flaggable, updated_at = excluded.updated_at",
        [(a.message_id, a.guild_id, a.channel_id, json.dumps(sorted(a.flaggable)), now) for a in allowed],
    )


class ScreeningRepo:
    """What screening remembers: allowed messages' flaggables and each channel's newest message seen."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(self, allowed: Sequence[AllowedMessage], marks: Sequence[ChannelMark]) -> None:
        """Remember allowed messages' flaggables and advance channel marks (never backwards), in one transaction."""
        if not allowed and not marks:
            return
        now = now_text()
        async with self._db.transaction() as db:
            await save_allowed_in(db, allowed, now)
            await db.executemany(
                "INSERT INTO channel_marks (channel_id, guild_id, last_message_id, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (channel_id) DO UPDATE SET"
                " last_message_id = MAX(last_message_id, excluded.last_message_id), updated_at = excluded.updated_at",
                [(m.channel_id, m.guild_id, m.last_message_id, now) for m in marks],
            )

    async def allowed_flaggables(self, message_id: int) -> frozenset[str] | None:
        """What an allowed message carried when it was allowed; None when it is not remembered."""
        row = await self._db.one("SELECT flaggable FROM allowed_messages WHERE message_id = ?", (message_id,))
        return frozenset(json.loads(row["flaggable"])) if row else None

    async def screened_message_ids(self, message_ids: Sequence[int]) -> set[int]:
        """Those of the messages already held or remembered as allowed (one query for a page of history)."""
        if not message_ids:
            return set()
        marks = ",".join("?" * len(message_ids))
        rows = await self._db.all(
            f"SELECT message_id FROM held_items WHERE message_id IN ({marks})"
            f" UNION SELECT message_id FROM allowed_messages WHERE message_id IN ({marks})",
            (*message_ids, *message_ids),
        )
        return {row["message_id"] for row in rows}

    async def channel_marks(self, guild_id: int) -> dict[int, int]:
        """Each channel's newest message the bot saw, by channel id."""
        rows = await self._db.all(
            "SELECT channel_id, last_message_id FROM channel_marks WHERE guild_id = ?", (guild_id,)
        )
        return {row["channel_id"]: row["last_message_id"] for row in rows}

    async def forget_allowed_before(self, message_id: int) -> int:
        """Drop remembered allowed messages older than this id (a snowflake is a time); how many went."""
        async with self._db.transaction() as db:
            cursor = await db.execute("DELETE FROM allowed_messages WHERE message_id < ?", (message_id,))
        return cursor.rowcount
