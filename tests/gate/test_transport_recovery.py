"""Against the local Discord with Discord's documented rules: start-up recovery (whose nonce check, like
Discord's, lasts only a few minutes) and raid mode's bulk deletes (2-100 distinct ids, none two weeks old)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.app import build_bot
from bot.client import ForumBridge
from bot.community import Community
from bot.gate.raid import BulkDeleter
from bot.models import OutboxKind, OutboxState
from bot.policy import PolicyBundle
from bot.store import Store
from tests.gate.test_transport import Community_, place
from tests.gate.wave import outbox_settled, wait_for
from tests.localdiscord import LocalDiscord, running
from tests.localdiscord import payloads as local_payloads
from tests.localdiscord.fixtures import local_discord
from tests.localdiscord.world import DISCORD_EPOCH_MS

__all__ = ["local_discord", "place"]

CHATTER = 250  # moderators' messages between the hold and its card: more than one page of history, and than 200


def _bot(store: Store, shipped: PolicyBundle) -> ForumBridge:
    return build_bot(store, shipped, guild_ready_timeout=0.01)


def _cards_for(local: LocalDiscord, channel_id: int, item_id: int) -> list[int]:
    return [
        m.id
        for m in local.messages_in(channel_id)
        if m.author_id == local.bot_user_id
        and any((e.get("footer") or {}).get("text") == f"Item #{item_id}" for e in m.payload.get("embeds") or [])
    ]


async def _chatter(place: Community_, count: int, *, seen_by_the_bot: bool) -> int:
    local, world = place.local, place.local.world
    last = 0
    for n in range(count):
        if seen_by_the_bot:
            said = await local.member_says(place.guild, place.modqueue, place.mod, f"chat {n}")
            last = int(said["id"])
        else:
            # Messages the bot never heard of (its gateway was down, say): its cache knows no newer message.
            author = local_payloads.user(world.user(place.mod))
            stored = local_payloads.message(world, world.channel(place.modqueue), author, {"content": f"chat {n}"}, [])
            await local.post_message(stored, dispatch=False)
            last = stored.id
    return last


async def _card_sent_then_a_long_outage(
    place: Community_, store: Store, shipped: PolicyBundle, chatter: int, *, seen_by_the_bot: bool
) -> int:
    """A held message's card goes out after `chatter` moderator messages, unrecorded; half an hour later the bot
    starts again on the same database; returns the item's id."""
    local = place.local
    await Community(store, shipped).set_moderation(place.guild, channel_id=place.modqueue, role_id=place.mods)
    bot = _bot(store, shipped)
    async with running(bot, local):
        bot.gate.outbox.pause()  # a backlog: the card goes after the moderators have talked a while
        sent = await local.member_says(place.guild, place.general, place.newbie, "Hi all, first post here")
        assert await wait_for(lambda: store.items.by_message(int(sent["id"])), timeout=5)
        last = await _chatter(place, chatter, seen_by_the_bot=seen_by_the_bot)
        if seen_by_the_bot:
            channel = bot.get_channel(place.modqueue)
            assert await wait_for(lambda: getattr(channel, "last_message_id", None) == last, timeout=10)

        # The card reaches Discord, and the bot dies before recording it.
        real_mark_done = store.outbox.mark_done

        async def crash_on_card(row_ids: Any, channel_id: Any, message_id: Any) -> None:
            sending = await store.outbox.rows((OutboxState.SENDING,))
            if any(row.kind is OutboxKind.CARD and row.id in row_ids for row in sending):
                raise RuntimeError("simulated crash after sending the card")
            await real_mark_done(row_ids, channel_id, message_id)

        store.outbox.mark_done = crash_on_card  # type: ignore[method-assign]
        bot.gate.outbox.resume()
        item = await store.items.by_message(int(sent["id"]))
        assert item is not None
        assert await wait_for(lambda: _cards_for(local, place.modqueue, item.id), timeout=10)
        assert await wait_for(lambda: store.outbox.rows((OutboxState.FAILED,)), timeout=5)
    del store.outbox.mark_done
    [row] = [r for r in await store.outbox.rows((OutboxState.FAILED,)) if r.kind is OutboxKind.CARD]
    # The process died with the row still 'sending' (its failure handler never ran).
    await store.db.connection.execute("UPDATE outbox SET state = 'sending', error = NULL WHERE id = ?", (row.id,))

    local.advance_clock(30 * 60)  # half an hour down: Discord has long forgotten the nonce
    async with running(_bot(store, shipped), local):
        assert await wait_for(lambda: outbox_settled(store), timeout=15)
    return item.id


@pytest.mark.parametrize("seen_by_the_bot", [True, False], ids=["chatter-seen", "chatter-unseen"])
async def test_a_card_sent_before_a_long_outage_is_adopted_not_sent_again(
    place: Community_, tmp_path: Path, shipped: PolicyBundle, seen_by_the_bot: bool
) -> None:
    store = await Store.open(tmp_path / "bridge.db")
    try:
        item_id = await _card_sent_then_a_long_outage(place, store, shipped, CHATTER, seen_by_the_bot=seen_by_the_bot)
        [card] = _cards_for(place.local, place.modqueue, item_id)  # adopted, not posted a second time
        adopted = await store.items.get(item_id)
        assert adopted is not None
        assert adopted.card_message_id == card
    finally:
        await store.close()


async def test_the_search_reads_at_most_ten_pages_and_says_when_it_gives_up(
    place: Community_, tmp_path: Path, shipped: PolicyBundle, caplog: pytest.LogCaptureFixture
) -> None:
    store = await Store.open(tmp_path / "bridge.db")
    try:
        start = len(place.local.requests)
        # More messages the bot never saw than the search reads: it cannot know where its card went.
        item_id = await _card_sent_then_a_long_outage(place, store, shipped, 1050, seen_by_the_bot=False)
        history = place.local.find_requests("GET", rf"/channels/{place.modqueue}/messages$")
        assert 0 < len([r for r in history if place.local.requests.index(r) >= start]) <= 10
        assert "giving up the search" in caplog.text
        assert len(_cards_for(place.local, place.modqueue, item_id)) == 2  # sent again, as the log says it may be
    finally:
        await store.close()


def _client() -> discord.Client:
    return discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.01)


async def test_one_message_asked_twice_is_bulk_deleted_once(place: Community_) -> None:
    local = place.local
    spam = [await local.member_says(place.guild, place.general, place.newbie, f"spam {n}") for n in range(2)]
    first, second = (int(said["id"]) for said in spam)
    async with running(_client(), local) as client:
        channel = client.get_channel(place.general)
        assert isinstance(channel, discord.TextChannel)
        deleter = BulkDeleter()
        results = await asyncio.gather(
            deleter.delete(channel, first),
            deleter.delete(channel, first),
            deleter.delete(channel, second),
            return_exceptions=True,
        )
    assert results == [None, None, None]
    assert local.messages_in(place.general) == []
    [bulk] = local.find_requests("POST", r"/messages/bulk-delete$")
    assert bulk.json == {"messages": [first, second]}


async def test_a_bulk_delete_refused_for_an_old_message_deletes_them_one_by_one(place: Community_) -> None:
    local, world = place.local, place.local.world
    local.advance_clock(20 * 60)  # Discord's clock 20 minutes ahead of ours
    # Just over two weeks old by Discord's clock, ten minutes under by ours: sent in bulk, refused (50034).
    old_ms = world.now_ms() - (14 * 24 * 3600 + 10 * 60) * 1000
    author = local_payloads.user(world.user(place.newbie))
    old = local_payloads.message(
        world,
        world.channel(place.general),
        author,
        {"content": "old"},
        [],
        message_id=(old_ms - DISCORD_EPOCH_MS) << 22,
    )
    await local.post_message(old, dispatch=False)
    fresh = int((await local.member_says(place.guild, place.general, place.newbie, "fresh spam"))["id"])
    async with running(_client(), local) as client:
        channel = client.get_channel(place.general)
        assert isinstance(channel, discord.TextChannel)
        deleter = BulkDeleter()
        results = await asyncio.gather(
            deleter.delete(channel, old.id), deleter.delete(channel, fresh), return_exceptions=True
        )
    assert results == [None, None]
    assert local.messages_in(place.general) == []
    [bulk] = local.find_requests("POST", r"/messages/bulk-delete$")
    assert bulk.status == 400
