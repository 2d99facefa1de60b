"""Review of the outbox (issue 7): what the bot sends stays inside Discord's limits, and edge cases end to end."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from bot.gate import delivery
from bot.gate.cards import GROUP_MARKER
from bot.gate.outbox import IDLE_POLL_S, Lane, OutboxWorker
from bot.gate.raid import BulkDeleter
from bot.models import Decision, OutboxKind, OutboxRow, OutboxState
from bot.store import Store
from bot.store.outbox import OutboxRepo
from tests.gate.conftest import World, cards, dms
from tests.gate.test_outbox_parts import FakeChannel, fresh_ids, held

# A wall of empty lines, as spammers post it: within a member's 2000 characters, but every line quoted
# on a card or in a DM costs two more ("> ").
WALL = "cheap-pills.net" + "\n" * 1970 + "buy now"


async def test_a_wall_of_lines_still_gets_its_card_and_the_authors_dm(world: World) -> None:
    await world.newbie.send(world.general, WALL)
    [card] = cards(world)
    assert len(card.embeds[0].description or "") <= 4096
    [held] = dms(world.newbie)
    assert "waiting for a moderator" in held.content
    assert len(held.content) <= 2000


async def test_a_long_reason_on_a_long_message_still_reaches_the_author(world: World) -> None:
    await world.newbie.send(world.general, "my story " * 220)  # about 2000 characters
    [item] = await world.bot.store.items.open(world.guild.id)
    moderator = world.mod.member
    assert isinstance(moderator, discord.Member)
    outcome = await world.bot.gate.decide(item.id, Decision.REJECT, moderator, reason="Please shorten this. " * 23)
    assert outcome.won
    told = [m for m in dms(world.newbie) if m.content.startswith("A moderator decided not to publish")]
    assert len(told) == 1
    assert "Reason: Please shorten this." in told[0].content


async def test_a_message_with_many_long_domains_still_gets_its_card(world: World) -> None:
    links = " ".join(f"https://cheap-pills-and-more-deals-shop-{n:02d}.net" for n in range(36))
    await world.newbie.send(world.general, links)
    [card] = cards(world)
    embed = card.embeds[0]
    assert all(len(field.value or "") <= 1024 for field in embed.fields)
    assert len(embed) <= 6000


async def test_recovery_leaves_alone_a_grouped_card_the_live_worker_is_sending(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Holds can start the worker before on_ready runs the start-up recovery (discord.py dispatches messages
    # while it still waits for guilds): recovery must not take the live worker's rows for a crash's.
    world.bot.gate.outbox.pause()
    spam = world.guild.add_member(world.env.create_user("pills4u", global_name="Pills4u"))
    for n in range(5):
        await spam.send(world.general, f"cheap meds {n}: cheap-pills.net/deal{n}")
    let_go = asyncio.Event()
    real_send = discord.abc.Messageable.send

    async def slow_send(self: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(self, discord.TextChannel) and self.id == world.modqueue.id:
            await let_go.wait()
        return await real_send(self, *args, **kwargs)

    monkeypatch.setattr(discord.abc.Messageable, "send", slow_send)
    world.bot.gate.outbox.resume()
    for _ in range(50):
        if await world.bot.store.outbox.rows((OutboxState.SENDING,)):
            break
        await asyncio.sleep(0)
    assert await world.bot.store.outbox.rows((OutboxState.SENDING,))  # the grouped card is on its way
    await world.bot.gate.recovery.recover()
    let_go.set()
    await world.bot.gate.outbox.idle()
    await world.env.settle()
    monkeypatch.undo()
    [group] = [m for m in world.modqueue.history() if m.components]
    result = await world.mod.click(group, label="Approve all")
    [said] = result.followups
    assert "Approved 5 items." in said.content
    assert len([m for m in world.modqueue.history() if m.embeds]) == 1  # one grouped card, sent once


class _SlowCourier:
    """Every card row in its own lane (other rows stay queued); each send waits until the test lets it go."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.let_go = asyncio.Event()
        self.first = asyncio.Event()
        self.second = asyncio.Event()

    async def route(self, rows: Sequence[OutboxRow]) -> dict[Lane, list[OutboxRow]]:
        return {("post", row.id): [row] for row in rows if row.kind is OutboxKind.CARD}

    async def batch(self, lane: Lane, rows: list[OutboxRow]) -> list[OutboxRow]:
        return rows[:1]

    async def deliver(self, lane: Lane, rows: list[OutboxRow]) -> None:
        self.started.append(rows[0].id)
        (self.second if self.first.is_set() else self.first).set()
        await self.let_go.wait()


async def test_a_stopping_worker_starts_no_new_sends(store: Store) -> None:
    item, _ = await store.items.add(held(100))
    await store.outbox.release(item.id)
    courier = _SlowCourier()
    worker = OutboxWorker(lambda: store, courier)
    worker.kick()
    await asyncio.wait_for(courier.first.wait(), 5.0)
    stopping = asyncio.create_task(worker.stop(timeout=5.0))
    await asyncio.sleep(0)
    # A row queued while the worker lets its last send finish (the worker looks again every IDLE_POLL_S).
    late, _ = await store.items.add(held(101))
    await store.outbox.release(late.id)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(courier.second.wait(), 4 * IDLE_POLL_S)
    courier.let_go.set()
    await stopping
    assert len(courier.started) == 1  # the late rows wait in the database for the next start
    assert not worker.running


async def test_a_send_that_outlasts_the_stop_is_cut_off_before_the_store_closes(store: Store) -> None:
    item, _ = await store.items.add(held(100))
    await store.outbox.release(item.id)
    courier = _SlowCourier()  # its send never finishes on its own
    worker = OutboxWorker(lambda: store, courier)
    worker.kick()
    await asyncio.wait_for(courier.first.wait(), 5.0)
    [send] = list(worker._sends)
    await worker.stop(timeout=0.05)
    # Before: stop() returned with the send still running, and it went on into a closed store at shutdown.
    assert send.cancelled()
    assert not worker._sends
    assert not worker.running


async def test_a_bulk_delete_cut_off_by_the_network_reaches_every_caller() -> None:
    deleter = BulkDeleter()
    failing = FakeChannel(fail=OSError("connection reset by peer"))
    results = await asyncio.wait_for(
        asyncio.gather(
            *(deleter.delete(failing, message_id) for message_id in fresh_ids(3)),  # type: ignore[arg-type]
            return_exceptions=True,
        ),
        5.0,
    )
    assert all(isinstance(result, OSError) for result in results)


async def test_one_dm_for_two_rejections_gives_each_its_own_reason(world: World) -> None:
    world.bot.gate.outbox.pause()
    await world.newbie.send(world.general, "first: see cheap-pills.net")
    await world.newbie.send(world.general, "second: ask my doctor friend")
    first, second = await world.bot.store.items.open(world.guild.id)
    moderator = world.mod.member
    assert isinstance(moderator, discord.Member)
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    world.bot.gate.outbox.pause()  # both decisions are told in one DM
    await world.bot.gate.decide(first.id, Decision.REJECT, moderator, reason="No shop links, please.")
    await world.bot.gate.decide(second.id, Decision.REJECT, moderator, reason="No medical advice here.")
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    [told] = [m for m in dms(world.newbie) if m.content.startswith("A moderator decided not to publish")]
    assert "No shop links, please." in told.content
    assert "No medical advice here." in told.content


async def test_no_waiting_dm_for_a_message_decided_before_it_went(world: World) -> None:
    world.bot.gate.outbox.pause()  # a backlog: the hold DM has not gone yet
    await world.newbie.send(world.general, "hello, see cheap-pills.net")
    [item] = await world.bot.store.items.open(world.guild.id)
    moderator = world.mod.member
    assert isinstance(moderator, discord.Member)
    await world.bot.store.decisions.decide(item.id, Decision.REJECT, moderator_id=moderator.id, moderator_name="Maria")
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    said = [m.content for m in dms(world.newbie)]
    assert len(said) == 1
    assert said[0].startswith("A moderator decided not to publish")
    [card] = cards(world)
    assert card.components == []  # the card shows the decision, without buttons


async def test_a_grouped_card_that_failed_once_gives_each_item_its_own_card_later(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.bot.gate.outbox.pause()
    spam = world.guild.add_member(world.env.create_user("pills4u", global_name="Pills4u"))
    for n in range(3):
        await spam.send(world.general, f"cheap meds {n}: cheap-pills.net/deal{n}")
    await world.alice.send(world.general, "see cheap-pills.net")  # two more authors: more than 3 cards wait
    await world.bob.send(world.general, "and cheap-pills.net again")
    # The retry comes once the other two cards have gone: three cards left, too few to group.
    monkeypatch.setattr(delivery, "_retry_at", lambda attempts: datetime.now(UTC) + timedelta(seconds=2.5))
    real_send = discord.abc.Messageable.send
    failed: list[str] = []

    async def group_fails_once(self: Any, *args: Any, **kwargs: Any) -> Any:
        embed = kwargs.get("embed")
        if not failed and embed is not None and (embed.footer.text or "").startswith(GROUP_MARKER):
            failed.append(embed.footer.text or "")
            response = type("R", (), {"status": 503, "reason": "Service Unavailable"})()
            raise discord.HTTPException(response, "upstream connect error")
        return await real_send(self, *args, **kwargs)

    monkeypatch.setattr(discord.abc.Messageable, "send", group_fails_once)
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    await world.env.settle()
    assert failed  # the grouped card failed once; its three items went again, alone now
    items = await world.bot.store.items.open(world.guild.id)
    on_cards = {item.card_message_id for item in items}
    assert None not in on_cards
    assert len(on_cards) == len({m.id for m in world.modqueue.history()})  # each card is some item's
    spams = [item for item in items if item.author_id == spam.id]
    assert len({item.card_message_id for item in spams}) == len(spams)  # each its own card
    moderator = world.mod.member
    assert isinstance(moderator, discord.Member)
    await world.bot.gate.decide(spams[0].id, Decision.REJECT, moderator, reason="spam")
    [card] = [m for m in world.modqueue.history() if m.id == spams[0].card_message_id]
    assert card.components == []  # its card shows the decision


async def test_a_decision_waiting_for_its_rows_reads_only_its_own(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A decision polls its rows at every send: during a backlog of thousands of rows, reading them all each
    # time (about 100 ms for 6000) keeps the event loop busy for nothing.
    await world.newbie.send(world.general, "hello, see cheap-pills.net")
    [item] = await world.bot.store.items.open(world.guild.id)
    world.bot.gate.outbox.pause()
    for n in range(10):  # a backlog of other members' rows
        other = world.guild.add_member(world.env.create_user(f"member{n}", global_name=f"Member {n}"))
        await other.send(world.general, f"hi {n}")
    polled: list[set[int]] = []
    real_rows = OutboxRepo.rows

    async def watching(self: OutboxRepo, states: Any = (OutboxState.QUEUED,), **kwargs: Any) -> list[OutboxRow]:
        rows = await real_rows(self, states, **kwargs)
        if OutboxState.WAITING in tuple(states):  # the decision's wait (the worker reads queued rows only)
            polled.append({row.item_id for row in rows})
        return rows

    monkeypatch.setattr(OutboxRepo, "rows", watching)
    world.bot.gate.outbox.resume()
    moderator = world.mod.member
    assert isinstance(moderator, discord.Member)
    await world.bot.gate.decide(item.id, Decision.REJECT, moderator, reason="spam")
    assert polled
    assert all(ids <= {item.id} for ids in polled)
