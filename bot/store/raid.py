"""Raid mode: sightings of links and the watch they leave."""

from __future__ import annotations

import json

from bot.models import (
    OutboxKind,
    RaidSighting,
    RaidState,
)
from bot.store.db import Connection, Database, now_text
from bot.store.outbox import enqueue_in


async def record_sighting_in(
    db: Connection,
    guild_id: int,
    sighting: RaidSighting,
    *,
    active: bool,
    raid_size: int,
    forget_before: float,
    raid_card_item: int | None = None,
) -> None:
    """Keep a sighting and the watch it leaves (and the raid card it may start) inside the caller's transaction."""
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
        (guild_id, int(active), raid_size, now_text()),
    )
    if raid_card_item is not None:
        await enqueue_in(db, raid_card_item, (OutboxKind.RAID_CARD,))


class RaidRepo:
    """Raid mode: sightings of links and the watch they leave."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record_sighting(
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
        async with self._db.transaction() as db:
            await record_sighting_in(
                db,
                guild_id,
                sighting,
                active=active,
                raid_size=raid_size,
                forget_before=forget_before,
                raid_card_item=raid_card_item,
            )

    async def states(self) -> list[RaidState]:
        """Every guild's stored raid watch with its sightings, oldest first (read once, at start-up)."""
        watches = await self._db.all("SELECT * FROM raid_watch ORDER BY guild_id")
        sightings = await self._db.all("SELECT * FROM raid_sightings ORDER BY guild_id, seen_at, id")
        seen: dict[int, list[RaidSighting]] = {}
        for row in sightings:
            seen.setdefault(row["guild_id"], []).append(
                RaidSighting(float(row["seen_at"]), row["author_id"], tuple(json.loads(row["domains"])))
            )
        return [
            RaidState(row["guild_id"], bool(row["active"]), row["raid_size"], tuple(seen.get(row["guild_id"], ())))
            for row in watches
        ]
