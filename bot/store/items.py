"""Held items: the message kept, its files, its card, its repost parts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import bot.store.rows as mappers
from bot.models import (
    OPEN_STATES,
    AttachmentData,
    HeldItem,
    ItemState,
    NewHeldItem,
    OutboxKind,
    OutboxState,
    StoredLink,
)
from bot.rules import Action, Reason
from bot.store.db import Connection, Database, now_text
from bot.store.members import bump_in
from bot.store.outbox import enqueue_in


async def add_in(db: Connection, new: NewHeldItem) -> bool:
    """Store a held message with its files, member count and waiting outbox rows in the caller's transaction."""
    state = ItemState.BLOCKED if new.action is Action.BLOCK else ItemState.PENDING
    cursor = await db.execute(
        "INSERT INTO held_items (guild_id, channel_id, thread_id, thread_name, is_forum_post, message_id,"
        " author_id, author_name, author_avatar_url, content, action, reasons, links, reply_to_url, edited,"
        " state, created_at, webhook_id, webhook_name, author_notified, applied_tags, sticker_names, poll)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (message_id) DO NOTHING",
        (
            new.guild_id,
            new.channel_id,
            new.thread_id,
            new.thread_name,
            int(new.is_forum_post),
            new.message_id,
            new.author_id,
            new.author_name,
            new.author_avatar_url,
            new.content,
            new.action.value,
            json.dumps([reason.value for reason in new.reasons]),
            json.dumps([mappers.link_json(link) for link in new.links]),
            new.reply_to_url,
            int(new.edited),
            state.value,
            now_text(new.created_at),
            new.webhook_id,
            new.webhook_name,
            # A webhook is not a person: there is no one to tell, so no decision DM is ever owed.
            int(new.webhook_id is not None),
            json.dumps(list(new.applied_tags)),
            json.dumps(list(new.sticker_names)),
            mappers.poll_json(new.poll),
        ),
    )
    created = bool(cursor.rowcount)
    if created:
        item_id = cursor.lastrowid
        await db.executemany(
            "INSERT INTO held_attachments (item_id, position, filename, content_type, spoiler, description,"
            " size, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    item_id,
                    position,
                    a.filename,
                    a.content_type,
                    int(a.spoiler),
                    a.description,
                    a.byte_size,  # a file too large to keep: its size, and no bytes
                    a.data,
                )
                for position, a in enumerate(new.attachments)
            ],
        )
        assert item_id is not None
        if new.webhook_id is not None:
            # A webhook holds no member record and cannot be sent a DM: only the card goes.
            await enqueue_in(db, item_id, (OutboxKind.CARD,), state=OutboxState.WAITING)
        else:
            await bump_in(db, new.guild_id, new.author_id, held=1)
            # The card and the author's DM are queued with the item, to go once its original is removed.
            await enqueue_in(db, item_id, (OutboxKind.CARD, OutboxKind.HOLD_DM), state=OutboxState.WAITING)
    return created


async def select_items(db: Database, where: str, params: Sequence[Any], *, limit: int | None = None) -> list[HeldItem]:
    """Held items matching a WHERE clause over ``held_items h``, oldest first."""
    sql = (
        "SELECT h.*, (SELECT json_group_array(json_array(filename, size, length(data) = size)) FROM"
        " (SELECT filename, size, data FROM held_attachments a WHERE a.item_id = h.id ORDER BY position))"
        " AS attachment_names"
        f" FROM held_items h WHERE {where} ORDER BY h.created_at, h.id"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [mappers.held_item(row) for row in await db.all(sql, params)]


class ItemRepo:
    """Held items: the message kept, its files, its card, its repost parts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, new: NewHeldItem) -> tuple[HeldItem, bool]:
        """Store a held message and its attachments; (item, False) if it was already stored."""
        async with self._db.transaction() as db:
            created = await add_in(db, new)
        item = await self.by_message(new.message_id)
        assert item is not None  # inserted above or already there
        return item, created

    async def get(self, item_id: int) -> HeldItem | None:
        """A held item by its id."""
        return await self._item_where("h.id = ?", (item_id,))

    async def by_message(self, message_id: int) -> HeldItem | None:
        """A held item by the id of the original message."""
        return await self._item_where("h.message_id = ?", (message_id,))

    async def update_copy(
        self,
        item_id: int,
        *,
        content: str,
        links: Sequence[StoredLink],
        reasons: Sequence[Reason],
        attachment_names: Sequence[str],
    ) -> bool:
        """Keep the author's latest version of an undecided held message, and queue its card's update.

        Attachments the latest version no longer has are dropped (an edit can remove them, never add).
        False when the item was decided meanwhile (what was decided on stays as it was).
        """
        states = tuple(state.value for state in OPEN_STATES)
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "UPDATE held_items SET content = ?, links = ?, reasons = ?, edited = 1"
                f" WHERE id = ? AND state IN ({','.join('?' * len(states))})",
                (
                    content,
                    json.dumps([mappers.link_json(link) for link in links]),
                    json.dumps([reason.value for reason in reasons]),
                    item_id,
                    *states,
                ),
            )
            if not cursor.rowcount:
                return False
            kept = list(attachment_names)
            stored = await db.execute_fetchall(
                "SELECT position, filename FROM held_attachments WHERE item_id = ? ORDER BY position", (item_id,)
            )
            gone = []
            for row in stored:
                if row["filename"] in kept:
                    kept.remove(row["filename"])  # one stored file for each the message still has
                else:
                    gone.append((item_id, row["position"]))
            await db.executemany("DELETE FROM held_attachments WHERE item_id = ? AND position = ?", gone)
            await enqueue_in(db, item_id, (OutboxKind.CARD_UPDATE,))
            await db.execute(
                "UPDATE outbox SET state = 'queued', nonce = NULL, not_before = NULL, error = NULL, updated_at = ?"
                " WHERE item_id = ? AND kind = ? AND state IN ('done', 'failed')",
                (now_text(), item_id, OutboxKind.CARD_UPDATE.value),
            )
        return True

    async def by_card(self, card_message_id: int) -> HeldItem | None:
        """A held item by the id of its moderator card."""
        return await self._item_where("h.card_message_id = ?", (card_message_id,))

    async def _item_where(self, where: str, params: Sequence[Any]) -> HeldItem | None:
        found = await select_items(self._db, where, params, limit=1)
        return found[0] if found else None

    async def open(self, guild_id: int | None = None) -> list[HeldItem]:
        """Items a moderator can still decide, oldest first."""
        states = tuple(state.value for state in OPEN_STATES)
        if guild_id is None:
            return await select_items(self._db, "h.state IN (?, ?)", states)
        return await select_items(self._db, "h.guild_id = ? AND h.state IN (?, ?)", (guild_id, *states))

    async def unfinished(self) -> list[HeldItem]:
        """Items whose hold or decision was interrupted: start-up reconciliation finishes them."""
        return await select_items(
            self._db,
            "(h.state IN ('pending', 'blocked') AND (h.card_message_id IS NULL OR h.original_removed = 0"
            "  AND h.removal_error IS NULL))"
            " OR (h.state IN ('approved', 'restored') AND h.repost_message_id IS NULL)"
            " OR (h.state IN ('approved', 'restored', 'rejected') AND h.author_notified = 0)",
            (),
        )

    async def attachments(self, item_id: int) -> list[AttachmentData]:
        """The stored attachments of an item, in their original order."""
        rows = await self._db.all(
            "SELECT filename, content_type, spoiler, description, size, data FROM held_attachments"
            " WHERE item_id = ? ORDER BY position",
            (item_id,),
        )
        return [
            AttachmentData(
                row["filename"],
                row["content_type"],
                bytes(row["data"]),
                bool(row["spoiler"]),
                row["description"],
                # Bytes shorter than the file: it was not kept (too large), only its name and size were.
                None if len(row["data"]) == row["size"] else row["size"],
            )
            for row in rows
        ]

    async def drop_attachment_bytes(self, item_id: int, positions: Iterable[int]) -> None:
        """Stop keeping these files' bytes (Discord refused them), by their place in `attachments()`."""
        async with self._db.transaction() as db:
            # Their names and sizes stay: the card lists them as not kept, and the repost goes without them.
            await db.executemany(
                "UPDATE held_attachments SET data = ? WHERE item_id = ? AND position = ?",
                [(b"", item_id, position) for position in positions],
            )

    async def open_message_ids_still_up(self) -> list[int]:
        """The messages of undecided items whose original could not be removed (their authors can still edit)."""
        states = tuple(state.value for state in OPEN_STATES)
        rows = await self._db.all(
            "SELECT message_id FROM held_items WHERE original_removed = 0"
            f" AND state IN ({','.join('?' * len(states))})",
            states,
        )
        return [row["message_id"] for row in rows]

    async def set_card(self, item_id: int, channel_id: int, message_id: int) -> None:
        """Record the moderator card posted for an item."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE held_items SET card_channel_id = ?, card_message_id = ? WHERE id = ?",
                (channel_id, message_id, item_id),
            )

    async def set_repost(self, item_id: int, channel_id: int, message_id: int) -> None:
        """Record where an approved item was published."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE held_items SET repost_channel_id = ?, repost_message_id = ? WHERE id = ?",
                (channel_id, message_id, item_id),
            )

    async def repost_parts(self, item_id: int) -> list[tuple[int, int]]:
        """The parts of an item's repost Discord has confirmed, in order: (channel id, message id) each."""
        rows = await self._db.all(
            "SELECT channel_id, message_id FROM repost_parts WHERE item_id = ? ORDER BY position", (item_id,)
        )
        return [(row["channel_id"], row["message_id"]) for row in rows]

    async def repost_part_owner(self, message_id: int) -> int | None:
        """The item a recorded repost part belongs to, if any."""
        row = await self._db.one("SELECT item_id FROM repost_parts WHERE message_id = ?", (message_id,))
        if row is None:
            row = await self._db.one("SELECT id AS item_id FROM held_items WHERE repost_message_id = ?", (message_id,))
        return int(row["item_id"]) if row is not None else None

    async def add_repost_part(self, item_id: int, position: int, channel_id: int, message_id: int) -> None:
        """Record one part of a repost as soon as Discord confirms it (a part recorded twice keeps the first)."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO repost_parts (item_id, position, channel_id, message_id) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (item_id, position) DO NOTHING",
                (item_id, position, channel_id, message_id),
            )

    async def mark_author_notified(self, item_id: int) -> None:
        """Record that the author was told of the decision."""
        async with self._db.transaction() as db:
            await db.execute("UPDATE held_items SET author_notified = 1 WHERE id = ?", (item_id,))

    async def of_member(self, guild_id: int, user_id: int, limit: int = 5) -> list[HeldItem]:
        """A member's latest held items, oldest of them first."""
        return await select_items(
            self._db,
            "h.id IN (SELECT id FROM held_items WHERE guild_id = ? AND author_id = ? ORDER BY id DESC LIMIT ?)",
            (guild_id, user_id, limit),
        )

    async def of_rows(self, item_ids: Sequence[int]) -> list[HeldItem]:
        """The items of these outbox rows, in the rows' order (one read; an item deleted since is left out)."""
        if not item_ids:
            return []
        found = {
            item.id: item
            for item in await select_items(self._db, f"h.id IN ({','.join('?' * len(item_ids))})", tuple(item_ids))
        }
        return [found[item_id] for item_id in item_ids if item_id in found]

    async def of_card_group(self, group_id: int) -> list[HeldItem]:
        """The items a grouped card stands for, oldest first."""
        return await select_items(
            self._db, "h.id IN (SELECT item_id FROM outbox WHERE kind = 'card' AND group_id = ?)", (group_id,)
        )
