"""Edits and restarts over the real connection path: a held edit of a forum post, a session not resumed."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.client import ForumBridge
from bot.gate.catchup import CATCH_UP_PER_CHANNEL
from tests.gate.test_transport import Community_, bot, place
from tests.localdiscord import payloads as local_payloads
from tests.localdiscord.fixtures import local_discord

__all__ = ["bot", "local_discord", "place"]


async def test_after_a_session_that_could_not_be_resumed_what_was_posted_meanwhile_is_screened(
    place: Community_, bot: ForumBridge
) -> None:
    local = place.local
    readies = asyncio.Queue[None]()

    async def on_ready() -> None:
        readies.put_nowait(None)

    bot.add_listener(on_ready)
    start = len(local.requests)
    seen = await local.member_says(place.guild, place.general, place.newbie, "Hi all, my first post")
    await local.wait_for_request("DELETE", rf"/channels/{place.general}/messages/{seen['id']}$", start=start)
    local.gateway.forget_sessions()  # the session is gone (timed out, say): nothing reaches the bot
    missed = await local.member_says(place.guild, place.general, place.newbie, "Is anyone there? backblog.net")
    start = len(local.requests)
    await local.gateway.send_reconnect()  # its RESUME is refused: a fresh IDENTIFY, a new READY
    await asyncio.wait_for(readies.get(), 10)
    read = await local.wait_for_request("GET", rf"/channels/{place.general}/messages$", start=start)
    assert read.query.get("after") == seen["id"]  # from the last message it saw, not the whole channel
    await local.wait_for_request("DELETE", rf"/channels/{place.general}/messages/{missed['id']}$", start=start)
    item = await bot.store.items.by_message(int(missed["id"]))
    assert item is not None
    assert item.content == "Is anyone there? backblog.net"
    assert local.messages_in(place.general) == []
    # Not read at all: the moderator channel, and channels with nothing after their mark.
    reads = local.find_requests("GET", r"/channels/\d+/messages$")
    assert {r.path for r in reads} == {f"/channels/{place.general}/messages"}


async def test_a_held_edit_of_a_forum_posts_first_message_takes_down_only_that_message(
    place: Community_, bot: ForumBridge
) -> None:
    local = place.local
    world = local.world
    member = local.add_member(place.guild, local.add_user("ruth", global_name="Ruth"))
    await bot.community.update_member(place.guild, member, approved=5)
    thread = world.channel(place.post)
    author = local_payloads.user(world.user(member))
    # A post's starter message has the thread's own id, as on Discord; posted before this run of the bot.
    starter = local_payloads.message(world, thread, author, {"content": "Where do I start?"}, [], message_id=thread.id)
    await local.post_message(starter, dispatch=False)
    reply = await local.member_says(place.guild, place.post, place.mod, "Welcome! Start with the pinned guide.")
    start = len(local.requests)
    await local.edit_message(thread.id, "Where do I start? I found cheap-pills.net/ra")
    await local.wait_for_request("POST", rf"/channels/{place.modqueue}/messages$", start=start)
    assert local.find_requests("DELETE", rf"/channels/{place.post}/messages/{thread.id}$")
    assert not local.find_requests("DELETE", rf"/channels/{place.post}$")  # the post itself stays
    assert place.post in world.channels
    assert [m.id for m in local.messages_in(place.post)] == [int(reply["id"])]
    [card] = [m for m in local.messages_in(place.modqueue) if m.author_id == local.bot_user_id]
    item_id = card.payload["embeds"][0]["footer"]["text"].removeprefix("Item #")
    start = len(local.requests)
    await local.click_button(place.mod, card.id, f"fb:approve:{item_id}")
    execute = await local.wait_for_request("POST", r"/webhooks/\d+/[^/]+$", start=start)
    assert execute.query.get("thread_id") == str(place.post)  # back into the same post
    assert execute.json is not None
    assert "thread_name" not in execute.json


async def test_the_catch_up_reads_at_most_its_limit_a_channel_and_says_so(
    place: Community_, bot: ForumBridge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.gate.catchup")
    local = place.local
    readies = asyncio.Queue[None]()

    async def on_ready() -> None:
        readies.put_nowait(None)

    bot.add_listener(on_ready)
    start = len(local.requests)
    seen = await local.member_says(place.guild, place.general, place.newbie, "Hi all, my first post")
    await local.wait_for_request("DELETE", rf"/channels/{place.general}/messages/{seen['id']}$", start=start)
    local.gateway.forget_sessions()
    for n in range(CATCH_UP_PER_CHANNEL + 30):  # the moderators chat while the bot is away
        await local.member_says(place.guild, place.general, place.mod, f"mod note {n}")
    start = len(local.requests)
    await local.gateway.send_reconnect()
    await asyncio.wait_for(readies.get(), 10)
    assert await asyncio.wait_for(bot.gate.catch_up.finished(), 10) == CATCH_UP_PER_CHANNEL
    reads = [r for r in local.requests[start:] if r.method == "GET" and r.path.endswith("/messages")]
    assert [r.query.get("limit") for r in reads] == ["100", "100"]  # two pages of Discord's most, then it stops
    [warning] = [r for r in caplog.records if "read its limit" in r.getMessage()]
    assert str(place.general) in warning.getMessage()
