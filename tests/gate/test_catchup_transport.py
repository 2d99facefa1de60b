"""The catch-up over the real connection path: a session Discord would not resume, and what was said meanwhile."""

from __future__ import annotations

import asyncio

from bot.client import ForumBridge
from tests.gate.test_transport import Community_, bot, place
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
    item = await bot.store.item_by_message(int(missed["id"]))
    assert item is not None
    assert item.content == "Is anyone there? backblog.net"
    assert local.messages_in(place.general) == []
    # Not read at all: the moderator channel, and channels with nothing after their mark.
    reads = local.find_requests("GET", r"/channels/\d+/messages$")
    assert {r.path for r in reads} == {f"/channels/{place.general}/messages"}
