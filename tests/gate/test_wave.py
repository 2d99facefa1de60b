"""The spam wave, against the rate-limited LocalDiscord with the real bot: nothing lost, nothing sent twice.

200 held messages from 20 new accounts over 8 channels in 10 seconds (real time: this test
takes about half a minute). Then the bot dies in the middle of draining its outbox (right
after Discord took a request, before the bot recorded it), stays down ten minutes (Discord's
nonce check no longer helps) and a new bot on the same database file finishes the job.
Timings are not asserted here: bench/wave.py prints them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_bot
from bot.client import ForumBridge
from bot.models import OutboxState
from bot.policy import PolicyBundle
from bot.store import Store
from tests.gate.wave import WAVE_MESSAGES, WavePlace, audit, build_wave_place, outbox_settled, send_wave, wait_for
from tests.localdiscord import LocalDiscord, RateLimits, pointed_at, running

ROUTE_429_ALLOWANCE = 5  # "a handful": discord.py itself may meet a bucket once or twice


@pytest.fixture
async def wave_place() -> AsyncIterator[WavePlace]:
    """A LocalDiscord with Discord's rate limits and the wave's guild."""
    async with LocalDiscord(rate_limits=RateLimits()) as local:
        place = build_wave_place(local)
        with pointed_at(local):
            yield place
    assert not local.server_errors


async def _bot(place: WavePlace, store: Store, shipped: PolicyBundle) -> ForumBridge:
    bot = build_bot(store, shipped, guild_ready_timeout=0.01)
    await bot.community.set_moderation(place.guild, channel_id=place.mod_channel, role_id=place.mod_role)
    return bot


async def test_a_wave_is_removed_stored_carded_once_and_survives_a_crash(
    wave_place: WavePlace, tmp_path: Path, shipped: PolicyBundle
) -> None:
    place = wave_place
    local = place.local
    path = tmp_path / "bridge.db"
    store = await Store.open(path)
    crashed = asyncio.Event()
    try:
        bot = await _bot(place, store, shipped)
        async with running(bot, local):
            _, wave = await send_wave(place)
            assert await wait_for(lambda: len(local.world.deleted_message_ids) >= WAVE_MESSAGES, timeout=15)
            first = await audit(place, store, wave)
            # Every original is gone and every item stored, while cards are still on their way.
            assert (first.removed, first.stored) == (WAVE_MESSAGES, WAVE_MESSAGES)
            assert not await outbox_settled(store)
            limits = local.rate_limits
            assert limits is not None
            assert limits.global_429s == 0

            # The crash: from now on each send reaches Discord but the bot dies before recording it.
            real_mark_done = store.outbox.mark_done
            unrecorded: list[Any] = []

            async def die_after_sending(*args: Any, **kwargs: Any) -> None:
                if crashed.is_set():
                    unrecorded.append(args)
                    raise asyncio.CancelledError
                await real_mark_done(*args, **kwargs)

            store.outbox.mark_done = die_after_sending  # type: ignore[method-assign]
            crashed.set()
            # A few sends reach Discord unrecorded (the raiders' second DMs are due within 10 s at most).
            assert await wait_for(lambda: len(unrecorded) >= 3, timeout=15)
    finally:
        await store.close()

    # The bot stays down past Discord's nonce window: only the start-up search keeps a send from going twice.
    local.advance_clock(10 * 60)
    again = await Store.open(path)
    try:
        interrupted = await again.outbox.rows((OutboxState.SENDING,))
        assert interrupted  # the crash left sends unrecorded
        bot = await _bot(place, again, shipped)
        async with running(bot, local):
            assert await wait_for(lambda: outbox_settled(again), timeout=60)
        result = await audit(place, again, wave)
        counts = await again.outbox.counts()
    finally:
        await again.close()

    limits = local.rate_limits
    assert limits is not None
    assert (result.removed, result.stored) == (WAVE_MESSAGES, WAVE_MESSAGES)
    assert result.unreachable_ids == []  # every item is on a card, alone or grouped
    assert result.items_lost == 0
    assert result.duplicates_sent == 0
    assert result.grouped_cards > 0
    assert result.cards_posted < WAVE_MESSAGES / 2
    assert set(counts) == {"done"}
    assert limits.global_429s == 0
    assert limits.route_429s <= ROUTE_429_ALLOWANCE
    # Each account was told, in a few DMs rather than one per message.
    assert 0 < result.hold_dms < WAVE_MESSAGES / 2
    bulk = local.find_requests("POST", r"/channels/\d+/messages/bulk-delete$")
    assert bulk  # raid mode removed originals in bulk
