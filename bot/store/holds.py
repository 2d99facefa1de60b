"""A hold's two writes, each one transaction: what is kept before the original is removed, and after."""

from __future__ import annotations

from collections.abc import Callable

from bot.models import HeldItem, MemberRecord, NewHeldItem, RaidNote
from bot.store.db import Database, now_text
from bot.store.items import ItemRepo, add_in
from bot.store.members import MemberRepo
from bot.store.raid import record_sighting_in


class HoldRepo:
    """A held message's trip into the store: one transaction before the delete, one after it."""

    def __init__(self, db: Database, items: ItemRepo, members: MemberRepo) -> None:
        self._db = db
        self._items = items
        self._members = members

    async def hold(
        self, new: NewHeldItem, *, raid_note: Callable[[HeldItem], RaidNote | None] | None = None
    ) -> tuple[HeldItem, MemberRecord, bool]:
        """The item, its files, its waiting outbox rows, the member's count and (raid_note, asked once the item
        exists) the raid sighting with its raid card, in one transaction.

        Returns the item, the author's record as it now is and whether the item is new (False: already stored,
        and nothing was written).
        """
        async with self._db.transaction() as db:
            created = await add_in(db, new)
            item = await self._items.by_message(new.message_id)
            assert item is not None  # inserted in this transaction or already there
            note = raid_note(item) if created and raid_note is not None else None
            if note is not None:
                await record_sighting_in(
                    db,
                    new.guild_id,
                    note.sighting,
                    active=note.active,
                    raid_size=note.raid_size,
                    forget_before=note.forget_before,
                    raid_card_item=item.id if note.starts_raid else None,
                )
            member = await self._members.get(new.guild_id, new.author_id)
        return item, member, created

    async def settle(self, item_id: int, *, removed: bool, error: str | None = None) -> HeldItem:
        """How the removal went (nothing when it is to be retried at start-up) and the item's waiting outbox rows
        let go, in one transaction; returns the item as it now is."""
        async with self._db.transaction() as db:
            if removed or error is not None:
                await db.execute(
                    "UPDATE held_items SET original_removed = ?, removal_error = ? WHERE id = ?",
                    (int(removed and error is None), error, item_id),
                )
            await db.execute(
                "UPDATE outbox SET state = 'queued', updated_at = ? WHERE item_id = ? AND state = 'waiting'",
                (now_text(), item_id),
            )
            item = await self._items.get(item_id)
        assert item is not None
        return item
