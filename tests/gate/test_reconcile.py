"""What outlives a restart: cards, holds a crash interrupted, raid mode's state (SimCord, real SQLite), and the store
methods behind them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import discord
import pytest

from bot.app import build_bot
from bot.gate.cards import RAID_MARKER
from bot.gate.holding import Holder
from bot.gate.raid import RaidWatch
from bot.models import ItemState, NewHeldItem, OutboxKind, OutboxState, RaidSighting
from bot.policy import RaidSettings
from bot.rules import Action, Reason
from bot.store import Store
from tests.gate.conftest import World, cards, fail_card_recording, item_id_of, posts, reposts


def raid_cards(world: World) -> list[discord.Message]:
    """The raid cards in the moderator channel, oldest first."""
    return [m for m in world.modqueue.history() if m.embeds and (m.embeds[0].footer.text or "").startswith(RAID_MARKER)]


async def raiders(world: World, first: int, count: int) -> list[Any]:
    """New members, each posting a held link."""
    members = []
    for n in range(first, first + count):
        member = world.guild.add_member(world.env.create_user(f"raider{n}", global_name=f"Raider {n}"))
        await member.send(world.general, f"join us: cheap-pills.net/r{n}")
        members.append(member)
    return members


async def test_a_restart_mid_raid_carries_on_with_the_same_raid(world: World, store: Store) -> None:
    await raiders(world, 0, 7)  # more than 5 new members: a raid
    assert len(raid_cards(world)) == 1
    guild = world.guild.id
    settings = await world.bot.community.raid(guild)
    again = await Store.open(store.path)
    try:
        restarted = build_bot(again, world.bot.community.bundle)
        await world.env.restart_bot(restarted)
        # Still under way after the restart: bulk deletes go on, and the count goes on from seven.
        assert restarted.gate.raid.active(guild)
        assert restarted.gate.raid.bulk_delete(guild, settings)
        await raiders(world, 7, 6)  # six more: a fresh count would call that a new raid
        assert len(raid_cards(world)) == 1  # no second raid card
        assert "13 new members posted held links" in restarted.gate.raid.describe(guild)
    finally:
        await world.env.restart_bot(world.bot)
        await again.close()


def _held(message_id: int) -> NewHeldItem:
    return NewHeldItem(
        guild_id=1,
        channel_id=2,
        thread_id=None,
        thread_name=None,
        is_forum_post=False,
        message_id=message_id,
        author_id=7,
        author_name="raider",
        author_avatar_url=None,
        content="cheap-pills.net",
        action=Action.HOLD,
        reasons=(Reason.NEW_MEMBER, Reason.EXTERNAL_LINK),
        links=(),
        reply_to_url=None,
        edited=False,
        created_at=discord.utils.utcnow(),
        attachments=(),
    )


async def test_sightings_are_kept_within_the_window_and_a_watch_is_restored_from_them(store: Store) -> None:
    item, _ = await store.items.add(_held(1001))
    for at, author in ((100.0, 1), (150.0, 2), (200.0, 3)):
        await store.raid.record_sighting(
            1,
            RaidSighting(at, author, ("cheap-pills.net",)),
            active=author == 3,
            raid_size=author,
            forget_before=at - 60,
            raid_card_item=item.id if author == 3 else None,
        )
    [state] = await store.raid.states()
    assert (state.guild_id, state.active, state.raid_size) == (1, True, 3)
    assert [s.author_id for s in state.sightings] == [2, 3]  # the first fell out of the 60 s window
    [row] = await store.outbox.rows(item_id=item.id)
    assert row.kind is OutboxKind.RAID_CARD  # queued with the sighting that started the raid

    now = [210.0]
    watch = RaidWatch(clock=lambda: now[0])
    watch.restore(state, RaidSettings(new_members=1, window_seconds=60))
    assert watch.active(1)
    assert not watch.note(1, 4, (), RaidSettings(new_members=1, window_seconds=60))  # the same raid, no new card
    now[0] = 300.0  # the window passed without new sightings: over
    assert not watch.active(1)


async def test_simcord_refuses_what_discord_documents_it_refuses(world: World, discord_rules: list[str]) -> None:
    channel = world.bot.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send("card", nonce="n" * 26)  # SimCord ignores nonces; Discord takes 25 characters
    assert refused.value.status == 400
    member = world.guild.get_member(world.newbie.id) if hasattr(world.guild, "get_member") else world.newbie.member
    with pytest.raises(discord.HTTPException):
        await member.timeout(timedelta(days=29))
    assert len(discord_rules) == 2
    discord_rules.clear()  # refused on purpose: the fixture's check after the test is for the bot's own sends


async def test_a_card_whose_recording_failed_with_a_bug_is_adopted_at_the_next_start(
    world: World, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_card_recording(monkeypatch, "a bug after the card was sent")
    await world.newbie.send(world.general, "A card that went out, then the bot tripped")
    [card] = cards(world)  # it reached Discord; the worker marked the row failed
    [row] = [r for r in await store.outbox.rows((OutboxState.FAILED,)) if r.kind is OutboxKind.CARD]
    monkeypatch.undo()
    again = await Store.open(store.path)
    try:
        await world.env.restart_bot(build_bot(again, world.bot.community.bundle))
        assert [c.id for c in cards(world)] == [card.id]  # adopted, not posted again
        item = await again.items.get(row.item_id)
        assert item is not None
        assert item.card_message_id == card.id
    finally:
        await world.env.restart_bot(world.bot)
        await again.close()


async def test_cards_keep_working_after_a_restart(world: World, store: Store) -> None:
    await world.newbie.send(world.general, "Posted before the restart")
    [card] = cards(world)
    again = await Store.open(store.path)
    try:
        fresh = build_bot(again, world.bot.community.bundle)
        await world.env.restart_bot(fresh)
        await world.mod.click(card, label="Approve")
        [repost] = reposts(world)
        assert repost.content == "Posted before the restart"
        item = await again.items.get(item_id_of(card))
        assert item is not None
        assert item.state is ItemState.APPROVED
    finally:
        await world.env.restart_bot(world.bot)  # let the fixture's store close cleanly
        await again.close()


async def test_a_crash_between_storing_and_removing_is_finished_at_start_up(
    world: World, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(self: Holder, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("simulated crash after storing")

    monkeypatch.setattr(Holder, "remove_original", crash)
    original = await world.newbie.send(world.general, "Stored, then the bot died")
    assert [str(e) for e in world.env.errors] == ["simulated crash after storing"]
    assert [m.id for m in posts(world)] == [original.id]  # still there
    assert cards(world) == []
    monkeypatch.undo()

    again = await Store.open(store.path)
    try:
        await world.env.restart_bot(build_bot(again, world.bot.community.bundle))
        assert posts(world) == []  # removed at start-up
        [card] = cards(world)  # exactly one card
        item = await again.items.get(item_id_of(card))
        assert item is not None
        assert (item.message_id, item.original_removed) == (original.id, True)
        await world.env.restart_bot(build_bot(again, world.bot.community.bundle))
        assert len(cards(world)) == 1  # a second start posts nothing again
    finally:
        await world.env.restart_bot(world.bot)
        await again.close()
