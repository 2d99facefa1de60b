"""The raid repository: sightings, the watch they leave, and a hold written with its sighting in one transaction."""

from __future__ import annotations

import pytest

from bot.models import OutboxKind, OutboxState, RaidSighting, RaidState
from bot.store import Store, items, raid
from tests.store.helpers import held


async def test_sightings_outside_the_window_are_dropped_and_the_watch_kept(store: Store) -> None:
    await store.raid.record_sighting(
        1, RaidSighting(100.0, 7, ("a.example",)), active=False, raid_size=0, forget_before=0
    )
    await store.raid.record_sighting(
        1, RaidSighting(200.0, 8, ("b.example",)), active=True, raid_size=2, forget_before=150.0
    )
    assert await store.raid.states() == [RaidState(1, True, 2, (RaidSighting(200.0, 8, ("b.example",)),))]


async def test_a_hold_and_its_sighting_share_one_transaction(store: Store) -> None:
    sighting = RaidSighting(100.0, 7, ("example.org",))
    async with store.transaction() as conn:
        assert await items.add_in(conn, held())
        [item] = await store.items.open(1)  # reads see the transaction's own writes (one connection)
        await raid.record_sighting_in(
            conn, 1, sighting, active=True, raid_size=1, forget_before=0, raid_card_item=item.id
        )
    kinds = {(row.kind, row.state) for row in await store.outbox.rows(tuple(OutboxState), item_id=item.id)}
    assert kinds == {
        (OutboxKind.CARD, OutboxState.WAITING),
        (OutboxKind.HOLD_DM, OutboxState.WAITING),
        (OutboxKind.RAID_CARD, OutboxState.QUEUED),
    }
    assert (await store.members.get(1, 7)).held_posts == 1


async def test_a_failure_inside_the_shared_transaction_keeps_neither(store: Store) -> None:
    async def hold_then_fail() -> None:
        async with store.transaction() as conn:
            await items.add_in(conn, held())
            await raid.record_sighting_in(
                conn, 1, RaidSighting(100.0, 7, ()), active=True, raid_size=1, forget_before=0
            )
            raise RuntimeError("the hold's caller failed before the commit")

    with pytest.raises(RuntimeError, match="failed before the commit"):
        await hold_then_fail()
    assert await store.items.open(1) == []
    assert await store.raid.states() == []
    assert (await store.members.get(1, 7)).held_posts == 0
