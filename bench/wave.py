"""A spam wave against the rate-limited local Discord: how fast it is removed, and that nothing is lost.

Run from the repository root::

    python bench/wave.py [--messages 200] [--seconds 10]

The real bot, built as ``make run`` builds it (``bot.app.build_bot(store, bundle)``), the shipped
policy, a real SQLite file in a temporary folder, the global REST pacer at 45/s, connected over
loopback to ``tests.localdiscord.LocalDiscord`` with
Discord's rate limits: 50 requests a second per token, about 5 new messages per 5 s per
channel, 5 deletes a second per channel, one bulk delete a second per channel, 5 webhook
executions per 2 s, and 429 answers shaped like Discord's. The wave is the one
``tests/gate/test_wave.py`` uses (``tests/gate/wave.py``): 200 link messages from 20
brand-new accounts over 8 channels in 10 seconds, at an even pace over the gateway.

Figures (``name: value``), all times from the first message of the wave:

* ``originals_removed_s``: until the last original was removed (the answer to its delete
  or bulk delete). Target: 12 s.
* ``global_429s`` / ``route_429s``: 429s the stand-in answered, global and per route.
  Target: 0 global.
* ``cards_posted``: cards in the moderator channel (single and grouped; the raid card
  apart, as ``raid_cards``); ``grouped_cards`` of them grouped.
* ``items_lost``: messages of the wave not stored, or stored but on no card. Target: 0.
* ``duplicates_sent``: an item on two cards, a nonce used twice, or the same DM twice to
  one member. Target: 0.
* ``cards_done_s``: until the last card was posted.
* ``outbox_drained_s``: until the outbox had nothing left to send (the last DMs: an author
  hears "held" at most once per 10 s, the next DM covering every message held meanwhile).
* also ``hold_dms`` (DMs telling authors their messages are held), ``bulk_deletes`` and
  ``requests`` (REST requests the bot made during the run).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.app import build_bot  # noqa: E402
from bot.policy import load_policy_file  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.gate.wave import (  # noqa: E402
    WAVE_MESSAGES,
    WAVE_SECONDS,
    audit,
    build_wave_place,
    outbox_settled,
    removal_times,
    send_wave,
    wait_for,
)
from tests.localdiscord import LocalDiscord, RateLimits, pointed_at, running  # noqa: E402

REMOVED_TARGET_S = 12.0


async def run(messages: int, seconds: float, drain_timeout: float) -> dict[str, str]:
    """Run the wave once and return the figures."""
    bundle = load_policy_file()
    figures: dict[str, str] = {}
    async with LocalDiscord(rate_limits=RateLimits()) as local:
        place = build_wave_place(local)
        with pointed_at(local), tempfile.TemporaryDirectory() as folder:
            store = await Store.open(Path(folder) / "bridge.db")
            try:
                bot = build_bot(store, bundle, guild_ready_timeout=0.01)
                await bot.community.set_moderation(place.guild, channel_id=place.mod_channel, role_id=place.mod_role)
                async with running(bot, local):
                    first_request = len(local.requests)
                    started, wave = await send_wave(place, messages=messages, seconds=seconds)
                    await wait_for(lambda: len(removal_times(local, wave)) >= len(wave), timeout=30)
                    drained = await wait_for(lambda: outbox_settled(store), timeout=drain_timeout, poll=0.02)
                    drained_at = time.perf_counter()
                    result = await audit(place, store, wave)
                removed = removal_times(local, wave)
                limits = local.rate_limits
                assert limits is not None
                raid_cards = sum(
                    1
                    for m in local.messages_in(place.mod_channel)
                    if m.author_id == local.bot_user_id and "Raid #" in str(m.payload.get("embeds"))
                )
                lost = len(wave) - min(result.stored, result.reachable)
                card_posts = [
                    r.answered_at
                    for r in local.find_requests("POST", rf"/channels/{place.mod_channel}/messages$")
                    if r.answered_at is not None and r.status == 200
                ]
                figures = {
                    "messages": str(len(wave)),
                    "originals_removed_s": f"{max(removed.values()) - started:.2f}" if removed else "nan",
                    "originals_removed": str(len(removed)),
                    "global_429s": str(limits.global_429s),
                    "route_429s": str(limits.route_429s),
                    "cards_posted": str(result.cards_posted),
                    "grouped_cards": str(result.grouped_cards),
                    "raid_cards": str(raid_cards),
                    "items_lost": str(lost),
                    "duplicates_sent": str(result.duplicates_sent),
                    "cards_done_s": f"{max(card_posts) - started:.2f}" if card_posts else "nan",
                    "outbox_drained_s": f"{drained_at - started:.2f}" if drained else f">{drain_timeout:.0f}",
                    "hold_dms": str(result.hold_dms),
                    "bulk_deletes": str(len(local.find_requests("POST", r"/channels/\d+/messages/bulk-delete$"))),
                    "requests": str(len(local.requests) - first_request),
                }
            finally:
                await store.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the wave, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--messages", type=int, default=WAVE_MESSAGES)
    parser.add_argument("--seconds", type=float, default=WAVE_SECONDS)
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    figures = asyncio.run(run(args.messages, args.seconds, args.drain_timeout))
    for name, value in figures.items():
        print(f"{name}: {value}")
    removed = float(figures["originals_removed_s"]) if figures["originals_removed_s"] != "nan" else float("inf")
    met = (
        removed <= REMOVED_TARGET_S
        and figures["global_429s"] == "0"
        and figures["items_lost"] == "0"
        and figures["duplicates_sent"] == "0"
    )
    print(f"targets_met: {'yes' if met else 'no'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
