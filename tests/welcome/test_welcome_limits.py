"""Welcome DMs and Discord's limit on opening DMs (issue 16): a limit is not closed DMs, and a wave of joins is
welcomed at a pace, never dropped (SimCord; tests/welcome/test_welcome_transport.py has the LocalDiscord rule)."""

from __future__ import annotations

import logging
from typing import Any

import discord
import pytest

from bot.policy import RaidSettings
from bot.welcome.service import LIMIT_WAIT_S, RAID_SPACING_S, WELCOME_BURST, WELCOME_SPACING_S
from tests.welcome.conftest import Server

TOO_FAST = "You are opening direct messages too fast"


def dms(actor: Any) -> list[discord.Message]:
    channel = actor.user.dm_channel
    return list(channel.history()) if channel is not None else []


def arrive(server: Server, count: int, prefix: str = "newcomer") -> list[Any]:
    """Several people join at once (no settling in between, as in a wave of joins)."""
    return [
        server.guild.add_member(server.env.create_user(f"{prefix}{n}", global_name=f"{prefix.title()} {n}"))
        for n in range(count)
    ]


async def test_a_dm_limit_is_not_closed_dms_the_welcome_goes_later(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    server.env.inject_error("POST", "/users/@me/channels", status=403, code=40003, message=TOO_FAST)
    with caplog.at_level(logging.INFO, logger="bot.welcome.service"):
        [nina] = arrive(server, 1, "nina")
        await server.env.settle()
    assert any(r.path == "/users/@me/channels" for r in server.env.http_requests)  # refused once
    assert dms(nina) == []
    assert "does not accept DMs" not in caplog.text  # not mistaken for closed DMs
    await server.env.advance_time(LIMIT_WAIT_S + 1)
    [welcome] = dms(nina)
    assert welcome.content.startswith("Welcome to")
    assert server.env.errors == []


async def test_after_a_dm_limit_a_wave_of_joins_is_welcomed_at_a_pace_and_no_one_is_dropped(server: Server) -> None:
    server.env.inject_error("POST", "/users/@me/channels", status=403, code=40003, message=TOO_FAST)
    wave = arrive(server, WELCOME_BURST + 3)
    await server.env.settle()
    assert [len(dms(member)) for member in wave] == [0] * (WELCOME_BURST + 3)  # all wait behind the first
    await server.env.advance_time(LIMIT_WAIT_S + 0.5)
    # Then a few at once and one every couple of seconds: not another burst for Discord to refuse.
    assert [len(dms(member)) for member in wave] == [1] * WELCOME_BURST + [0] * 3
    await server.env.advance_time(WELCOME_SPACING_S)
    assert [len(dms(member)) for member in wave] == [1] * WELCOME_BURST + [1, 0, 0]
    await server.env.advance_time(2 * WELCOME_SPACING_S)
    assert [len(dms(member)) for member in wave] == [1] * (WELCOME_BURST + 3)
    assert server.env.errors == []


async def test_in_a_raid_welcome_dms_go_slower(server: Server) -> None:
    await server.env.advance_time(60)  # a while after the server's members joined
    raid = server.bot.gate.raid
    settings = RaidSettings()
    for n in range(settings.new_members + 1):  # more new members than the threshold posted held links
        raid.note(server.guild.id, 10_000 + n, ("cheap-pills.net",), settings)
    assert raid.active(server.guild.id)
    wave = arrive(server, WELCOME_BURST + 1, "raider")
    await server.env.settle()
    assert [len(dms(member)) for member in wave] == [1] * WELCOME_BURST + [0]
    await server.env.advance_time(WELCOME_SPACING_S + 1)
    assert len(dms(wave[-1])) == 0  # the pace after a limit would have sent it by now
    await server.env.advance_time(RAID_SPACING_S)
    assert len(dms(wave[-1])) == 1
