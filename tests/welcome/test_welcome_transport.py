"""Welcome DMs over the real connection path, against a LocalDiscord that limits opening DMs as Discord does
(40003, "You are opening direct messages too fast"): a wave of joins is welcomed, no one is dropped."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build_bot
from bot.client import ForumBridge
from bot.policy import PolicyBundle
from bot.store import Store
from bot.welcome.service import WelcomeService
from tests.localdiscord import LocalDiscord, running
from tests.localdiscord.fixtures import local_discord
from tests.localdiscord.ratelimits import DmOpenLimit

__all__ = ["local_discord"]

WAVE = 8


@pytest.fixture
async def bot(local_discord: LocalDiscord, tmp_path: Path, shipped: PolicyBundle) -> AsyncIterator[ForumBridge]:
    """Our bot connected to a LocalDiscord with one server, welcoming by DM (the default)."""
    local_discord.add_guild("Spine & Arthritis Community")
    store = await Store.open(tmp_path / "bridge.db")
    client = build_bot(store, shipped, guild_ready_timeout=0.01)
    try:
        async with running(client, local_discord):
            yield client
    finally:
        await store.close()


def welcomed(local: LocalDiscord, user: int) -> int:
    """How many DMs the bot sent this user."""
    channel = local.world.dm_channels.get(user)
    return len(local.messages_in(channel)) if channel is not None else 0


async def test_a_wave_of_joins_past_discords_dm_limit_is_welcomed_whole(
    local_discord: LocalDiscord, bot: ForumBridge
) -> None:
    local = local_discord
    # Three new DM channels a second here; Discord's real numbers are not published.
    local.dm_open_limit = DmOpenLimit(3, 1.0)
    cog = bot.get_cog("Welcome")
    service = getattr(cog, "service", None)
    assert isinstance(service, WelcomeService)
    # The service's pace, scaled down so the test takes seconds (the shipped one is minutes for a big wave).
    service.spacing_s, service.limit_wait_s = 0.2, 0.5
    [guild] = local.world.guilds
    users = [local.add_user(f"newcomer{n}", global_name=f"Newcomer {n}") for n in range(WAVE)]
    for user in users:
        await local.member_joins(guild, user)
    with contextlib.suppress(TimeoutError):
        await local.wait_until(lambda: all(welcomed(local, user) for user in users), timeout=20, what="welcomes")
    assert [welcomed(local, user) for user in users] == [1] * WAVE  # everyone, once
    assert local.dm_open_limit.refused >= 1  # the limit was met, and passed
