"""The outbox repository: a hold's rows wait for the original, go in order, and record what Discord made."""

from __future__ import annotations

from bot.models import OutboxKind, OutboxState
from bot.store import Store
from tests.store.helpers import held


async def test_a_holds_rows_wait_until_released_then_go_card_first(store: Store) -> None:
    item, _ = await store.items.add(held())
    assert await store.outbox.rows() == []  # nothing goes before the original is removed
    await store.outbox.release(item.id)
    assert [row.kind for row in await store.outbox.rows()] == [OutboxKind.CARD, OutboxKind.HOLD_DM]


async def test_a_card_recorded_done_sets_the_items_card(store: Store) -> None:
    item, _ = await store.items.add(held())
    await store.outbox.release(item.id)
    card = (await store.outbox.rows())[0]
    await store.outbox.mark_sending([card.id], "nonce-1", search_after=41)
    [sending] = await store.outbox.rows((OutboxState.SENDING,))
    assert (sending.nonce, sending.search_after, sending.attempts) == ("nonce-1", 41, 1)
    await store.outbox.mark_done([card.id], 500, 600)
    after = await store.items.get(item.id)
    assert after is not None
    assert (after.card_channel_id, after.card_message_id) == (500, 600)
    assert await store.outbox.counts() == {"done": 1, "queued": 1}


async def test_a_failed_row_is_tried_again_only_when_asked(store: Store) -> None:
    item, _ = await store.items.add(held())
    await store.outbox.release(item.id)
    rows = await store.outbox.rows()
    await store.outbox.mark_failed([row.id for row in rows], "HTTP 500")
    assert await store.outbox.rows() == []
    assert await store.outbox.requeue_failed(1) == 2
    assert len(await store.outbox.rows()) == 2


async def test_a_grouped_card_stands_for_its_items(store: Store) -> None:
    first, _ = await store.items.add(held(100))
    second, _ = await store.items.add(held(101))
    group = await store.outbox.create_card_group(1, 7, 500, "group-nonce")
    for item in (first, second):
        await store.outbox.release(item.id)
    cards = [row.id for row in await store.outbox.rows() if row.kind is OutboxKind.CARD]
    await store.outbox.mark_sending(cards, "group-nonce", group_id=group.id)
    await store.outbox.set_card_group_message(group.id, 700)
    assert await store.outbox.card_group_by_message(700) == await store.outbox.card_group(group.id)
    assert [item.id for item in await store.items.of_card_group(group.id)] == [first.id, second.id]
    assert await store.outbox.card_group_of(second.id) == group.id
