"""Notices posted in channels for authors whose DMs are closed."""

from __future__ import annotations

from datetime import datetime

import bot.store.rows as mappers
from bot.models import (
    Notice,
)
from bot.store.db import Database, now_text


class NoticeRepo:
    """Notices posted in channels for authors whose DMs are closed."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        guild_id: int,
        channel_id: int,
        author_id: int,
        content: str,
        delete_at: datetime,
        *,
        search_after: int = 0,
    ) -> int:
        """Record a notice about to be posted (its message comes after the send); returns its id."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO notices (guild_id, channel_id, author_id, content, search_after, delete_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (guild_id, channel_id, author_id, content, search_after, now_text(delete_at), now_text()),
            )
            notice_id = cursor.lastrowid
        assert notice_id is not None
        return notice_id

    async def set_message(self, notice_id: int, message_id: int) -> None:
        """Record the message a notice was posted as."""
        async with self._db.transaction() as db:
            await db.execute("UPDATE notices SET message_id = ? WHERE id = ?", (message_id, notice_id))

    async def all(self) -> list[Notice]:
        """Every notice not yet deleted, soonest due first."""
        rows = await self._db.all("SELECT * FROM notices ORDER BY delete_at, id")
        return [mappers.notice(row) for row in rows]

    async def drop(self, notice_id: int) -> None:
        """Forget a notice: it was deleted (or was never posted)."""
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM notices WHERE id = ?", (notice_id,))
