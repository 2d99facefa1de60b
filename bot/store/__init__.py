"""The embedded store: one module owns the aiosqlite connection, the migrations and every query.

Every method takes and returns core types (``bot.models``); SQL never leaves this package and
is always parameterised. Writes run in explicit ``BEGIN IMMEDIATE`` transactions under a lock,
so a multi-statement change is never interleaved with another coroutine's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.mirror.model import ChannelKind, ForumCategory, MirrorRecord, MirrorState
from bot.mirror.source import tree_from_json, tree_to_json
from bot.models import (
    DECISION_STATE,
    DEFAULT_REMINDER_AFTER_S,
    OPEN_STATES,
    AllowedMessage,
    AttachmentData,
    AttachmentInfo,
    CardGroup,
    ChannelMark,
    Decision,
    DecisionFacts,
    DecisionOutcome,
    GuildSettings,
    HeldItem,
    HeldPoll,
    ItemState,
    LinkPreapproval,
    MemberRecord,
    NewHeldItem,
    Notice,
    OutboxKind,
    OutboxRow,
    OutboxState,
    QueueEntry,
    RaidNote,
    RaidSighting,
    RaidState,
    StoredLink,
    WelcomeSettings,
)
from bot.rules import Action, LinkClass, Reason

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000

# Restoring applies to blocked items; every other decision to pending ones.
DECIDABLE_FROM = {decision: ItemState.PENDING.value for decision in Decision} | {
    Decision.RESTORE: ItemState.BLOCKED.value
}


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


def _now_text(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat()


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class Store:
    """Async access to the SQLite database."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._db = connection
        self._path = path
        self._write_lock = asyncio.Lock()

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        """Open (creating if needed) and migrate the database at path."""
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc
        connection.row_factory = aiosqlite.Row
        store = cls(connection, path)
        try:
            await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await connection.execute("PRAGMA journal_mode = WAL")
            await connection.execute("PRAGMA synchronous = NORMAL")
            await connection.execute("PRAGMA foreign_keys = ON")
            await store._migrate()
        except BaseException as exc:
            # aiosqlite's worker thread keeps the process alive until the connection closes.
            await connection.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise StoreError(f"cannot use database {path}: {exc}") from exc
            raise
        return store

    async def close(self) -> None:
        """Close the connection."""
        await self._db.close()

    async def schema_version(self) -> int:
        """The applied migration number (PRAGMA user_version)."""
        row = await self._one("PRAGMA user_version")
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
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
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
    async def _one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        rows = await self._db.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        return list(await self._db.execute_fetchall(sql, params))

    # --- guild settings ---------------------------------------------------------------

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """A guild's settings (defaults when none are stored)."""
        row = await self._one(
            "SELECT moderator_channel_id, moderator_role_id FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        unscreened = await self._all("SELECT channel_id FROM unscreened_channels WHERE guild_id = ?", (guild_id,))
        return GuildSettings(
            guild_id=guild_id,
            moderator_channel_id=row["moderator_channel_id"] if row else None,
            moderator_role_id=row["moderator_role_id"] if row else None,
            unscreened_channel_ids=frozenset(r["channel_id"] for r in unscreened),
        )

    async def set_moderation(
        self, guild_id: int, *, channel_id: int | None = None, role_id: int | None = None
    ) -> GuildSettings:
        """Record the moderator channel and/or role (None leaves a value as it is)."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, moderator_channel_id, moderator_role_id, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET"
                " moderator_channel_id = COALESCE(excluded.moderator_channel_id, moderator_channel_id),"
                " moderator_role_id = COALESCE(excluded.moderator_role_id, moderator_role_id),"
                " updated_at = excluded.updated_at",
                (guild_id, channel_id, role_id, _now_text()),
            )
        return await self.guild_settings(guild_id)

    async def clear_moderator_role(self, guild_id: int) -> None:
        """Forget the guild's moderator role (set_moderation can only set one)."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE guild_settings SET moderator_role_id = NULL, updated_at = ? WHERE guild_id = ?",
                (_now_text(), guild_id),
            )

    async def set_channel_screened(self, guild_id: int, channel_id: int, screened: bool) -> None:
        """Screen (the default) or stop screening one channel."""
        async with self._transaction() as db:
            if screened:
                await db.execute(
                    "DELETE FROM unscreened_channels WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
                )
            else:
                await db.execute(
                    "INSERT OR IGNORE INTO unscreened_channels (guild_id, channel_id) VALUES (?, ?)",
                    (guild_id, channel_id),
                )

    async def policy_overrides(self, guild_id: int) -> dict[str, Any]:
        """The guild's policy changes, shaped like policy.toml."""
        row = await self._one("SELECT policy_overrides FROM guild_settings WHERE guild_id = ?", (guild_id,))
        loaded = json.loads(row["policy_overrides"]) if row else {}
        return loaded if isinstance(loaded, dict) else {}

    async def set_policy_overrides(self, guild_id: int, overrides: Mapping[str, Any]) -> None:
        """Replace the guild's policy changes."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, policy_overrides, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET policy_overrides = excluded.policy_overrides,"
                " updated_at = excluded.updated_at",
                (guild_id, json.dumps(overrides, sort_keys=True), _now_text()),
            )

    # --- allowed domains --------------------------------------------------------------

    async def allowed_domains(self, guild_id: int) -> frozenset[str]:
        """Domains moderators allowed in this guild."""
        rows = await self._all("SELECT domain FROM allowed_domains WHERE guild_id = ?", (guild_id,))
        return frozenset(row["domain"] for row in rows)

    async def allow_domains(self, guild_id: int, domains: Iterable[str], added_by: int | None) -> frozenset[str]:
        """Add domains to the guild's allowed list; return the ones that were new."""
        added = set()
        async with self._transaction() as db:
            for domain in domains:
                cursor = await db.execute(
                    "INSERT OR IGNORE INTO allowed_domains (guild_id, domain, added_by, added_at) VALUES (?, ?, ?, ?)",
                    (guild_id, domain, added_by, _now_text()),
                )
                if cursor.rowcount:
                    added.add(domain)
        return frozenset(added)

    async def disallow_domain(self, guild_id: int, domain: str) -> bool:
        """Remove a domain from the allowed list; True if it was there."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "DELETE FROM allowed_domains WHERE guild_id = ? AND domain = ?", (guild_id, domain)
            )
            return bool(cursor.rowcount)

    # --- members ----------------------------------------------------------------------

    async def member(self, guild_id: int, user_id: int) -> MemberRecord:
        """A member's record (zeros when unknown)."""
        row = await self._one("SELECT * FROM members WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
        record = _member(row) if row else MemberRecord(guild_id, user_id)
        grants = await self.preapprovals(guild_id, user_id)
        return replace(record, preapprovals=tuple(grants)) if grants else record

    async def members(self, guild_id: int) -> list[MemberRecord]:
        """Every known member of a guild."""
        return [_member(row) for row in await self._all("SELECT * FROM members WHERE guild_id = ?", (guild_id,))]

    async def update_member(
        self,
        guild_id: int,
        user_id: int,
        *,
        approved: int = 0,
        held: int = 0,
        rejected: int = 0,
        trusted: bool | None = None,
        links_preapproved: bool | None = None,
    ) -> MemberRecord:
        """Add to a member's counts and/or set their flags; return the new record."""
        async with self._transaction() as db:
            await self._update_member(db, guild_id, user_id, approved, held, rejected, trusted, links_preapproved)
        return await self.member(guild_id, user_id)

    @staticmethod
    async def _update_member(
        db: aiosqlite.Connection,
        guild_id: int,
        user_id: int,
        approved: int = 0,
        held: int = 0,
        rejected: int = 0,
        trusted: bool | None = None,
        links_preapproved: bool | None = None,
    ) -> None:
        await db.execute(
            "INSERT INTO members (guild_id, user_id, approved_posts, held_posts, rejected_posts, trusted,"
            " links_preapproved, updated_at) VALUES (?, ?, ?, ?, ?, COALESCE(?, 0), COALESCE(?, 0), ?)"
            " ON CONFLICT (guild_id, user_id) DO UPDATE SET"
            " approved_posts = approved_posts + excluded.approved_posts,"
            " held_posts = held_posts + excluded.held_posts,"
            " rejected_posts = rejected_posts + excluded.rejected_posts,"
            " trusted = COALESCE(?, trusted), links_preapproved = COALESCE(?, links_preapproved),"
            " updated_at = excluded.updated_at",
            (
                guild_id,
                user_id,
                max(approved, 0),
                max(held, 0),
                max(rejected, 0),
                trusted,
                links_preapproved,
                _now_text(),
                trusted,
                links_preapproved,
            ),
        )

    # --- held items -------------------------------------------------------------------

    async def add_held_item(self, new: NewHeldItem) -> tuple[HeldItem, bool]:
        """Store a held message and its attachments; (item, False) if it was already stored."""
        state = ItemState.BLOCKED if new.action is Action.BLOCK else ItemState.PENDING
        async with self._transaction() as db:
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
                    json.dumps([_link_json(link) for link in new.links]),
                    new.reply_to_url,
                    int(new.edited),
                    state.value,
                    _now_text(new.created_at),
                    new.webhook_id,
                    new.webhook_name,
                    # A webhook is not a person: there is no one to tell, so no decision DM is ever owed.
                    int(new.webhook_id is not None),
                    json.dumps(list(new.applied_tags)),
                    json.dumps(list(new.sticker_names)),
                    _poll_json(new.poll),
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
                    await _enqueue(db, item_id, (OutboxKind.CARD,), state=OutboxState.WAITING)
                else:
                    await self._update_member(db, new.guild_id, new.author_id, held=1)
                    # The card and the author's DM are queued with the item, to go once its original is removed.
                    await _enqueue(db, item_id, (OutboxKind.CARD, OutboxKind.HOLD_DM), state=OutboxState.WAITING)
        item = await self.item_by_message(new.message_id)
        assert item is not None  # inserted above or already there
        return item, created

    async def item(self, item_id: int) -> HeldItem | None:
        """A held item by its id."""
        return await self._item_where("h.id = ?", (item_id,))

    async def item_by_message(self, message_id: int) -> HeldItem | None:
        """A held item by the id of the original message."""
        return await self._item_where("h.message_id = ?", (message_id,))

    async def update_held_copy(
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
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE held_items SET content = ?, links = ?, reasons = ?, edited = 1"
                f" WHERE id = ? AND state IN ({','.join('?' * len(states))})",
                (
                    content,
                    json.dumps([_link_json(link) for link in links]),
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
            await _enqueue(db, item_id, (OutboxKind.CARD_UPDATE,))
            await db.execute(
                "UPDATE outbox SET state = 'queued', nonce = NULL, not_before = NULL, error = NULL, updated_at = ?"
                " WHERE item_id = ? AND kind = ? AND state IN ('done', 'failed')",
                (_now_text(), item_id, OutboxKind.CARD_UPDATE.value),
            )
        return True

    async def item_by_card(self, card_message_id: int) -> HeldItem | None:
        """A held item by the id of its moderator card."""
        return await self._item_where("h.card_message_id = ?", (card_message_id,))

    async def _item_where(self, where: str, params: Sequence[Any]) -> HeldItem | None:
        rows = await self._items(where, params, limit=1)
        return rows[0] if rows else None

    async def _items(self, where: str, params: Sequence[Any], *, limit: int | None = None) -> list[HeldItem]:
        sql = (
            "SELECT h.*, (SELECT json_group_array(json_array(filename, size, length(data) = size)) FROM"
            " (SELECT filename, size, data FROM held_attachments a WHERE a.item_id = h.id ORDER BY position))"
            " AS attachment_names"
            f" FROM held_items h WHERE {where} ORDER BY h.created_at, h.id"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_held_item(row) for row in await self._all(sql, params)]

    async def open_items(self, guild_id: int | None = None) -> list[HeldItem]:
        """Items a moderator can still decide, oldest first."""
        states = tuple(state.value for state in OPEN_STATES)
        if guild_id is None:
            return await self._items("h.state IN (?, ?)", states)
        return await self._items("h.guild_id = ? AND h.state IN (?, ?)", (guild_id, *states))

    async def unfinished_items(self) -> list[HeldItem]:
        """Items whose hold or decision was interrupted: start-up reconciliation finishes them."""
        return await self._items(
            "(h.state IN ('pending', 'blocked') AND (h.card_message_id IS NULL OR h.original_removed = 0"
            "  AND h.removal_error IS NULL))"
            " OR (h.state IN ('approved', 'restored') AND h.repost_message_id IS NULL)"
            " OR (h.state IN ('approved', 'restored', 'rejected') AND h.author_notified = 0)",
            (),
        )

    async def attachments(self, item_id: int) -> list[AttachmentData]:
        """The stored attachments of an item, in their original order."""
        rows = await self._all(
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
        async with self._transaction() as db:
            # Their names and sizes stay: the card lists them as not kept, and the repost goes without them.
            await db.executemany(
                "UPDATE held_attachments SET data = x'' WHERE item_id = ? AND position = ?",
                [(item_id, position) for position in positions],
            )

    async def open_message_ids_still_up(self) -> list[int]:
        """The messages of undecided items whose original could not be removed (their authors can still edit)."""
        states = tuple(state.value for state in OPEN_STATES)
        rows = await self._all(
            "SELECT message_id FROM held_items WHERE original_removed = 0"
            f" AND state IN ({','.join('?' * len(states))})",
            states,
        )
        return [row["message_id"] for row in rows]

    async def mark_original_removed(self, item_id: int, *, error: str | None = None) -> None:
        """Record that the original is gone, or why it could not be removed."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE held_items SET original_removed = ?, removal_error = ? WHERE id = ?",
                (int(error is None), error, item_id),
            )

    async def set_card(self, item_id: int, channel_id: int, message_id: int) -> None:
        """Record the moderator card posted for an item."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE held_items SET card_channel_id = ?, card_message_id = ? WHERE id = ?",
                (channel_id, message_id, item_id),
            )

    async def decide(
        self,
        item_id: int,
        decision: Decision,
        *,
        moderator_id: int,
        moderator_name: str,
        reason: str | None = None,
        now: datetime | None = None,
    ) -> DecisionOutcome:
        """Decide an open item exactly once; a second decision loses and sees the first."""
        [outcome] = await self.decide_many(
            [item_id], decision, moderator_id=moderator_id, moderator_name=moderator_name, reason=reason, now=now
        )
        return outcome

    async def decide_many(
        self,
        item_ids: Sequence[int],
        decision: Decision,
        *,
        moderator_id: int,
        moderator_name: str,
        reason: str | None = None,
        now: datetime | None = None,
    ) -> list[DecisionOutcome]:
        """Decide several items in one transaction, each exactly once; what follows each win is queued with it."""
        won_ids: set[int] = set()
        async with self._transaction() as db:
            for item_id in item_ids:
                if await self._decide_one(db, item_id, decision, moderator_id, moderator_name, reason, now):
                    won_ids.add(item_id)
        outcomes = []
        for item_id in item_ids:
            item = await self.item(item_id)
            if item is None:
                raise KeyError(f"no held item {item_id}")
            outcomes.append(DecisionOutcome(item_id in won_ids, item))
        return outcomes

    async def _decide_one(
        self,
        db: aiosqlite.Connection,
        item_id: int,
        decision: Decision,
        moderator_id: int,
        moderator_name: str,
        reason: str | None,
        now: datetime | None,
    ) -> bool:
        state = DECISION_STATE[decision]
        cursor = await db.execute(
            "UPDATE held_items SET state = ?, decision = ?, decided_by = ?, decided_by_name = ?,"
            " decided_at = ?, decision_reason = ? WHERE id = ? AND state = ?",
            (
                state.value,
                decision.value,
                moderator_id,
                moderator_name,
                _now_text(now),
                reason,
                item_id,
                DECIDABLE_FROM[decision],
            ),
        )
        if not cursor.rowcount:
            return False
        row = await (
            await db.execute("SELECT guild_id, author_id, webhook_id FROM held_items WHERE id = ?", (item_id,))
        ).fetchone()
        assert row is not None
        guild_id, author_id = row["guild_id"], row["author_id"]
        webhook = row["webhook_id"] is not None
        if webhook:
            pass  # a webhook holds no member record (nor trust): only the decision is recorded
        elif state in (ItemState.APPROVED, ItemState.RESTORED):
            await self._update_member(
                db,
                guild_id,
                author_id,
                approved=1,
                trusted=True if decision is Decision.APPROVE_TRUST else None,
            )
        else:
            await self._update_member(db, guild_id, author_id, rejected=1)
        await db.execute(
            "INSERT INTO audit_log (guild_id, item_id, actor_id, action, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, item_id, moderator_id, decision.value, reason, _now_text(now)),
        )
        # What the decision calls for is queued in the same transaction: a crash cannot lose it.
        kinds = _decision_kinds(state)
        if webhook:
            kinds = tuple(kind for kind in kinds if kind is not OutboxKind.DECISION_DM)  # no one to DM
        await _enqueue(db, item_id, kinds)
        return True

    async def set_repost(self, item_id: int, channel_id: int, message_id: int) -> None:
        """Record where an approved item was published."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE held_items SET repost_channel_id = ?, repost_message_id = ? WHERE id = ?",
                (channel_id, message_id, item_id),
            )

    async def repost_parts(self, item_id: int) -> list[tuple[int, int]]:
        """The parts of an item's repost Discord has confirmed, in order: (channel id, message id) each."""
        rows = await self._all(
            "SELECT channel_id, message_id FROM repost_parts WHERE item_id = ? ORDER BY position", (item_id,)
        )
        return [(row["channel_id"], row["message_id"]) for row in rows]

    async def repost_part_owner(self, message_id: int) -> int | None:
        """The item a recorded repost part belongs to, if any."""
        row = await self._one("SELECT item_id FROM repost_parts WHERE message_id = ?", (message_id,))
        if row is None:
            row = await self._one("SELECT id AS item_id FROM held_items WHERE repost_message_id = ?", (message_id,))
        return int(row["item_id"]) if row is not None else None

    async def add_repost_part(self, item_id: int, position: int, channel_id: int, message_id: int) -> None:
        """Record one part of a repost as soon as Discord confirms it (a part recorded twice keeps the first)."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO repost_parts (item_id, position, channel_id, message_id) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (item_id, position) DO NOTHING",
                (item_id, position, channel_id, message_id),
            )

    async def mark_author_notified(self, item_id: int) -> None:
        """Record that the author was told of the decision."""
        async with self._transaction() as db:
            await db.execute("UPDATE held_items SET author_notified = 1 WHERE id = ?", (item_id,))

    # --- audit ------------------------------------------------------------------------

    async def audit(
        self, guild_id: int, action: str, *, actor_id: int | None, item_id: int | None = None, detail: str | None = None
    ) -> None:
        """Append a row to the audit log."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO audit_log (guild_id, item_id, actor_id, action, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, item_id, actor_id, action, detail, _now_text()),
            )

    async def audit_entries(self, guild_id: int, limit: int = 50) -> list[dict[str, Any]]:
        """The latest audit rows of a guild, newest first."""
        rows = await self._all(
            "SELECT id, item_id, actor_id, action, detail, at FROM audit_log WHERE guild_id = ?"
            " ORDER BY id DESC LIMIT ?",
            (guild_id, limit),
        )
        return [dict(row) for row in rows]

    # --- forum mirror -------------------------------------------------------------------

    async def mirror_records(self, guild_id: int) -> list[MirrorRecord]:
        """Every forum category the mirror has placed in a guild, archived ones included."""
        rows = await self._all(
            "SELECT forum_category_id, channel_id, kind, archived FROM mirror_channels WHERE guild_id = ?"
            " ORDER BY forum_category_id",
            (guild_id,),
        )
        return [
            MirrorRecord(row["forum_category_id"], row["channel_id"], ChannelKind(row["kind"]), bool(row["archived"]))
            for row in rows
        ]

    async def put_mirror_record(
        self, guild_id: int, record: MirrorRecord, *, archive_undo: Mapping[str, bool | None] | None = None
    ) -> None:
        """Record (or replace) which channel stands for a forum category, and what its archiving changed."""
        undo = None if archive_undo is None else json.dumps(dict(archive_undo), sort_keys=True)
        async with self._transaction() as db:
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
                    _now_text(),
                ),
            )

    async def mirror_archive_undo(self, guild_id: int, forum_id: int) -> dict[str, bool | None] | None:
        """What archiving this category's channel changed (permission → value before), or None if unknown."""
        row = await self._one(
            "SELECT archive_undo FROM mirror_channels WHERE guild_id = ? AND forum_category_id = ?",
            (guild_id, forum_id),
        )
        if row is None or row["archive_undo"] is None:
            return None
        loaded = json.loads(row["archive_undo"])
        return {str(key): None if value is None else bool(value) for key, value in loaded.items()}

    async def mirror_state(self, guild_id: int) -> MirrorState:
        """A guild's archive category and last sync (empty when the mirror never ran there)."""
        row = await self._one("SELECT * FROM mirror_state WHERE guild_id = ?", (guild_id,))
        if row is None:
            return MirrorState(guild_id)
        return MirrorState(
            guild_id=guild_id,
            archive_category_id=row["archive_category_id"],
            last_sync_at=_time(row["last_sync_at"]),
            last_source=row["last_source"],
            last_summary=row["last_summary"],
            last_tree=tree_from_json(row["last_tree"]) if row["last_tree"] else None,
        )

    async def set_mirror_archive_category(self, guild_id: int, channel_id: int) -> None:
        """Record the Discord category archived channels go to."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO mirror_state (guild_id, archive_category_id, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET archive_category_id = excluded.archive_category_id,"
                " updated_at = excluded.updated_at",
                (guild_id, channel_id, _now_text()),
            )

    async def record_mirror_sync(
        self,
        guild_id: int,
        *,
        source: str,
        summary: str,
        tree: Sequence[ForumCategory],
        at: datetime | None = None,
    ) -> None:
        """Record an apply: when, from where, what it did, and the tree it worked from."""
        now = _now_text(at)
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO mirror_state (guild_id, last_sync_at, last_source, last_summary, last_tree, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET"
                " last_sync_at = excluded.last_sync_at, last_source = excluded.last_source,"
                " last_summary = excluded.last_summary, last_tree = excluded.last_tree,"
                " updated_at = excluded.updated_at",
                (guild_id, now, source, summary, tree_to_json(tree), now),
            )

    async def mirrored_guilds(self) -> list[int]:
        """Guilds where the mirror has been applied at least once (the periodic re-sync visits these)."""
        rows = await self._all("SELECT guild_id FROM mirror_state WHERE last_sync_at IS NOT NULL ORDER BY guild_id")
        return [row["guild_id"] for row in rows]

    # --- admin commands: pre-approvals, whole-policy import, a member's history -----------

    async def preapprovals(self, guild_id: int, user_id: int, *, spent: bool = False) -> list[LinkPreapproval]:
        """A member's link pre-approvals, oldest first; spent ones only when asked."""
        where = "" if spent else " AND (uses_left IS NULL OR uses_left > 0)"
        rows = await self._all(
            f"SELECT * FROM link_preapprovals WHERE guild_id = ? AND user_id = ?{where} ORDER BY id",
            (guild_id, user_id),
        )
        return [_preapproval(row) for row in rows]

    async def add_preapproval(
        self, guild_id: int, user_id: int, *, domain: str | None, uses: int | None, granted_by: int | None
    ) -> LinkPreapproval:
        """Grant a member's links for one domain (or any, None), standing (uses None) or counted."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT INTO link_preapprovals (guild_id, user_id, domain, uses_left, granted_by, granted_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, user_id, domain, uses, granted_by, _now_text()),
            )
            grant_id = cursor.lastrowid
            await db.execute(
                "INSERT INTO audit_log (guild_id, item_id, actor_id, action, detail, at) VALUES (?, NULL, ?, ?, ?, ?)",
                (
                    guild_id,
                    granted_by,
                    "preapprove",
                    f"user={user_id} domain={domain or '*'} uses={'standing' if uses is None else uses}",
                    _now_text(),
                ),
            )
        row = await self._one("SELECT * FROM link_preapprovals WHERE id = ?", (grant_id,))
        assert row is not None
        return _preapproval(row)

    async def spend_preapprovals(self, grant_ids: Iterable[int], *, allowed: AllowedMessage | None = None) -> bool:
        """Spend one use of each counted grant, all or none; False when one was already spent out.

        `allowed` is the message that spends them, remembered in the same transaction: after a crash an
        edit of it (or the start-up catch-up) must not spend them again.
        """
        ids = sorted(set(grant_ids))
        try:
            async with self._transaction() as db:
                for grant_id in ids:
                    # Compare-and-set: two messages racing for the last use cannot both spend it.
                    cursor = await db.execute(
                        "UPDATE link_preapprovals SET uses_left = uses_left - 1 WHERE id = ? AND uses_left > 0",
                        (grant_id,),
                    )
                    if not cursor.rowcount:
                        raise _SpentOut()
                if allowed is not None:
                    await self._save_allowed(db, (allowed,), _now_text())
        except _SpentOut:
            return False
        return True

    # --- screening memory (written behind by the gate, in batches) -------------------------------

    async def save_screening_memory(self, allowed: Sequence[AllowedMessage], marks: Sequence[ChannelMark]) -> None:
        """Remember allowed messages' flaggables and advance channel marks (never backwards), in one transaction."""
        if not allowed and not marks:
            return
        now = _now_text()
        async with self._transaction() as db:
            await self._save_allowed(db, allowed, now)
            await db.executemany(
                "INSERT INTO channel_marks (channel_id, guild_id, last_message_id, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (channel_id) DO UPDATE SET"
                " last_message_id = MAX(last_message_id, excluded.last_message_id), updated_at = excluded.updated_at",
                [(m.channel_id, m.guild_id, m.last_message_id, now) for m in marks],
            )

    @staticmethod
    async def _save_allowed(db: aiosqlite.Connection, allowed: Iterable[AllowedMessage], now: str) -> None:
        await db.executemany(
            "INSERT INTO allowed_messages (message_id, guild_id, channel_id, flaggable, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_id) DO UPDATE SET"
            " flaggable = excluded.flaggable, updated_at = excluded.updated_at",
            [(a.message_id, a.guild_id, a.channel_id, json.dumps(sorted(a.flaggable)), now) for a in allowed],
        )

    async def allowed_flaggables(self, message_id: int) -> frozenset[str] | None:
        """What an allowed message carried when it was allowed; None when it is not remembered."""
        row = await self._one("SELECT flaggable FROM allowed_messages WHERE message_id = ?", (message_id,))
        return frozenset(json.loads(row["flaggable"])) if row else None

    async def screened_message_ids(self, message_ids: Sequence[int]) -> set[int]:
        """Those of the messages already held or remembered as allowed (one query for a page of history)."""
        if not message_ids:
            return set()
        marks = ",".join("?" * len(message_ids))
        rows = await self._all(
            f"SELECT message_id FROM held_items WHERE message_id IN ({marks})"
            f" UNION SELECT message_id FROM allowed_messages WHERE message_id IN ({marks})",
            (*message_ids, *message_ids),
        )
        return {row["message_id"] for row in rows}

    async def channel_marks(self, guild_id: int) -> dict[int, int]:
        """Each channel's newest message the bot saw, by channel id."""
        rows = await self._all("SELECT channel_id, last_message_id FROM channel_marks WHERE guild_id = ?", (guild_id,))
        return {row["channel_id"]: row["last_message_id"] for row in rows}

    async def forget_allowed_before(self, message_id: int) -> int:
        """Drop remembered allowed messages older than this id (a snowflake is a time); how many went."""
        async with self._transaction() as db:
            cursor = await db.execute("DELETE FROM allowed_messages WHERE message_id < ?", (message_id,))
        return cursor.rowcount

    async def revoke_preapprovals(
        self, guild_id: int, user_id: int, *, domain: str | None, revoked_by: int | None
    ) -> int:
        """End a member's active grants (for one domain, or all when None), kept spent for the record."""
        where = "guild_id = ? AND user_id = ? AND (uses_left IS NULL OR uses_left > 0)"
        params: tuple[Any, ...] = (guild_id, user_id)
        if domain is not None:
            where += " AND domain = ?"
            params += (domain,)
        async with self._transaction() as db:
            cursor = await db.execute(f"UPDATE link_preapprovals SET uses_left = 0 WHERE {where}", params)
            revoked = cursor.rowcount
            if domain is None:
                # The old any-domain flag on the member is a standing grant too.
                flagged = await db.execute(
                    "UPDATE members SET links_preapproved = 0 WHERE guild_id = ? AND user_id = ?"
                    " AND links_preapproved = 1",
                    (guild_id, user_id),
                )
                revoked += flagged.rowcount
            await db.execute(
                "INSERT INTO audit_log (guild_id, item_id, actor_id, action, detail, at) VALUES (?, NULL, ?, ?, ?, ?)",
                (guild_id, revoked_by, "revoke_preapproval", f"user={user_id} domain={domain or '*'}", _now_text()),
            )
        return revoked

    async def replace_policy(
        self,
        guild_id: int,
        *,
        overrides: Mapping[str, Any],
        allowed_domains: Iterable[str],
        unscreened_channel_ids: Iterable[int],
        actor_id: int | None,
    ) -> None:
        """Replace a guild's policy overrides, allowed domains and unscreened channels in one transaction."""
        allowed = sorted(set(allowed_domains))
        now = _now_text()
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, policy_overrides, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET policy_overrides = excluded.policy_overrides,"
                " updated_at = excluded.updated_at",
                (guild_id, json.dumps(overrides, sort_keys=True), now),
            )
            existing = {
                row[0]
                for row in await db.execute_fetchall(
                    "SELECT domain FROM allowed_domains WHERE guild_id = ?", (guild_id,)
                )
            }
            await db.executemany(
                "DELETE FROM allowed_domains WHERE guild_id = ? AND domain = ?",
                [(guild_id, domain) for domain in sorted(existing - set(allowed))],
            )
            # Domains already allowed keep who allowed them and when.
            await db.executemany(
                "INSERT OR IGNORE INTO allowed_domains (guild_id, domain, added_by, added_at) VALUES (?, ?, ?, ?)",
                [(guild_id, domain, actor_id, now) for domain in allowed],
            )
            await db.execute("DELETE FROM unscreened_channels WHERE guild_id = ?", (guild_id,))
            await db.executemany(
                "INSERT INTO unscreened_channels (guild_id, channel_id) VALUES (?, ?)",
                [(guild_id, channel_id) for channel_id in sorted(set(unscreened_channel_ids))],
            )
            await db.execute(
                "INSERT INTO audit_log (guild_id, item_id, actor_id, action, detail, at) VALUES (?, NULL, ?, ?, ?, ?)",
                (guild_id, actor_id, "policy_import", None, now),
            )

    async def member_items(self, guild_id: int, user_id: int, limit: int = 5) -> list[HeldItem]:
        """A member's latest held items, oldest of them first."""
        return await self._items(
            "h.id IN (SELECT id FROM held_items WHERE guild_id = ? AND author_id = ? ORDER BY id DESC LIMIT ?)",
            (guild_id, user_id, limit),
        )

    # --- queue, reminders and welcome (issue #5, part B) -----------------------------------

    async def queue_entries(self, guild_id: int) -> list[QueueEntry]:
        """A guild's pending items, oldest first."""
        rows = await self._all(
            "SELECT id, guild_id, author_id, author_name, reasons, created_at, reminded_at, card_channel_id,"
            " card_message_id FROM held_items WHERE guild_id = ? AND state = 'pending' ORDER BY created_at, id",
            (guild_id,),
        )
        return [_queue_entry(row) for row in rows]

    async def reminder_candidates(self) -> list[tuple[QueueEntry, int]]:
        """Every pending item of every guild, oldest first, with its guild's reminder period in seconds."""
        rows = await self._all(
            "SELECT h.id, h.guild_id, h.author_id, h.author_name, h.reasons, h.created_at, h.reminded_at,"
            " h.card_channel_id, h.card_message_id, COALESCE(g.reminder_after_s, ?) AS period"
            " FROM held_items h LEFT JOIN guild_settings g ON g.guild_id = h.guild_id"
            " WHERE h.state = 'pending' ORDER BY h.guild_id, h.created_at, h.id",
            (DEFAULT_REMINDER_AFTER_S,),
        )
        return [(_queue_entry(row), int(row["period"])) for row in rows]

    async def mark_reminded(self, item_ids: Iterable[int], at: datetime) -> None:
        """Record that the moderators were reminded of these items at this moment."""
        async with self._transaction() as db:
            await db.executemany(
                "UPDATE held_items SET reminded_at = ? WHERE id = ?", [(_now_text(at), item_id) for item_id in item_ids]
            )

    async def reminder_after(self, guild_id: int) -> int:
        """Seconds an item may wait before the moderators are reminded (0: reminders are off)."""
        row = await self._one("SELECT reminder_after_s FROM guild_settings WHERE guild_id = ?", (guild_id,))
        return int(row["reminder_after_s"]) if row else DEFAULT_REMINDER_AFTER_S

    async def set_reminder_after(self, guild_id: int, seconds: int) -> None:
        """Set the reminder period in seconds (0 turns reminders off)."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, reminder_after_s, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET reminder_after_s = excluded.reminder_after_s,"
                " updated_at = excluded.updated_at",
                (guild_id, seconds, _now_text()),
            )

    async def decision_facts(self, guild_id: int, since: datetime) -> list[DecisionFacts]:
        """What the statistics need of every item a guild held since this moment."""
        rows = await self._all(
            "SELECT reasons, links, state, created_at, decided_at, decided_by, decided_by_name FROM held_items"
            " WHERE guild_id = ? AND created_at >= ? ORDER BY created_at, id",
            (guild_id, _now_text(since)),
        )
        return [
            DecisionFacts(
                reasons=tuple(str(code) for code in json.loads(row["reasons"])),
                links=tuple((str(link["domain"]), str(link["class"])) for link in json.loads(row["links"])),
                state=row["state"],
                created_at=datetime.fromisoformat(row["created_at"]),
                decided_at=_time(row["decided_at"]),
                moderator_id=row["decided_by"],
                moderator_name=row["decided_by_name"],
            )
            for row in rows
        ]

    async def welcome_settings(self, guild_id: int) -> WelcomeSettings:
        """How a guild greets new members (the defaults when nothing is stored)."""
        row = await self._one(
            "SELECT welcome_text, welcome_channel_id, welcome_enabled FROM guild_settings WHERE guild_id = ?",
            (guild_id,),
        )
        if row is None:
            return WelcomeSettings(guild_id)
        return WelcomeSettings(guild_id, row["welcome_text"], row["welcome_channel_id"], bool(row["welcome_enabled"]))

    async def set_welcome(self, settings: WelcomeSettings) -> None:
        """Replace a guild's welcome text, channel and on/off switch."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, welcome_text, welcome_channel_id, welcome_enabled, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET welcome_text = excluded.welcome_text,"
                " welcome_channel_id = excluded.welcome_channel_id, welcome_enabled = excluded.welcome_enabled,"
                " updated_at = excluded.updated_at",
                (settings.guild_id, settings.text, settings.channel_id, int(settings.enabled), _now_text()),
            )

    # --- outbox -------------------------------------------------------------------------

    async def enqueue(self, item_id: int, kinds: Iterable[OutboxKind]) -> None:
        """Queue rows for an item (a row that exists already is left as it is)."""
        async with self._transaction() as db:
            await _enqueue(db, item_id, tuple(kinds))

    async def release(self, item_id: int) -> None:
        """Let an item's waiting rows go: its original has been dealt with."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET state = 'queued', updated_at = ? WHERE item_id = ? AND state = 'waiting'",
                (_now_text(), item_id),
            )

    async def rearm(self, item_id: int, kind: OutboxKind) -> None:
        """Queue a row again that already went (a card must show what changed since)."""
        async with self._transaction() as db:
            await _enqueue(db, item_id, (kind,))
            await db.execute(
                "UPDATE outbox SET state = 'queued', nonce = NULL, not_before = NULL, error = NULL, updated_at = ?"
                " WHERE item_id = ? AND kind = ? AND state IN ('done', 'failed')",
                (_now_text(), item_id, kind.value),
            )

    async def outbox_rows(
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
        rows = await self._all(
            "SELECT o.*, h.guild_id, h.author_id, h.channel_id AS item_channel_id, h.state AS item_state,"
            " (SELECT r.state FROM outbox r WHERE r.item_id = o.item_id AND r.kind = 'repost') AS repost_state,"
            " c.state AS card_state, c.group_id AS card_group_id"
            " FROM outbox o JOIN held_items h ON h.id = o.item_id"
            " LEFT JOIN outbox c ON c.item_id = o.item_id AND c.kind = 'card'"
            f" WHERE {where}"
            f" ORDER BY o.priority, o.id LIMIT {int(limit)}",
            params,
        )
        return [_outbox_row(row) for row in rows]

    async def mark_sending(
        self, row_ids: Sequence[int], nonce: str, *, group_id: int | None = None, search_after: int | None = None
    ) -> None:
        """Record, before the request, that these rows are going out together under this nonce.

        search_after is a snowflake the message to come will be newer than, where a search after a crash starts.
        """
        async with self._transaction() as db:
            # Sent again under the same nonce, the message may be the earlier attempt's: the earliest bound stays.
            await db.executemany(
                "UPDATE outbox SET state = 'sending', nonce = ?, group_id = COALESCE(?, group_id),"
                " search_after = CASE WHEN nonce IS ? AND search_after IS NOT NULL"
                " THEN MIN(search_after, COALESCE(?, search_after)) ELSE ? END,"
                " attempts = attempts + 1, updated_at = ? WHERE id = ?",
                [(nonce, group_id, nonce, search_after, search_after, _now_text(), row_id) for row_id in row_ids],
            )

    async def mark_done(self, row_ids: Sequence[int], channel_id: int | None, message_id: int | None) -> None:
        """Record what Discord made of these rows, and what it means for their items, at once."""
        now = _now_text()
        async with self._transaction() as db:
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
        async with self._transaction() as db:
            await db.executemany(
                "UPDATE outbox SET state = ?, not_before = ?, error = ?, updated_at = ? WHERE id = ?",
                [
                    (
                        "queued" if retry_at else "failed",
                        _now_text(retry_at) if retry_at else None,
                        error[:500],
                        _now_text(),
                        row_id,
                    )
                    for row_id in row_ids
                ],
            )

    async def requeue(self, row_ids: Sequence[int], *, keep_nonce: bool = True) -> None:
        """Queue 'sending' rows again: with their nonce (Discord spots a repeat), or afresh (nonce, group cleared)."""
        # Only rows still 'sending': one that was recorded done meanwhile must not go a second time.
        async with self._transaction() as db:
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
            await db.executemany(sql, [(_now_text(), row_id) for row_id in row_ids])

    async def requeue_failed(self, guild_id: int | None = None) -> int:
        """Every row that gave up (of one guild, or all) is tried once more; returns how many."""
        where = "state = 'failed'"
        params: tuple[Any, ...] = (_now_text(),)
        if guild_id is not None:
            where += " AND item_id IN (SELECT id FROM held_items WHERE guild_id = ?)"
            params += (guild_id,)
        async with self._transaction() as db:
            cursor = await db.execute(
                f"UPDATE outbox SET state = 'queued', not_before = NULL, attempts = 0, updated_at = ? WHERE {where}",
                params,
            )
            return cursor.rowcount

    async def outbox_counts(self) -> dict[str, int]:
        """How many rows are in each state (for logs, tests and benchmarks)."""
        rows = await self._all("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        return {row["state"]: row["n"] for row in rows}

    async def create_card_group(self, guild_id: int, author_id: int | None, channel_id: int, nonce: str) -> CardGroup:
        """Open a grouped card for one author's items (its message comes when it is posted)."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT INTO card_groups (guild_id, author_id, channel_id, nonce, created_at) VALUES (?, ?, ?, ?, ?)",
                (guild_id, author_id, channel_id, nonce, _now_text()),
            )
            group_id = cursor.lastrowid
        assert group_id is not None
        group = await self.card_group(group_id)
        assert group is not None
        return group

    async def set_card_group_message(self, group_id: int, message_id: int) -> None:
        """Record the message of a grouped card."""
        async with self._transaction() as db:
            await db.execute("UPDATE card_groups SET message_id = ? WHERE id = ?", (message_id, group_id))

    async def card_group(self, group_id: int) -> CardGroup | None:
        """A grouped card by its id."""
        row = await self._one("SELECT * FROM card_groups WHERE id = ?", (group_id,))
        return _card_group(row) if row else None

    async def card_group_by_message(self, message_id: int) -> CardGroup | None:
        """A grouped card by its message."""
        row = await self._one("SELECT * FROM card_groups WHERE message_id = ?", (message_id,))
        return _card_group(row) if row else None

    async def card_group_items(self, group_id: int) -> list[HeldItem]:
        """The items a grouped card stands for, oldest first."""
        return await self._items(
            "h.id IN (SELECT item_id FROM outbox WHERE kind = 'card' AND group_id = ?)", (group_id,)
        )

    async def card_group_of(self, item_id: int) -> int | None:
        """The grouped card an item is on, if any."""
        row = await self._one("SELECT group_id FROM outbox WHERE item_id = ? AND kind = 'card'", (item_id,))
        return row["group_id"] if row and row["group_id"] is not None else None

    # --- raid mode ----------------------------------------------------------------------

    async def record_raid_sighting(
        self,
        guild_id: int,
        sighting: RaidSighting,
        *,
        active: bool,
        raid_size: int,
        forget_before: float,
        raid_card_item: int | None = None,
    ) -> None:
        """Keep a sighting and the watch it leaves (and, when it starts a raid, the raid card) in one transaction."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO raid_sightings (guild_id, author_id, domains, seen_at) VALUES (?, ?, ?, ?)",
                (guild_id, sighting.author_id, json.dumps(list(sighting.domains)), sighting.at),
            )
            # Sightings outside the window no longer count: they are dropped as new ones come.
            await db.execute("DELETE FROM raid_sightings WHERE guild_id = ? AND seen_at < ?", (guild_id, forget_before))
            await db.execute(
                "INSERT INTO raid_watch (guild_id, active, raid_size, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET active = excluded.active, raid_size = excluded.raid_size,"
                " updated_at = excluded.updated_at",
                (guild_id, int(active), raid_size, _now_text()),
            )
            if raid_card_item is not None:
                await _enqueue(db, raid_card_item, (OutboxKind.RAID_CARD,))

    async def raid_states(self) -> list[RaidState]:
        """Every guild's stored raid watch with its sightings, oldest first (read once, at start-up)."""
        watches = await self._all("SELECT * FROM raid_watch ORDER BY guild_id")
        sightings = await self._all("SELECT * FROM raid_sightings ORDER BY guild_id, seen_at, id")
        seen: dict[int, list[RaidSighting]] = {}
        for row in sightings:
            seen.setdefault(row["guild_id"], []).append(
                RaidSighting(float(row["seen_at"]), row["author_id"], tuple(json.loads(row["domains"])))
            )
        return [
            RaidState(row["guild_id"], bool(row["active"]), row["raid_size"], tuple(seen.get(row["guild_id"], ())))
            for row in watches
        ]

    # --- notices to authors whose DMs are closed ---------------------------------------------

    async def add_notice(
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
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT INTO notices (guild_id, channel_id, author_id, content, search_after, delete_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (guild_id, channel_id, author_id, content, search_after, _now_text(delete_at), _now_text()),
            )
            notice_id = cursor.lastrowid
        assert notice_id is not None
        return notice_id

    async def set_notice_message(self, notice_id: int, message_id: int) -> None:
        """Record the message a notice was posted as."""
        async with self._transaction() as db:
            await db.execute("UPDATE notices SET message_id = ? WHERE id = ?", (message_id, notice_id))

    async def notices(self) -> list[Notice]:
        """Every notice not yet deleted, soonest due first."""
        rows = await self._all("SELECT * FROM notices ORDER BY delete_at, id")
        return [_notice(row) for row in rows]

    async def drop_notice(self, notice_id: int) -> None:
        """Forget a notice: it was deleted (or was never posted)."""
        async with self._transaction() as db:
            await db.execute("DELETE FROM notices WHERE id = ?", (notice_id,))

    # --- added by the gate split (to be moved into the repositories) ---
    # hold_item repeats add_held_item's INSERTs inside a larger transaction; when the items repository takes them,
    # add_held_item can become hold_item without a raid note.

    async def hold_item(
        self, new: NewHeldItem, *, raid_note: Callable[[HeldItem], RaidNote | None] | None = None
    ) -> tuple[HeldItem, MemberRecord, bool]:
        """A hold's one write before its original is removed: the item, its attachments, its waiting outbox rows,
        the member's count and (raid_note, asked once the item exists) the raid sighting with its raid card.

        Returns the item, the author's record as it now is and whether the item is new (False: already stored,
        and nothing was written).
        """
        state = ItemState.BLOCKED if new.action is Action.BLOCK else ItemState.PENDING
        async with self._transaction() as db:
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
                    json.dumps([_link_json(link) for link in new.links]),
                    new.reply_to_url,
                    int(new.edited),
                    state.value,
                    _now_text(new.created_at),
                    new.webhook_id,
                    new.webhook_name,
                    # A webhook is not a person: there is no one to tell, so no decision DM is ever owed.
                    int(new.webhook_id is not None),
                    json.dumps(list(new.applied_tags)),
                    json.dumps(list(new.sticker_names)),
                    _poll_json(new.poll),
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
                    await _enqueue(db, item_id, (OutboxKind.CARD,), state=OutboxState.WAITING)
                else:
                    await self._update_member(db, new.guild_id, new.author_id, held=1)
                    # The card and the author's DM are queued with the item, to go once its original is removed.
                    await _enqueue(db, item_id, (OutboxKind.CARD, OutboxKind.HOLD_DM), state=OutboxState.WAITING)
            item = await self._held_by_message(new.message_id)
            note = raid_note(item) if created and raid_note is not None else None
            if note is not None:
                await self._record_raid_note(db, new.guild_id, note, item.id)
            member = await self.member(new.guild_id, new.author_id)
        return item, member, created

    async def settle_hold(self, item_id: int, *, removed: bool, error: str | None = None) -> HeldItem:
        """A hold's one write after the delete: how the removal went (nothing when it is to be retried at start-up)
        and its waiting outbox rows let go, in one transaction; returns the item as it now is."""
        async with self._transaction() as db:
            if removed or error is not None:
                await db.execute(
                    "UPDATE held_items SET original_removed = ?, removal_error = ? WHERE id = ?",
                    (int(removed and error is None), error, item_id),
                )
            await db.execute(
                "UPDATE outbox SET state = 'queued', updated_at = ? WHERE item_id = ? AND state = 'waiting'",
                (_now_text(), item_id),
            )
            item = await self.item(item_id)
        assert item is not None
        return item

    @staticmethod
    async def _record_raid_note(db: aiosqlite.Connection, guild_id: int, note: RaidNote, item_id: int) -> None:
        # As record_raid_sighting, inside a hold's transaction (added by the gate split).
        sighting = note.sighting
        await db.execute(
            "INSERT INTO raid_sightings (guild_id, author_id, domains, seen_at) VALUES (?, ?, ?, ?)",
            (guild_id, sighting.author_id, json.dumps(list(sighting.domains)), sighting.at),
        )
        await db.execute(
            "DELETE FROM raid_sightings WHERE guild_id = ? AND seen_at < ?", (guild_id, note.forget_before)
        )
        await db.execute(
            "INSERT INTO raid_watch (guild_id, active, raid_size, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET active = excluded.active, raid_size = excluded.raid_size,"
            " updated_at = excluded.updated_at",
            (guild_id, int(note.active), note.raid_size, _now_text()),
        )
        if note.starts_raid:
            await _enqueue(db, item_id, (OutboxKind.RAID_CARD,))

    async def _held_by_message(self, message_id: int) -> HeldItem:
        item = await self.item_by_message(message_id)
        assert item is not None  # inserted in this transaction or already there
        return item


class _SpentOut(Exception):
    """A counted grant had no use left: roll the whole spend back."""


def _preapproval(row: aiosqlite.Row) -> LinkPreapproval:
    return LinkPreapproval(
        id=row["id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        domain=row["domain"],
        uses_left=row["uses_left"],
        granted_by=row["granted_by"],
        granted_at=datetime.fromisoformat(row["granted_at"]),
    )


_PRIORITIES = {
    OutboxKind.CARD: 1,
    OutboxKind.RAID_CARD: 0,
    OutboxKind.REPOST: 1,
    OutboxKind.CARD_UPDATE: 1,
    OutboxKind.HOLD_DM: 2,
    OutboxKind.DECISION_DM: 2,
}


def _decision_kinds(state: ItemState) -> tuple[OutboxKind, ...]:
    if state in (ItemState.APPROVED, ItemState.RESTORED):
        return (OutboxKind.REPOST, OutboxKind.CARD_UPDATE, OutboxKind.DECISION_DM)
    return (OutboxKind.CARD_UPDATE, OutboxKind.DECISION_DM)


async def _enqueue(
    db: aiosqlite.Connection,
    item_id: int,
    kinds: Sequence[OutboxKind],
    *,
    state: OutboxState = OutboxState.QUEUED,
) -> None:
    now = _now_text()
    await db.executemany(
        "INSERT INTO outbox (item_id, kind, state, priority, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (item_id, kind) DO NOTHING",
        [(item_id, kind.value, state.value, _PRIORITIES[kind], now, now) for kind in kinds],
    )


def _outbox_row(row: aiosqlite.Row) -> OutboxRow:
    return OutboxRow(
        id=row["id"],
        item_id=row["item_id"],
        kind=OutboxKind(row["kind"]),
        state=OutboxState(row["state"]),
        priority=row["priority"],
        guild_id=row["guild_id"],
        author_id=row["author_id"],
        channel_id=row["item_channel_id"],
        item_state=ItemState(row["item_state"]),
        attempts=row["attempts"],
        nonce=row["nonce"],
        group_id=row["group_id"],
        not_before=_time(row["not_before"]),
        repost_state=OutboxState(row["repost_state"]) if row["repost_state"] else None,
        card_state=OutboxState(row["card_state"]) if row["card_state"] else None,
        card_group_id=row["card_group_id"],
        updated_at=_time(row["updated_at"]),
        search_after=row["search_after"],
        error=row["error"],
    )


def _notice(row: aiosqlite.Row) -> Notice:
    return Notice(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        author_id=row["author_id"],
        message_id=row["message_id"],
        content=row["content"],
        delete_at=datetime.fromisoformat(row["delete_at"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        search_after=row["search_after"],
    )


def _card_group(row: aiosqlite.Row) -> CardGroup:
    return CardGroup(
        id=row["id"],
        guild_id=row["guild_id"],
        author_id=row["author_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        nonce=row["nonce"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def _link_json(link: StoredLink) -> dict[str, str]:
    return {"url": link.url, "domain": link.domain, "class": link.link_class.value}


def _member(row: aiosqlite.Row) -> MemberRecord:
    return MemberRecord(
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        approved_posts=row["approved_posts"],
        held_posts=row["held_posts"],
        rejected_posts=row["rejected_posts"],
        trusted=bool(row["trusted"]),
        links_preapproved=bool(row["links_preapproved"]),
    )


def _held_item(row: aiosqlite.Row) -> HeldItem:
    files = [f for f in json.loads(row["attachment_names"] or "[]") if f is not None]
    return HeldItem(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        author_avatar_url=row["author_avatar_url"],
        content=row["content"],
        action=Action(row["action"]),
        reasons=tuple(Reason(code) for code in json.loads(row["reasons"])),
        links=tuple(StoredLink(d["url"], d["domain"], LinkClass(d["class"])) for d in json.loads(row["links"])),
        state=ItemState(row["state"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        thread_id=row["thread_id"],
        thread_name=row["thread_name"],
        is_forum_post=bool(row["is_forum_post"]),
        reply_to_url=row["reply_to_url"],
        edited=bool(row["edited"]),
        original_removed=bool(row["original_removed"]),
        removal_error=row["removal_error"],
        card_channel_id=row["card_channel_id"],
        card_message_id=row["card_message_id"],
        decided_by=row["decided_by"],
        decided_by_name=row["decided_by_name"],
        decided_at=_time(row["decided_at"]),
        decision=Decision(row["decision"]) if row["decision"] else None,
        decision_reason=row["decision_reason"],
        repost_channel_id=row["repost_channel_id"],
        repost_message_id=row["repost_message_id"],
        author_notified=bool(row["author_notified"]),
        attachment_names=tuple(str(name) for name, _, _ in files),
        attachment_info=tuple(AttachmentInfo(str(name), int(size), bool(kept)) for name, size, kept in files),
        webhook_id=row["webhook_id"],
        webhook_name=row["webhook_name"],
        applied_tags=tuple(int(tag) for tag in json.loads(row["applied_tags"])),
        sticker_names=tuple(str(name) for name in json.loads(row["sticker_names"])),
        poll=_poll(row["poll"]),
    )


def _poll_json(poll: HeldPoll | None) -> str | None:
    if poll is None:
        return None
    return json.dumps(
        {
            "question": poll.question,
            "answers": [list(answer) for answer in poll.answers],
            "multiple": poll.multiple,
            "hours": poll.hours,
        }
    )


def _poll(text: str | None) -> HeldPoll | None:
    if not text:
        return None
    data = json.loads(text)
    answers = tuple((str(text), str(emoji) if emoji else None) for text, emoji in data["answers"])
    return HeldPoll(str(data["question"]), answers, bool(data["multiple"]), int(data["hours"]))


def _queue_entry(row: aiosqlite.Row) -> QueueEntry:
    return QueueEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        reasons=tuple(Reason(code) for code in json.loads(row["reasons"])),
        created_at=datetime.fromisoformat(row["created_at"]),
        reminded_at=_time(row["reminded_at"]),
        card_channel_id=row["card_channel_id"],
        card_message_id=row["card_message_id"],
    )
