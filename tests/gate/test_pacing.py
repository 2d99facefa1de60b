"""Against a local Discord with Discord's rate limits: our pacer keeps the bot off the global limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import discord
import pytest

from bot.app import build_bot
from bot.client import ForumBridge
from bot.pacer import GlobalPacer
from bot.policy import PolicyBundle
from bot.store import Store
from tests.localdiscord import LocalDiscord, RateLimits, pointed_at, running
from tests.localdiscord.ratelimits import DEFAULT_ROUTE_LIMITS

CHANNELS = 12


@pytest.fixture
async def limited() -> AsyncIterator[tuple[LocalDiscord, int, list[int]]]:
    """A local Discord whose global budget is 20 a second, so a test can exceed it quickly."""
    # Discord's buckets, with windows ten times shorter so the test does not wait for seconds.
    routes = tuple(replace(route, per=route.per / 10) for route in DEFAULT_ROUTE_LIMITS)
    async with LocalDiscord(rate_limits=RateLimits(global_per_second=20, routes=routes)) as local:
        guild = local.add_guild("Spine & Arthritis Community", bot_permissions=discord.Permissions.all().value)
        channels = [local.add_channel(guild, f"channel-{n}") for n in range(CHANNELS)]
        with pointed_at(local):
            yield local, guild, channels
    assert not local.server_errors


async def _burst(bot: ForumBridge, channels: list[int]) -> None:
    # Two messages in each of many channels at once: no per-route limit is reached, only the global one.
    sends = []
    for channel_id in channels:
        channel = bot.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        sends += [channel.send(f"hello {n}") for n in range(2)]
    await asyncio.gather(*sends)


@pytest.mark.parametrize(("paced", "expect_global_429s"), [(True, False), (False, True)])
async def test_the_pacer_keeps_a_burst_inside_the_global_budget(
    limited: tuple[LocalDiscord, int, list[int]],
    tmp_path: Path,
    shipped: PolicyBundle,
    paced: bool,
    expect_global_429s: bool,
) -> None:
    local, _, channels = limited
    store = await Store.open(tmp_path / "bridge.db")
    # An unpaced bot has a budget so large it never waits: what discord.py alone would do.
    pacer = GlobalPacer(16, 3) if paced else GlobalPacer(10_000, 10_000)
    bot = build_bot(store, shipped, pacer=pacer, guild_ready_timeout=0.01)
    try:
        async with running(bot, local):
            await _burst(bot, channels)
    finally:
        await store.close()
    limits = local.rate_limits
    assert limits is not None
    assert sum(len(local.messages_in(c)) for c in channels) == 2 * CHANNELS  # every message arrived
    assert (limits.global_429s > 0) is expect_global_429s
    if paced:
        assert pacer.waited > 0


async def test_per_route_limits_are_answered_like_discord(limited: tuple[LocalDiscord, int, list[int]]) -> None:
    local, _, channels = limited
    client = discord.Client(intents=discord.Intents.none(), guild_ready_timeout=0.01)
    async with running(client, local):
        channel = client.get_channel(channels[0])
        assert isinstance(channel, discord.TextChannel)
        for n in range(7):  # the bucket holds 5 per window: discord.py must wait, not fail
            await channel.send(f"message {n}")
    limits = local.rate_limits
    assert limits is not None
    assert len(local.messages_in(channels[0])) == 7
    assert limits.global_429s == 0
    assert limits.route_429s <= 1  # discord.py reads the X-RateLimit headers and waits ahead of time
    first = local.find_requests("POST", rf"/channels/{channels[0]}/messages$")[0]
    assert first.status == 200
