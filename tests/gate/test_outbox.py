"""The outbox: durable cards and DMs, crash-safe sends, grouped cards and raid mode (SimCord, real SQLite)."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest

from bot.app import build_bot
from bot.gate.cards import GROUP_MARKER, RAID_MARKER
from bot.models import Decision, ItemState, OutboxKind, OutboxState
from bot.store import Store
from tests.gate.conftest import World, cards, dms, fail_card_recording


def group_cards(world: World) -> list[discord.Message]:
    """The grouped cards in the moderator channel, oldest first."""
    return [
        m for m in world.modqueue.history() if m.embeds and (m.embeds[0].footer.text or "").startswith(GROUP_MARKER)
    ]


def group_id_of(card: discord.Message) -> int:
    """A grouped card's id, read from its footer."""
    return int((card.embeds[0].footer.text or "").removeprefix(GROUP_MARKER).split(" ", 1)[0])


def reposts(world: World) -> list[discord.Message]:
    """Messages published through a webhook in the general channel."""
    return [m for m in world.general.history() if m.webhook_id is not None]


@pytest.fixture
def paused(world: World) -> None:
    """Holds queue their cards and DMs without the worker sending them (a backlog builds up)."""
    world.bot.gate.outbox.pause()


async def drain(world: World) -> None:
    """Let the worker send everything queued, then pause it again."""
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    world.bot.gate.outbox.pause()
    await world.env.settle()


async def spammer(world: World, name: str = "pills4u") -> Any:
    """A new member."""
    return world.guild.add_member(world.env.create_user(name, global_name=name.capitalize()))


async def test_rows_are_unique_per_item_and_kind(world: World) -> None:
    await world.newbie.send(world.general, "hello there")
    [item] = await world.bot.store.items.open(world.guild.id)
    await world.bot.store.outbox.enqueue(item.id, (OutboxKind.CARD, OutboxKind.HOLD_DM, OutboxKind.CARD))
    rows = await world.bot.store.outbox.rows(tuple(OutboxState), item_id=item.id)
    assert sorted(row.kind for row in rows) == [OutboxKind.CARD, OutboxKind.HOLD_DM]
    assert {row.state for row in rows} == {OutboxState.DONE}
    [card_row] = [row for row in rows if row.kind is OutboxKind.CARD]
    assert card_row.nonce is not None  # it went out with a nonce Discord can refuse a repeat by
    [card] = cards(world)
    assert (await world.bot.store.items.get(item.id)).card_message_id == card.id  # type: ignore[union-attr]


async def test_a_decision_queues_its_effects_in_the_same_transaction(world: World, store: Store) -> None:
    await world.newbie.send(world.general, "hello there")
    [item] = await store.items.open(world.guild.id)
    await store.decisions.decide(item.id, Decision.APPROVE, moderator_id=world.mod.id, moderator_name="Maria")
    queued = await store.outbox.rows((OutboxState.QUEUED,), item_id=item.id)
    assert sorted(row.kind for row in queued) == [OutboxKind.CARD_UPDATE, OutboxKind.DECISION_DM, OutboxKind.REPOST]
    # A second decision loses, and queues nothing more.
    lost = await store.decisions.decide(item.id, Decision.REJECT, moderator_id=world.mod2.id, moderator_name="Sam")
    assert not lost.won
    assert len(await store.outbox.rows((OutboxState.QUEUED,), item_id=item.id)) == 3


async def test_a_crash_before_the_card_and_dm_loses_neither(world: World, store: Store, paused: None) -> None:
    original = await world.newbie.send(world.general, "Stored and removed, then the bot died")
    assert [m.id for m in world.general.history()] == []  # removed at once
    assert cards(world) == []
    assert dms(world.newbie) == []
    again = await Store.open(store.path)
    try:
        await world.env.restart_bot(build_bot(again, world.bot.community.bundle))
        [card] = cards(world)
        [held] = dms(world.newbie)
        assert "waiting for a moderator" in held.content
        item = await again.items.by_message(original.id)
        assert item is not None
        assert item.card_message_id == card.id
        await world.env.restart_bot(build_bot(again, world.bot.community.bundle))
        assert len(cards(world)) == 1  # nothing is sent twice
        assert len(dms(world.newbie)) == 1
    finally:
        await world.env.restart_bot(world.bot)
        await again.close()


async def test_a_crash_between_sending_and_recording_adopts_the_card(
    world: World, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_card_recording(monkeypatch, "simulated crash after sending the card")
    await world.newbie.send(world.general, "A card that went out unrecorded")
    [card] = cards(world)  # it reached Discord...
    [row] = [r for r in await store.outbox.rows((OutboxState.FAILED,)) if r.kind is OutboxKind.CARD]
    monkeypatch.undo()
    # ...the process died with the row still 'sending' (the failure handler never ran).
    await store.db.connection.execute("UPDATE outbox SET state = 'sending' WHERE id = ?", (row.id,))

    again = await Store.open(store.path)
    try:
        await world.env.restart_bot(build_bot(again, world.bot.community.bundle))
        assert [c.id for c in cards(world)] == [card.id]  # adopted, not posted again
        item = await again.items.get(row.item_id)
        assert item is not None
        assert item.card_message_id == card.id
        assert {r.state for r in await again.outbox.rows(tuple(OutboxState), item_id=item.id)} == {OutboxState.DONE}
        result = await world.mod.click(card, label="Approve")  # and the adopted card works
        assert result.acknowledged
        assert len(reposts(world)) == 1
    finally:
        await world.env.restart_bot(world.bot)
        await again.close()


async def test_an_approval_interrupted_before_the_repost_is_finished_once(
    world: World, store: Store, paused: None
) -> None:
    await world.newbie.send(world.general, "Approve me")
    await drain(world)
    [card] = cards(world)
    await world.mod.click(card, label="Approve")  # decided; the repost, update and DM wait in the outbox
    assert reposts(world) == []
    again = await Store.open(store.path)
    try:
        await world.env.restart_bot(build_bot(again, world.bot.community.bundle))
        [repost] = reposts(world)
        assert repost.content == "Approve me"
        assert len([m for m in dms(world.newbie) if m.content.startswith("Good news")]) == 1
        assert "Approved by" in (cards(world)[0].embeds[0].fields[-1].value or "")
        await world.env.restart_bot(build_bot(again, world.bot.community.bundle))
        assert len(reposts(world)) == 1
        assert len([m for m in dms(world.newbie) if m.content.startswith("Good news")]) == 1
    finally:
        await world.env.restart_bot(world.bot)
        await again.close()


async def _backlog(world: World, author: Any, count: int) -> None:
    for n in range(count):
        await author.send(world.general, f"cheap meds {n}: cheap-pills.net/deal{n}")


async def test_a_backlog_groups_one_authors_items_on_one_card(world: World, paused: None) -> None:
    spam = await spammer(world)
    await _backlog(world, spam, 6)
    await world.newbie.send(world.general, "Hello, I am new here")
    await drain(world)
    [group] = group_cards(world)
    [single] = cards(world)
    assert "Hello, I am new here" in (single.embeds[0].description or "")
    embed = group.embeds[0]
    assert embed.title == "Held: 6 messages from Pills4u"
    assert f"6 messages from <@{spam.id}> in " in (embed.description or "")
    assert "6 links to cheap-pills.net" in (embed.description or "")
    buttons = [c for row in group.components for c in getattr(row, "children", ())]
    labels = [c.label for c in buttons if isinstance(c, discord.Button)]
    assert labels == ["Approve all", "Reject all", "Reject all & time out"]
    items = await world.bot.store.items.of_card_group(group_id_of(group))
    assert len(items) == 6
    assert {item.card_message_id for item in items} == {group.id}
    # One DM for the six held messages, not six.
    [held] = dms(spam)
    assert held.content.startswith("6 of your messages are waiting")


async def test_a_backlog_of_different_members_one_message_each_shares_one_card(world: World, paused: None) -> None:
    # Four members plus one: under the raid threshold (more than 5 new members), so no raid groups them all.
    members = [await spammer(world, f"fresh{n}") for n in range(4)]
    for n, member in enumerate(members):
        await member.send(world.general, f"look at this: cheap-pills.net/deal{n}")
    spam = await spammer(world)
    await _backlog(world, spam, 2)
    await drain(world)
    # The four one-message members share a card; what is left (two) is few enough for a card each.
    [wave_card] = group_cards(world)
    wave = await world.bot.store.items.of_card_group(group_id_of(wave_card))
    assert {item.author_id for item in wave} == {member.id for member in members}
    singles = cards(world)
    assert len(singles) == 2
    assert all("Pills4u" in (card.embeds[0].author.name or "") for card in singles)


async def test_approve_all_publishes_each_once_and_sends_one_dm(world: World, paused: None) -> None:
    spam = await spammer(world)
    await _backlog(world, spam, 5)
    await drain(world)
    [group] = group_cards(world)
    result = await world.mod.click(group, label="Approve all")
    assert result.acknowledged
    await drain(world)
    assert sorted(m.content for m in reposts(world)) == sorted(
        f"cheap meds {n}: cheap-pills.net/deal{n}" for n in range(5)
    )
    told = [m for m in dms(spam) if m.content.startswith("Good news")]
    assert len(told) == 1
    assert told[0].content.count("https://discord.com/channels/") == 5
    [group] = group_cards(world)
    assert group.components == []  # every item decided: no more buttons
    assert "0 open · 5 decided" in (group.embeds[0].fields[-1].value or "")
    # A second click finds nothing left to decide.
    items = await world.bot.store.items.of_card_group(group_id_of(group))
    assert {item.state for item in items} == {ItemState.APPROVED}


async def test_reject_all_and_time_out(world: World, paused: None) -> None:
    spam = await spammer(world)
    await _backlog(world, spam, 4)
    await world.newbie.send(world.general, "unrelated first post")
    await drain(world)
    [group] = group_cards(world)
    result = await world.mod.click(group, label="Reject all & time out")
    await drain(world)
    [said] = result.followups
    assert "Rejected 4 items." in said.content
    assert "Timed out 1 member" in said.content
    member = world.guild.get_member(spam.id) if hasattr(world.guild, "get_member") else spam.member
    assert member is not None
    assert member.timed_out_until is not None
    rejected = [m for m in dms(spam) if m.content.startswith("A moderator decided not to publish 4")]
    assert len(rejected) == 1
    assert reposts(world) == []
    [single] = cards(world)  # the other author's card is untouched
    assert single.components


async def test_approve_all_and_reject_all_at_once_decide_each_item_once(world: World, paused: None) -> None:
    spam = await spammer(world)
    await _backlog(world, spam, 5)
    await drain(world)
    group_id = group_id_of(group_cards(world)[0])
    moderators = [world.mod.member, world.mod2.member]
    assert all(isinstance(m, discord.Member) for m in moderators)
    first, second = await asyncio.gather(
        world.bot.gate.decide_group(group_id, Decision.APPROVE, moderators[0]),
        world.bot.gate.decide_group(group_id, Decision.REJECT, moderators[1], reason="spam"),
    )
    await drain(world)
    wins = [o.item.id for o in first + second if o.won]
    assert sorted(wins) == sorted({o.item.id for o in first})  # every item won exactly once
    approved = [o for o in first if o.won]
    assert len(reposts(world)) == len(approved)
    assert len([m for m in dms(spam) if "waiting" not in m.content]) == (1 if approved else 0) + (
        1 if len(approved) < 5 else 0
    )
    audit = await world.bot.store.decisions.audit_entries(world.guild.id)
    assert len(audit) == 5


async def test_items_of_a_grouped_card_can_be_opened_one_by_one(world: World, paused: None) -> None:
    spam = await spammer(world)
    await _backlog(world, spam, 4)
    await drain(world)
    [group] = group_cards(world)
    items = await world.bot.store.items.of_card_group(group_id_of(group))
    shown = await world.mod.select(group, [str(items[2].id)])
    assert shown.ephemeral
    assert shown.response is not None
    assert shown.response.embeds[0].footer.text == f"Item #{items[2].id}"
    await world.mod.click(shown.response, label="Approve")
    await drain(world)
    decided = await world.bot.store.items.get(items[2].id)
    assert decided is not None
    assert decided.state is ItemState.APPROVED
    assert len(reposts(world)) == 1
    [group] = group_cards(world)
    assert "3 open · 1 decided" in (group.embeds[0].fields[-1].value or "")
    assert group.components  # the others are still open


async def test_a_non_moderator_cannot_decide_a_grouped_card(world: World, paused: None) -> None:
    spam = await spammer(world)
    await _backlog(world, spam, 4)
    await drain(world)
    [group] = group_cards(world)
    refused = await world.helper.click(group, label="Approve all")
    assert refused.ephemeral
    assert refused.response is not None
    assert "Only moderators" in refused.response.content
    refused = await world.helper.select(group, [str((await world.bot.store.items.open(world.guild.id))[0].id)])
    assert refused.response is not None
    assert "Only moderators" in refused.response.content
    assert {i.state for i in await world.bot.store.items.open(world.guild.id)} == {ItemState.PENDING}
    assert len(await world.bot.store.items.open(world.guild.id)) == 4


async def test_a_moderators_reaction_on_a_grouped_card_decides_it_all(world: World, paused: None) -> None:
    spam = await spammer(world)
    await _backlog(world, spam, 4)
    await drain(world)
    [group] = group_cards(world)
    await world.mod.react(group, "❌")
    await drain(world)
    assert await world.bot.store.items.open(world.guild.id) == []
    assert len([m for m in dms(spam) if m.content.startswith("A moderator decided")]) == 1


async def test_raid_mode_posts_one_raid_card_and_groups_the_wave(world: World, paused: None) -> None:
    raiders = [await spammer(world, f"raider{n}") for n in range(7)]
    for raider in raiders:
        await raider.send(world.general, "join us: cheap-pills.net")
        await raider.send(world.general, "really, cheap-pills.net/now")
    await drain(world)
    raid_cards = [
        m for m in world.modqueue.history() if m.embeds and (m.embeds[0].footer.text or "").startswith(RAID_MARKER)
    ]
    assert len(raid_cards) == 1
    assert "new members posted held links" in (raid_cards[0].embeds[0].description or "")
    assert "cheap-pills" in (raid_cards[0].embeds[0].description or "")
    [wave] = group_cards(world)  # one card for the whole wave
    assert len(await world.bot.store.items.of_card_group(group_id_of(wave))) == 14
    assert (wave.embeds[0].title or "").endswith("(a wave)")
    assert cards(world) == []
    # Each raider hears once, of both their messages.
    for raider in raiders:
        [held] = dms(raider)
        assert held.content.startswith("2 of your messages")
    result = await world.mod.click(wave, label="Reject all & time out")
    await drain(world)
    assert "Timed out 7 members" in result.followups[0].content
    assert await world.bot.store.items.open(world.guild.id) == []


async def test_holds_and_decisions_from_before_the_outbox_are_finished_at_start_up(
    world: World, store: Store, paused: None
) -> None:
    await world.newbie.send(world.general, "held before the upgrade")
    await world.alice.send(world.general, "approved before the upgrade: backblog.net/x")
    held, approved = await store.items.open(world.guild.id)
    await store.decisions.decide(approved.id, Decision.APPROVE, moderator_id=world.mod.id, moderator_name="Maria")
    # A database from before migration 0004 has no outbox rows at all.
    await store.db.connection.execute("DELETE FROM outbox")
    again = await Store.open(store.path)
    try:
        await world.env.restart_bot(build_bot(again, world.bot.community.bundle))
        [card] = cards(world)
        assert card.embeds[0].footer.text == f"Item #{held.id}"
        [repost] = reposts(world)
        assert repost.content == "approved before the upgrade: backblog.net/x"
        assert [m.content.startswith("Good news") for m in dms(world.alice)] == [True]
        assert set(await again.outbox.counts()) == {"done"}
    finally:
        await world.env.restart_bot(world.bot)
        await again.close()


async def test_a_failed_repost_holds_back_only_its_own_dm(world: World) -> None:
    locked = world.guild.create_text_channel(
        "no-webhooks", overwrites={world.guild.me: discord.PermissionOverwrite(manage_webhooks=False)}
    )
    await world.newbie.send(locked, "hello there")
    await world.mod.click(cards(world)[0], label="Approve")  # it cannot be published: no Manage Webhooks
    assert not [m for m in dms(world.newbie) if m.content.startswith("Good news")]
    # The same member's next held message, and a rejection, are still told at once.
    await world.newbie.send(world.general, "my blog: backblog.net/me")
    assert dms(world.newbie)[-1].content.startswith("Your message is waiting")
    picker = await world.mod.click(cards(world)[-1], label="Reject")
    assert picker.response is not None
    await world.mod.select(picker.response, ["0"])
    assert dms(world.newbie)[-1].content.startswith("A moderator decided not to publish your message.")
    [waiting] = await world.bot.store.outbox.rows()
    assert waiting.kind is OutboxKind.DECISION_DM  # the approval's DM waits for its repost (at the next start)
