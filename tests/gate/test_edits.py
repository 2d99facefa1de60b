"""Edits and restarts: what an edit is judged against, what a held edit removes, what the bot catches up on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import discord
from simcord.backend import serializers

from bot.app import build_bot
from bot.client import ForumBridge
from bot.gate.memory import FLUSH_DELAY_S
from bot.store import Store
from tests.gate.conftest import World, cards, forum_post, item_id_of


def posts(world: World, channel: Any | None = None) -> list[discord.Message]:
    """What members see in a channel (the general one by default)."""
    return list((channel or world.general).history())


@asynccontextmanager
async def restarted(world: World) -> AsyncIterator[ForumBridge]:
    """The bot started afresh over the same database (nothing of the old process in memory), like after a crash."""
    again = await Store.open(world.bot.store.path)
    fresh = build_bot(again, world.bot.community.bundle)
    try:
        await world.env.restart_bot(fresh)
        yield fresh
    finally:
        await world.env.restart_bot(world.bot)  # let the fixture's store close cleanly
        await again.close()


async def start_thread_from(world: World, message: discord.Message, name: str) -> None:
    """A member starts a thread from a message, as on Discord.

    Discord then sends MESSAGE_UPDATE for the message with its new `thread` field, its content and
    edited_timestamp unchanged; SimCord sends no such update, so it is sent here.
    """
    backend = world.env.backend
    thread = backend.create_thread(message.channel.id, name, message.author.id, message_id=message.id)
    stored = backend.messages[message.channel.id][message.id]
    payload = dict(serializers.message_payload(backend, stored))
    payload["thread"] = serializers.channel_payload(backend, thread)
    backend.emit("MESSAGE_UPDATE", payload)
    await world.env.settle()


async def test_a_held_edit_of_a_forum_posts_first_message_leaves_the_thread_and_its_replies(world: World) -> None:
    thread, post_id = await forum_post(world, world.alice, "Knee pain after fusion", "What helped you?")
    reply = await world.bob.send(thread, "Swimming helped me a lot")
    assert cards(world) == []
    [starter] = [m for m in posts(world, thread) if m.id == post_id]
    await world.alice.edit(starter, "What helped you? I buy mine at cheap-pills.net/knee")
    [card] = cards(world)
    assert card.embeds[0].title == "Held: an edited message"
    # Only the edited message went: the post, its title and Bob's reply stay (Discord keeps a thread whose
    # starter message is deleted: discord-api-docs, Topics/Threads, "Public & Private Threads").
    assert thread.id in world.env.backend.channels
    assert [m.id for m in posts(world, thread)] == [reply.id]
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert (item.is_forum_post, item.thread_id, item.channel_id) == (False, thread.id, world.forum.id)
    # Approved, it goes back into the same post (not a new post with the same title). SimCord files every
    # webhook message in the webhook's channel, so the request is what shows it.
    await world.mod.click(card, label="Approve")
    [execute] = [r for r in world.env.http_requests if r.method == "POST" and "/webhooks/" in r.path]
    assert execute.params.get("thread_id") == thread.id
    assert execute.json is not None
    assert "thread_name" not in execute.json
    assert execute.json["content"] == "What helped you? I buy mine at cheap-pills.net/knee"


async def test_starting_a_thread_from_a_message_after_a_restart_is_not_an_edit(world: World) -> None:
    # One counted pre-approval: the post spends it.
    guild = world.guild.id
    await world.bot.community.add_preapproval(guild, world.newbie.id, domain="backblog.net", uses=1, granted_by=None)
    await world.bot.community.update_member(guild, world.newbie.id, approved=3)
    message = await world.newbie.send(world.general, "My physio's exercises: backblog.net/neck")
    assert cards(world) == []
    async with restarted(world) as bot:
        await start_thread_from(world, message, "Neck exercises")
        assert cards(world) == []  # nobody edited anything: nothing is held
        assert message.id in [m.id for m in posts(world)]
        [grant] = await bot.store.members.preapprovals(guild, world.newbie.id, spent=True)
        assert grant.uses_left == 0


async def test_a_wording_edit_after_a_restart_does_not_spend_or_hold_again(world: World) -> None:
    guild = world.guild.id
    await world.bot.community.add_preapproval(guild, world.newbie.id, domain="backblog.net", uses=1, granted_by=None)
    await world.bot.community.update_member(guild, world.newbie.id, approved=3)
    message = await world.newbie.send(world.general, "My physio's exercises: backblog.net/neck")
    assert cards(world) == []  # the pre-approval's one use let it through
    async with restarted(world):
        # discord.py's cache is empty: the edit arrives with no "before".
        await world.newbie.edit(message, "My physio's exercises: backblog.net/neck (the second set is harder)")
        assert cards(world) == []  # only words changed: the link was there when it was allowed
        assert message.id in [m.id for m in posts(world)]


async def test_what_an_allowed_message_carried_is_written_behind_and_survives_a_restart(world: World) -> None:
    guild = world.guild.id
    await world.bot.community.add_preapproval(guild, world.alice.id, domain="backblog.net", uses=None, granted_by=None)
    message = await world.alice.send(world.general, "Stretches I like: backblog.net/stretches")
    assert cards(world) == []
    assert await world.bot.store.screening.allowed_flaggables(message.id) is None  # not written on the hot path
    await world.env.advance_time(FLUSH_DELAY_S)  # the write-behind's batch goes
    assert await world.bot.store.screening.allowed_flaggables(message.id) == {"external:backblog.net"}
    async with restarted(world) as bot:
        # The moderators withdraw the standing pre-approval; Alice then fixes a typo in her old message.
        await bot.community.revoke_preapprovals(guild, world.alice.id, domain=None, revoked_by=world.mod.id)
        await world.alice.edit(message, "Stretches I really like: backblog.net/stretches")
        assert cards(world) == []
        assert message.id in [m.id for m in posts(world)]


async def test_a_link_edited_in_and_out_before_the_bot_handles_it_is_not_held(world: World) -> None:
    message = await world.alice.send(world.general, "Has anyone tried a TENS machine?")
    backend = world.env.backend
    # Two edits reach Discord before the bot has handled the first: the link is gone again.
    backend.edit_message(world.general.id, message.id, {"content": "Has anyone tried a TENS machine? cheap-tens.shop"})
    backend.edit_message(world.general.id, message.id, {"content": "Has anyone tried a TENS machine? (found one)"})
    await world.env.settle()
    assert cards(world) == []  # judged as it stands: nothing to hold
    assert [m.content for m in posts(world)] == ["Has anyone tried a TENS machine? (found one)"]


async def test_a_held_message_edited_again_is_approved_as_the_author_last_wrote_it(world: World) -> None:
    locked = world.guild.create_text_channel(
        "locked", overwrites={world.guild.me: discord.PermissionOverwrite(manage_messages=False)}
    )
    message = await world.alice.send(locked, "Has anyone tried a TENS machine?")
    await world.alice.edit(message, "Has anyone tried a TENS machine? cheap-tens.shop/deal")
    [card] = cards(world)  # held, but the bot could not take it down
    # The author edits the link out again: the held copy follows, and the card shows it.
    await world.alice.edit(message, "Has anyone tried a TENS machine? (never mind, found one)")
    await world.bot.gate.outbox.idle()
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert (item.content, item.edited) == ("Has anyone tried a TENS machine? (never mind, found one)", True)
    [card] = cards(world)
    assert card.embeds[0].title == "Held: an edited message"
    assert "never mind, found one" in (card.embeds[0].description or "")
    await world.mod.click(card, label="Approve")
    [repost] = [m for m in posts(world, locked) if m.webhook_id is not None]
    assert repost.content == "Has anyone tried a TENS machine? (never mind, found one)"


async def test_what_was_posted_while_the_bot_was_away_is_screened_at_start_up(world: World) -> None:
    seen = await world.alice.send(world.general, "Morning all")  # the last message the bot saw there
    await world.env.advance_time(FLUSH_DELAY_S)  # the channel's mark reaches the database
    backend = world.env.backend
    # The bot is down: these never reach it as events.
    link = backend.create_message(world.general.id, world.alice.id, "Deals at cheap-pills.net/buy", broadcast=False)
    first = backend.create_message(world.general.id, world.newbie.id, "Hi, I'm new here", broadcast=False)
    fine = backend.create_message(world.general.id, world.bob.id, "Anyone around today?", broadcast=False)
    start = len(world.env.http_requests)
    async with restarted(world) as bot:
        held = {item.message_id for item in await bot.store.items.open(world.guild.id)}
        assert held == {link.id, first.id}
        assert {m.id for m in posts(world)} == {seen.id, fine.id}
        assert len(cards(world)) == 2
        reads = [r for r in world.env.http_requests[start:] if r.method == "GET" and r.path.endswith("/messages")]
        # Only the channel with something new, from its mark on (the moderator channel is never read).
        assert [(r.path, r.params.get("after")) for r in reads] == [(f"/channels/{world.general.id}/messages", seen.id)]
    start = len(world.env.http_requests)
    async with restarted(world):
        assert len(cards(world)) == 2  # never twice
        reads = [r for r in world.env.http_requests[start:] if r.method == "GET" and r.path.endswith("/messages")]
        assert reads == []  # the mark moved past what the catch-up screened: nothing new to read


async def test_an_attachment_removed_from_a_held_message_is_not_published(world: World) -> None:
    locked = world.guild.create_text_channel(
        "locked", overwrites={world.guild.me: discord.PermissionOverwrite(manage_messages=False)}
    )
    files = [("xray.png", b"\x89PNG x-ray"), ("address.txt", b"12 Home Street")]
    message = await world.alice.send(locked, "My x-ray, see backblog.net/xray", attachments=files)
    [card] = cards(world)  # held for the link; the bot could not take it down
    kept = [a for a in world.env.backend.messages[locked.id][message.id].attachments if a["filename"] == "xray.png"]
    world.env.backend.edit_message(locked.id, message.id, {"attachments": kept})  # she removes the second file
    await world.env.settle()
    await world.bot.gate.outbox.idle()
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert [a.filename for a in await world.bot.store.items.attachments(item.id)] == ["xray.png"]
    await world.mod.click(cards(world)[0], label="Approve")
    [repost] = [m for m in posts(world, locked) if m.webhook_id is not None]
    assert [a.filename for a in repost.attachments] == ["xray.png"]


async def test_a_held_message_still_up_follows_its_edits_after_a_restart(world: World) -> None:
    locked = world.guild.create_text_channel(
        "locked", overwrites={world.guild.me: discord.PermissionOverwrite(manage_messages=False)}
    )
    message = await world.alice.send(locked, "Cheap braces at cheap-braces.shop/deal")
    [card] = cards(world)  # held; the bot could not take it down
    async with restarted(world) as bot:
        await world.alice.edit(message, "Does anyone know a good brace? (link removed)")
        await bot.gate.outbox.idle()
        item = await bot.store.items.get(item_id_of(card))
        assert item is not None
        assert item.content == "Does anyone know a good brace? (link removed)"
        assert "link removed" in (cards(world)[0].embeds[0].description or "")


async def test_a_message_delivered_twice_is_judged_once(world: World) -> None:
    # A resumed session can replay a MESSAGE_CREATE, and the catch-up can meet a message the live line has.
    guild = world.guild.id
    await world.bot.community.add_preapproval(guild, world.newbie.id, domain="backblog.net", uses=2, granted_by=None)
    await world.bot.community.update_member(guild, world.newbie.id, approved=3)
    message = await world.newbie.send(world.general, "My physio's exercises: backblog.net/neck")
    backend = world.env.backend
    stored = backend.messages[world.general.id][message.id]
    backend.emit("MESSAGE_CREATE", dict(serializers.message_payload(backend, stored)))
    await world.env.settle()
    [grant] = await world.bot.store.members.preapprovals(guild, world.newbie.id)
    assert grant.uses_left == 1  # one message, one use
    assert cards(world) == []
