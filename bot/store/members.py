"""Members' counts and flags, and their link pre-approvals."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import bot.store.rows as mappers
from bot.models import (
    AllowedMessage,
    LinkPreapproval,
    MemberRecord,
)
from bot.store.db import Connection, Database, now_text
from bot.store.screening import save_allowed_in


async def bump_in(
    db: Connection,
    guild_id: int,
    user_id: int,
    approved: int = 0,
    held: int = 0,
    rejected: int = 0,
    trusted: bool | None = None,
    links_preapproved: bool | None = None,
) -> None:
    """Add to a member's counts and/or set their flags, inside the caller's transaction."""
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
            now_text(),
            trusted,
            links_preapproved,
        ),
    )


class _SpentOut(Exception):
    """A counted grant had no use left: roll the whole spend back."""


class MemberRepo:
    """Members' counts and flags, and their link pre-approvals."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int, user_id: int) -> MemberRecord:
        """A member's record (zeros when unknown)."""
        row = await self._db.one("SELECT * FROM members WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
        record = mappers.member(row) if row else MemberRecord(guild_id, user_id)
        grants = await self.preapprovals(guild_id, user_id)
        return replace(record, preapprovals=tuple(grants)) if grants else record

    async def all(self, guild_id: int) -> list[MemberRecord]:
        """Every known member of a guild."""
        return [
            mappers.member(row) for row in await self._db.all("SELECT * FROM members WHERE guild_id = ?", (guild_id,))
        ]

    async def update(
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
        async with self._db.transaction() as db:
            await bump_in(db, guild_id, user_id, approved, held, rejected, trusted, links_preapproved)
        return await self.get(guild_id, user_id)

    # --- link pre-approvals -------------------------------------------------------------

    async def preapprovals(self, guild_id: int, user_id: int, *, spent: bool = False) -> list[LinkPreapproval]:
        """A member's link pre-approvals, oldest first; spent ones only when asked."""
        where = "" if spent else " AND (uses_left IS NULL OR uses_left > 0)"
        rows = await self._db.all(
            f"SELECT * FROM link_preapprovals WHERE guild_id = ? AND user_id = ?{where} ORDER BY id",
            (guild_id, user_id),
        )
        return [mappers.preapproval(row) for row in rows]

    async def add_preapproval(
        self, guild_id: int, user_id: int, *, domain: str | None, uses: int | None, granted_by: int | None
    ) -> LinkPreapproval:
        """Grant a member's links for one domain (or any, None), standing (uses None) or counted."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO link_preapprovals (guild_id, user_id, domain, uses_left, granted_by, granted_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, user_id, domain, uses, granted_by, now_text()),
            )
            grant_id = cursor.lastrowid
            await db.execute(
                "INSERT INTO audit_log (guild_id, item_id, actor_id, action, detail, at) VALUES (?, NULL, ?, ?, ?, ?)",
                (
                    guild_id,
                    granted_by,
                    "preapprove",
                    f"user={user_id} domain={domain or '*'} uses={'standing' if uses is None else uses}",
                    now_text(),
                ),
            )
        row = await self._db.one("SELECT * FROM link_preapprovals WHERE id = ?", (grant_id,))
        assert row is not None
        return mappers.preapproval(row)

    async def spend_preapprovals(self, grant_ids: Iterable[int], *, allowed: AllowedMessage | None = None) -> bool:
        """Spend one use of each counted grant, all or none; False when one was already spent out.

        `allowed` is the message that spends them, remembered in the same transaction: after a crash an
        edit of it (or the start-up catch-up) must not spend them again.
        """
        ids = sorted(set(grant_ids))
        try:
            async with self._db.transaction() as db:
                for grant_id in ids:
                    # Compare-and-set: two messages racing for the last use cannot both spend it.
                    cursor = await db.execute(
                        "UPDATE link_preapprovals SET uses_left = uses_left - 1 WHERE id = ? AND uses_left > 0",
                        (grant_id,),
                    )
                    if not cursor.rowcount:
                        raise _SpentOut()
                if allowed is not None:
                    await save_allowed_in(db, (allowed,), now_text())
        except _SpentOut:
            return False
        return True

    async def revoke_preapprovals(
        self, guild_id: int, user_id: int, *, domain: str | None, revoked_by: int | None
    ) -> int:
        """End a member's active grants (for one domain, or all when None), kept spent for the record."""
        where = "guild_id = ? AND user_id = ? AND (uses_left IS NULL OR uses_left > 0)"
        params: tuple[Any, ...] = (guild_id, user_id)
        if domain is not None:
            where += " AND domain = ?"
            params += (domain,)
        async with self._db.transaction() as db:
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
                (guild_id, revoked_by, "revoke_preapproval", f"user={user_id} domain={domain or '*'}", now_text()),
            )
        return revoked
