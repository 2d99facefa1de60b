"""The notices repository: a notice is recorded before it is posted, then given its message, then dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store import Store

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


async def test_a_notice_is_recorded_given_its_message_and_dropped(store: Store) -> None:
    later = await store.notices.add(1, 10, 7, "<@7> your DMs are closed", NOW + timedelta(seconds=60))
    sooner = await store.notices.add(1, 10, 8, "<@8> your DMs are closed", NOW + timedelta(seconds=30), search_after=5)
    assert [n.id for n in await store.notices.all()] == [sooner, later]  # soonest due first
    await store.notices.set_message(later, 999)
    [first, second] = await store.notices.all()
    assert (first.message_id, first.search_after, first.author_id) == (None, 5, 8)
    assert (second.message_id, second.delete_at) == (999, NOW + timedelta(seconds=60))
    await store.notices.drop(sooner)
    assert [n.id for n in await store.notices.all()] == [later]
