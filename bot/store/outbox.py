"""The outbox: what is owed to Discord for each item, and grouped cards."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import bot.store.rows as mappers
from bot.models import (
    CardGroup,
    HeldItem,
    ItemState,
    OutboxKind,
    OutboxRow,
    OutboxState,
)
from bot.store.db import Connection, Database, now_text

PRIORITIES = {
    OutboxKind.CARD: 1,
    OutboxKind.RAID_CARD: 0,
    OutboxKind.REPOST: 1,
    OutboxKind.CARD_UPDATE: 1,
    OutboxKind.HOLD_DM: 2,
    OutboxKind.DECISION_DM: 2,
}


async def enqueue_in(
    db: Connection,
    item_id: int,
    kinds: Sequence[OutboxKind],
    *,
    state: OutboxState = OutboxState.QUEUED,
) -> None:
    """Queue rows for an item inside the caller's transaction (a row that exists already is left as it is)."""
    now = now_text()
    await db.executemany(
        "INSERT INTO outbox (item_id, kind, state, priority, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (item_id, kind) DO NOTHING",
        [(item_id, kind.value, state.value, PRIORITIES[kind], now, now) for kind in kinds],
    )


class OutboxRepo:
    """The outbox: what is owed to Discord for each item, and grouped cards."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(self, item_id: int, kinds: Iterable[OutboxKind]) -> None:
        """Queue rows for an item (a row that exists already is left as it is)."""
        async with self._db.transaction() as db:
            await enqueue_in(db, item_id, tuple(kinds))

    async def release(self, item_id: int) -> None:
        """Let an item's waiting rows go: its original has been dealt with."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE outbox SET state = 'queued', updated_at = ? WHERE item_id = ? AND state = 'waiting'",
                (now_text(), item_id),
            )

    async def rearm(self, item_id: int, kind: OutboxKind) -> None:
        """Queue a row again that already went (a card must show what changed since)."""
        async with self._db.transaction() as db:
            await enqueue_in(db, item_id, (kind,))
            await db.execute(
                "UPDATE outbox SET state = 'queued', nonce = NULL, not_before = NULL, error = NULL, updated_at = ?"
                " WHERE item_id = ? AND kind = ? AND state IN ('done', 'failed')",
                (now_text(), item_id, kind.value),
            )

    async def rows(
        self,
        states: Iterable[OutboxState] = (OutboxState.QUEUED,),
        *,
        item_id: int | None = None,
        item_ids: Iterable[int] | None = None,
        group_id: int | None = None,
        limit: int = 1000,
    ) -> list[OutboxRow]:
        """Rows in the given states (of one item, or of these items), in the order they should go."""
        wanted = tuple(state.value for state in states)
        where = f"o.state IN ({', '.join('?' for _ in wanted)})"
        params: list[Any] = list(wanted)
        if item_id is not None:
            where += " AND o.item_id = ?"
            params.append(item_id)
        if item_ids is not None:
            ids = sorted(set(item_ids))
            where += f" AND o.item_id IN ({', '.join('?' for _ in ids)})" if ids else " AND 0"
            params += ids
        if group_id is not None:
            where += " AND o.group_id = ?"
            params.append(group_id)
        rows = await self._db.all(
            "SELECT o.*, h.guild_id, h.author_id, h.channel_id AS item_channel_id, h.state AS item_state,"
            " (SELECT r.state FROM outbox r WHERE r.item_id = o.item_id AND r.kind = 'repost') AS repost_state,"
            " c.state AS card_state, c.group_id AS card_group_id"
            " FROM outbox o JOIN held_items h ON h.id = o.item_id"
            " LEFT JOIN outbox c ON c.item_id = o.item_id AND c.kind = 'card'"
            f" WHERE {where}"
            f" ORDER BY o.priority, o.id LIMIT {int(limit)}",
            params,
        )
        return [mappers.outbox_row(row) for row in rows]

    async def publish_error(self, item: HeldItem) -> str | None:
        """What an approved item's failed repost recorded (why it is not published), if its repost failed."""
        if item.state not in (ItemState.APPROVED, ItemState.RESTORED) or item.repost_message_id is not None:
            return None
        row = await self._db.one(
            "SELECT error FROM outbox WHERE item_id = ? AND kind = ? AND state = ?",
            (item.id, OutboxKind.REPOST.value, OutboxState.FAILED.value),
        )
        return row["error"] if row is not None else None

    async def mark_sending(
        self, row_ids: Sequence[int], nonce: str, *, group_id: int | None = None, search_after: int | None = None
    ) -> None:
        """Record, before the request, that these rows are going out together under this nonce.

        search_after is a snowflake the message to come will be newer than, where a search after a crash starts.
        """
        async with self._db.transaction() as db:
            # Sent again under the same nonce, the message may be the earlier attempt's: the earliest bound stays.
            await db.executemany(
                "UPDATE outbox SET state = 'sending', nonce = ?, group_id = COALESCE(?, group_id),"
                " search_after = CASE WHEN nonce IS ? AND search_after IS NOT NULL"
                " THEN MIN(search_after, COALESCE(?, search_after)) ELSE ? END,"
                " attempts = attempts + 1, updated_at = ? WHERE id = ?",
                [(nonce, group_id, nonce, search_after, search_after, now_text(), row_id) for row_id in row_ids],
            )

    async def mark_done(self, row_ids: Sequence[int], channel_id: int | None, message_id: int | None) -> None:
        """Record what Discord made of these rows, and what it means for their items, at once."""
        now = now_text()
        async with self._db.transaction() as db:
            for row_id in row_ids:
                row = await (await db.execute("SELECT item_id, kind FROM outbox WHERE id = ?", (row_id,))).fetchone()
                if row is None:
                    continue
                await db.execute(
                    "UPDATE outbox SET state = 'done', result_channel_id = ?, result_message_id = ?, error = NULL,"
                    " updated_at = ? WHERE id = ?",
                    (channel_id, message_id, now, row_id),
                )
                kind, item_id = OutboxKind(row["kind"]), row["item_id"]
                if kind is OutboxKind.CARD and message_id is not None:
                    await db.execute(
                        "UPDATE held_items SET card_channel_id = ?, card_message_id = ? WHERE id = ?",
                        (channel_id, message_id, item_id),
                    )
                elif kind is OutboxKind.REPOST and message_id is not None:
                    await db.execute(
                        "UPDATE held_items SET repost_channel_id = ?, repost_message_id = ? WHERE id = ?",
                        (channel_id, message_id, item_id),
                    )
                elif kind is OutboxKind.DECISION_DM:
                    await db.execute("UPDATE held_items SET author_notified = 1 WHERE id = ?", (item_id,))

    async def mark_failed(self, row_ids: Sequence[int], error: str, *, retry_at: datetime | None = None) -> None:
        """A send failed: queue it again after retry_at, or (None) give up until the next start."""
        async with self._db.transaction() as db:
            await db.executemany(
                "UPDATE outbox SET state = ?, not_before = ?, error = ?, updated_at = ? WHERE id = ?",
                [
                    (
                        "queued" if retry_at else "failed",
                        now_text(retry_at) if retry_at else None,
                        error[:500],
                        now_text(),
                        row_id,
                    )
                    for row_id in row_ids
                ],
            )

    async def requeue(self, row_ids: Sequence[int], *, keep_nonce: bool = True) -> None:
        """Queue 'sending' rows again: with their nonce (Discord spots a repeat), or afresh (nonce, group cleared)."""
        # Only rows still 'sending': one that was recorded done meanwhile must not go a second time.
        async with self._db.transaction() as db:
            if keep_nonce:
                sql = (
                    "UPDATE outbox SET state = 'queued', not_before = NULL, updated_at = ?"
                    " WHERE id = ? AND state = 'sending'"
                )
            else:
                sql = (
                    "UPDATE outbox SET state = 'queued', not_before = NULL, nonce = NULL, group_id = NULL,"
                    " updated_at = ? WHERE id = ? AND state = 'sending'"
                )
            await db.executemany(sql, [(now_text(), row_id) for row_id in row_ids])

    async def requeue_failed(self, guild_id: int | None = None) -> int:
        """Every row that gave up (of one guild, or all) is tried once more; returns how many."""
        where = "state = 'failed'"
        params: tuple[Any, ...] = (now_text(),)
        if guild_id is not None:
            where += " AND item_id IN (SELECT id FROM held_items WHERE guild_id = ?)"
            params += (guild_id,)
        async with self._db.transaction() as db:
            cursor = await db.execute(
                f"UPDATE outbox SET state = 'queued', not_before = NULL, attempts = 0, updated_at = ? WHERE {where}",
                params,
            )
            return cursor.rowcount

    async def counts(self) -> dict[str, int]:
        """How many rows are in each state (for logs, tests and benchmarks)."""
        rows = await self._db.all("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        return {row["state"]: row["n"] for row in rows}

    async def create_card_group(self, guild_id: int, author_id: int | None, channel_id: int, nonce: str) -> CardGroup:
        """Open a grouped card for one author's items (its message comes when it is posted)."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO card_groups (guild_id, author_id, channel_id, nonce, created_at) VALUES (?, ?, ?, ?, ?)",
                (guild_id, author_id, channel_id, nonce, now_text()),
            )
            group_id = cursor.lastrowid
        assert group_id is not None
        group = await self.card_group(group_id)
        assert group is not None
        return group

    async def set_card_group_message(self, group_id: int, message_id: int) -> None:
        """Record the message of a grouped card."""
        async with self._db.transaction() as db:
            await db.execute("UPDATE card_groups SET message_id = ? WHERE id = ?", (message_id, group_id))

    async def card_group(self, group_id: int) -> CardGroup | None:
        """A grouped card by its id."""
        row = await self._db.one("SELECT * FROM card_groups WHERE id = ?", (group_id,))
        return mappers.card_group(row) if row else None

    async def card_group_by_message(self, message_id: int) -> CardGroup | None:
        """A grouped card by its message."""
        row = await self._db.one("SELECT * FROM card_groups WHERE message_id = ?", (message_id,))
        return mappers.card_group(row) if row else None

    async def card_group_of(self, item_id: int) -> int | None:
        """The grouped card an item is on, if any."""
        row = await self._db.one("SELECT group_id FROM outbox WHERE item_id = ? AND kind = 'card'", (item_id,))
        return row["group_id"] if row and row["group_id"] is not None else None
