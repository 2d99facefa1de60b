"""The queue in the store: pending entries, reminder candidates, decision facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import DEFAULT_REMINDER_AFTER_S, Decision, NewHeldItem, StoredLink
from bot.rules import Action, LinkClass, Reason
from bot.store import Store

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def hold(store: Store, guild_id: int, message_id: int, at: datetime, *reasons: Reason) -> int:
    links = (StoredLink("https://example.org/a", "example.org", LinkClass.EXTERNAL),)
    item, _ = await store.items.add(
        NewHeldItem(guild_id, 10, message_id, 20, "Nora", None, "text", Action.HOLD, reasons, links, at)
    )
    return item.id


async def test_queue_entries_are_pending_only_oldest_first(store: Store) -> None:
    late = await hold(store, 1, 101, T0 + timedelta(hours=2), Reason.NEW_MEMBER)
    early = await hold(store, 1, 102, T0, Reason.EMAIL)
    decided = await hold(store, 1, 103, T0 + timedelta(hours=1), Reason.NEW_MEMBER)
    await hold(store, 2, 104, T0, Reason.NEW_MEMBER)  # another guild
    await store.decisions.decide(decided, Decision.APPROVE, moderator_id=5, moderator_name="Maria")
    await store.items.set_card(early, 30, 3000)
    entries = await store.queue.entries(1)
    assert [e.id for e in entries] == [early, late]
    assert entries[0].reasons == (Reason.EMAIL,)
    assert entries[0].card_url == "https://discord.com/channels/1/30/3000"
    assert entries[1].card_url is None


async def test_reminder_candidates_carry_each_guilds_period_and_the_last_reminder(store: Store) -> None:
    first = await hold(store, 1, 101, T0, Reason.NEW_MEMBER)
    other = await hold(store, 2, 102, T0, Reason.NEW_MEMBER)
    await store.guilds.set_reminder_after(2, 7200)
    await store.queue.mark_reminded([first], T0 + timedelta(hours=12))
    candidates = await store.queue.reminder_candidates()
    assert [(entry.id, period) for entry, period in candidates] == [
        (first, DEFAULT_REMINDER_AFTER_S),  # guild 1 has no settings row: the default
        (other, 7200),
    ]
    assert candidates[0][0].reminded_at == T0 + timedelta(hours=12)
    assert candidates[1][0].reminded_at is None


async def test_decision_facts_since_a_moment(store: Store) -> None:
    await hold(store, 1, 101, T0 - timedelta(days=40), Reason.NEW_MEMBER)
    recent = await hold(store, 1, 102, T0, Reason.NEW_MEMBER, Reason.EXTERNAL_LINK)
    await store.decisions.decide(
        recent, Decision.REJECT, moderator_id=5, moderator_name="Maria", now=T0 + timedelta(hours=3)
    )
    [fact] = await store.queue.decision_facts(1, T0 - timedelta(days=30))
    assert fact.reasons == ("new_member", "external_link")
    assert fact.links == (("example.org", "external"),)
    assert (fact.state, fact.created_at, fact.decided_at) == ("rejected", T0, T0 + timedelta(hours=3))
    assert (fact.moderator_id, fact.moderator_name) == (5, "Maria")
    assert len(await store.queue.decision_facts(1, T0 - timedelta(days=60))) == 2
