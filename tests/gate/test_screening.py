"""Screening's hot path: the usual message is judged from cached facts, with no await and no database work."""

from __future__ import annotations

from typing import Any

import discord

from bot.gate.screening import Load
from bot.rules import Action
from bot.store import Store
from tests.gate.conftest import World


def last_post(world: World) -> discord.Message:
    """The newest message in the general channel, as discord.py has it."""
    [*_, message] = world.general.history()
    return message


def forget_screened(world: World, message: discord.Message) -> None:
    """Let the screener see the message again, as if it had just arrived."""
    del world.bot.gate.screener._recent[message.id]


async def sql_during(store: Store, send: Any) -> list[str]:
    """The statements SQLite ran while `send` ran (the store's own connection reports them)."""
    ran: list[str] = []
    await store.db.connection.set_trace_callback(ran.append)
    try:
        await send
    finally:
        await store.db.connection.set_trace_callback(None)
    return ran


async def test_a_clean_message_from_a_known_member_is_judged_without_an_await(world: World) -> None:
    await world.alice.send(world.general, "Good morning, everyone")  # loads her record into the cache
    message = last_post(world)
    forget_screened(world, message)
    verdict = world.bot.gate.screener.screen_now(message)
    assert not isinstance(verdict, Load)
    assert verdict is not None
    assert verdict.action is Action.ALLOW


async def test_a_clean_message_reads_nothing_from_the_database(world: World, store: Store) -> None:
    await world.alice.send(world.general, "Good morning, everyone")
    assert await sql_during(store, world.alice.send(world.general, "My physio says to walk daily")) == []


async def test_what_must_be_loaded_spent_or_held_takes_the_full_path(world: World) -> None:
    await world.alice.send(world.general, "Good morning, everyone")
    message = last_post(world)
    forget_screened(world, message)
    world.bot.community._members.clear()  # her record is no longer cached: it must be loaded
    assert isinstance(world.bot.gate.screener.screen_now(message), Load)
    await world.bob.send(world.general, "Good morning")
    await world.alice.send(world.general, "hello")
    world.bot.gate.outbox.pause()
    original = await world.newbie.send(world.general, "Hi, I am new here")  # a first post: held
    assert [m.id for m in world.general.history()][-1] != original.id  # removed: the full path held it


async def test_a_moderators_link_is_allowed_on_the_hot_path_as_on_the_full_one(world: World) -> None:
    await world.mod.send(world.general, "Good morning")
    await world.mod.send(world.general, "The guideline: https://some-shop.example/spine")
    message = last_post(world)
    assert message.author.id == world.mod.id  # a moderator's link stays up
    forget_screened(world, message)
    fast = world.bot.gate.screener.screen_now(message)
    assert not isinstance(fast, Load)
    assert fast is not None
    forget_screened(world, message)
    full = await world.bot.gate.screener.screen_loaded(message)
    assert full == fast
    assert fast.action is Action.ALLOW
    assert fast.links
