"""Moderators' decisions on held items, and the audit log they write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import bot.store.rows as mappers
from bot.models import (
    DECISION_STATE,
    Decision,
    DecisionOutcome,
    ItemState,
    OutboxKind,
)
from bot.store.db import Connection, Database, now_text
from bot.store.guilds import allow_domains_in
from bot.store.items import select_items
from bot.store.members import bump_in
from bot.store.outbox import enqueue_in

# Restoring applies to blocked items; every other decision to pending ones.
DECIDABLE_FROM = {decision: ItemState.PENDING.value for decision in Decision} | {
    Decision.RESTORE: ItemState.BLOCKED.value
}


def _decision_kinds(state: ItemState) -> tuple[OutboxKind, ...]:
    if state in (ItemState.APPROVED, ItemState.RESTORED):
        return (OutboxKind.REPOST, OutboxKind.CARD_UPDATE, OutboxKind.DECISION_DM)
    return (OutboxKind.CARD_UPDATE, OutboxKind.DECISION_DM)


class DecisionRepo:
    """Moderators' decisions on held items, and the audit log they write."""

    def __init__(self, db: Database) -> None:
        self._db = db

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
        async with self._db.transaction() as db:
            for item_id in item_ids:
                if await self._decide_one(db, item_id, decision, moderator_id, moderator_name, reason, now):
                    won_ids.add(item_id)
        outcomes = []
        for item_id in item_ids:
            found = await select_items(self._db, "h.id = ?", (item_id,), limit=1)
            if not found:
                raise KeyError(f"no held item {item_id}")
            outcomes.append(DecisionOutcome(item_id in won_ids, found[0]))
        return outcomes

    async def _decide_one(
        self,
        db: Connection,
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
                now_text(now),
                reason,
                item_id,
                DECIDABLE_FROM[decision],
            ),
        )
        if not cursor.rowcount:
            return False
        row = await (
            await db.execute("SELECT guild_id, author_id, webhook_id, links FROM held_items WHERE id = ?", (item_id,))
        ).fetchone()
        assert row is not None
        guild_id, author_id = row["guild_id"], row["author_id"]
        webhook = row["webhook_id"] is not None
        if webhook:
            pass  # a webhook holds no member record (nor trust): only the decision is recorded
        elif state in (ItemState.APPROVED, ItemState.RESTORED):
            await bump_in(
                db,
                guild_id,
                author_id,
                approved=1,
                trusted=True if decision is Decision.APPROVE_TRUST else None,
            )
        else:
            await bump_in(db, guild_id, author_id, rejected=1)
        if decision is Decision.APPROVE_DOMAIN:
            # Allowed with the decision, as trust is: a crash after the commit cannot approve without allowing.
            await allow_domains_in(db, guild_id, mappers.external_domains(row["links"]), moderator_id)
        await db.execute(
            "INSERT INTO audit_log (guild_id, item_id, actor_id, action, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, item_id, moderator_id, decision.value, reason, now_text(now)),
        )
        # What the decision calls for is queued in the same transaction: a crash cannot lose it.
        kinds = _decision_kinds(state)
        if webhook:
            kinds = tuple(kind for kind in kinds if kind is not OutboxKind.DECISION_DM)  # no one to DM
        await enqueue_in(db, item_id, kinds)
        return True

    # --- audit ------------------------------------------------------------------------

    async def audit(
        self, guild_id: int, action: str, *, actor_id: int | None, item_id: int | None = None, detail: str | None = None
    ) -> None:
        """Append a row to the audit log."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO audit_log (guild_id, item_id, actor_id, action, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, item_id, actor_id, action, detail, now_text()),
            )

    async def audit_entries(self, guild_id: int, limit: int = 50) -> list[dict[str, Any]]:
        """The latest audit rows of a guild, newest first."""
        rows = await self._db.all(
            "SELECT id, item_id, actor_id, action, detail, at FROM audit_log WHERE guild_id = ?"
            " ORDER BY id DESC LIMIT ?",
            (guild_id, limit),
        )
        return [dict(row) for row in rows]
