"""Holding: one store transaction before the delete and one after it, and what a removal that fails leaves."""

from __future__ import annotations

import logging
from typing import Any

import discord
import pytest

from bot.models import OutboxKind, OutboxState
from bot.store import Store
from tests.gate.conftest import World, cards, item_id_of

DELETE = "-- the original's DELETE --"


async def trace_hold(world: World, store: Store, monkeypatch: pytest.MonkeyPatch, member: Any, text: str) -> list[str]:
    """The transactions (SQLite's BEGIN/COMMIT as the connection ran them) around the delete of one held message."""
    trace: list[str] = []
    delete = discord.Message.delete

    async def marked_delete(self: discord.Message, *args: Any, **kwargs: Any) -> None:
        trace.append(DELETE)
        await delete(self, *args, **kwargs)

    monkeypatch.setattr(discord.Message, "delete", marked_delete)
    connection = store.db.connection  # the store's own aiosqlite connection: SQLite reports every statement it runs
    await connection.set_trace_callback(
        lambda sql: trace.append(sql.split()[0]) if sql.startswith(("BEGIN", "COMMIT", "ROLLBACK")) else None
    )
    try:
        world.bot.gate.outbox.pause()  # the card's own sends are not the hold's
        await member.send(world.general, text)
    finally:
        await connection.set_trace_callback(None)
    return trace


async def test_a_hold_is_one_transaction_before_the_delete_and_one_after(
    world: World, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = await trace_hold(world, store, monkeypatch, world.newbie, "Hi all, I had an L4/5 fusion. Any tips?")
    assert trace == ["BEGIN", "COMMIT", DELETE, "BEGIN", "COMMIT"]
    [item] = await store.items.open(world.guild.id)
    assert item.original_removed
    rows = await store.outbox.rows((OutboxState.QUEUED,), item_id=item.id)
    assert sorted(row.kind for row in rows) == sorted([OutboxKind.CARD, OutboxKind.HOLD_DM])  # released
    assert (await world.bot.community.member(world.guild.id, world.newbie.id)).held_posts == 1  # cached as stored
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    assert len(cards(world)) == 1


async def test_a_raiders_hold_keeps_the_sighting_in_the_same_transaction(
    world: World, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    raider = world.guild.add_member(world.env.create_user("raider", global_name="Raider"))
    trace = await trace_hold(world, store, monkeypatch, raider, "join us: cheap-pills.net/r1")
    assert trace == ["BEGIN", "COMMIT", DELETE, "BEGIN", "COMMIT"]
    [state] = await store.raid.states()
    assert [sighting.author_id for sighting in state.sightings] == [raider.id]


async def test_missing_manage_messages_is_said_on_the_card_and_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    locked = world.guild.create_text_channel(
        "locked", overwrites={world.guild.me: discord.PermissionOverwrite(manage_messages=False)}
    )
    caplog.set_level(logging.ERROR, logger="bot.gate.holding")
    original = await world.newbie.send(locked, "hello there")
    assert [m.id for m in locked.history()] == [original.id]
    [card] = cards(world)
    assert any(f.name == "⚠️ Original not removed" for f in card.embeds[0].fields)
    [record] = [r for r in caplog.records if "cannot remove held message" in r.getMessage()]
    assert f"guild={world.guild.id}" in record.getMessage()
    assert f"message={original.id}" in record.getMessage()


async def test_a_removal_cut_off_by_the_network_still_lets_the_card_go(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def network_down(self: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError("connection reset by peer")

    monkeypatch.setattr(discord.Message, "delete", network_down)
    await world.newbie.send(world.general, "hello, my first post")
    monkeypatch.undo()
    [card] = cards(world)  # the card goes now; the removal is tried again at start-up
    assert item_id_of(card)
    [item] = await world.bot.store.items.open(world.guild.id)
    assert not item.original_removed
    assert [item.id for item in await world.bot.store.items.unfinished()] == [item.id]
