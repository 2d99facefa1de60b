"""The moderation queue as the /queue commands and reminders read it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import bot.store.rows as mappers
from bot.models import (
    DEFAULT_REMINDER_AFTER_S,
    DecisionFacts,
    QueueEntry,
)
from bot.store.db import Database, now_text
from bot.store.rows import parse_time


class QueueRepo:
    """The moderation queue as the /queue commands and reminders read it."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def entries(self, guild_id: int) -> list[QueueEntry]:
        """A guild's pending items, oldest first."""
        rows = await self._db.all(
            "SELECT id, guild_id, author_id, author_name, reasons, created_at, reminded_at, card_channel_id,"
            " card_message_id FROM held_items WHERE guild_id = ? AND state = 'pending' ORDER BY created_at, id",
            (guild_id,),
        )
        return [mappers.queue_entry(row) for row in rows]

    async def reminder_candidates(self) -> list[tuple[QueueEntry, int]]:
        """Every pending item of every guild, oldest first, with its guild's reminder period in seconds."""
        rows = await self._db.all(
            "SELECT h.id, h.guild_id, h.author_id, h.author_name, h.reasons, h.created_at, h.reminded_at,"
            " h.card_channel_id, h.card_message_id, COALESCE(g.reminder_after_s, ?) AS period"
            " FROM held_items h LEFT JOIN guild_settings g ON g.guild_id = h.guild_id"
            " WHERE h.state = 'pending' ORDER BY h.guild_id, h.created_at, h.id",
            (DEFAULT_REMINDER_AFTER_S,),
        )
        return [(mappers.queue_entry(row), int(row["period"])) for row in rows]

    async def mark_reminded(self, item_ids: Iterable[int], at: datetime) -> None:
        """Record that the moderators were reminded of these items at this moment."""
        async with self._db.transaction() as db:
            await db.executemany(
                "UPDATE held_items SET reminded_at = ? WHERE id = ?", [(now_text(at), item_id) for item_id in item_ids]
            )

    async def decision_facts(self, guild_id: int, since: datetime) -> list[DecisionFacts]:
        """What the statistics need of every item a guild held since this moment."""
        rows = await self._db.all(
            "SELECT reasons, links, state, created_at, decided_at, decided_by, decided_by_name FROM held_items"
            " WHERE guild_id = ? AND created_at >= ? ORDER BY created_at, id",
            (guild_id, now_text(since)),
        )
        return [
            DecisionFacts(
                reasons=tuple(str(code) for code in json.loads(row["reasons"])),
                links=tuple((str(link["domain"]), str(link["class"])) for link in json.loads(row["links"])),
                state=row["state"],
                created_at=datetime.fromisoformat(row["created_at"]),
                decided_at=parse_time(row["decided_at"]),
                moderator_id=row["decided_by"],
                moderator_name=row["decided_by_name"],
            )
            for row in rows
        ]
