"""Publishing against a local Discord that holds the bot to Discord's documented rules (webhook names, forum tags)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.app import build_bot
from bot.client import ForumBridge
from bot.gate.publisher import FALLBACK_NAME
from bot.models import OutboxKind, OutboxState
from bot.policy import PolicyBundle
from bot.store import Store
from tests.gate.test_transport import Community_, bot, place
from tests.localdiscord import FORUM, PUBLIC_THREAD, LocalDiscord, StoredMessage, running
from tests.localdiscord import payloads as local_payloads
from tests.localdiscord.fixtures import local_discord
from tests.localdiscord.world import REQUIRE_TAG

__all__ = ["bot", "local_discord", "place"]


def bot_cards(local: LocalDiscord, channel: int) -> list[StoredMessage]:
    """The bot's cards in the moderator channel."""
    return [m for m in local.messages_in(channel) if m.author_id == local.bot_user_id and m.payload["embeds"]]


async def _approve_first_card(place: Community_) -> None:
    local = place.local
    [card] = bot_cards(local, place.modqueue)
    item_id = card.payload["embeds"][0]["footer"]["text"].removeprefix("Item #")
    await local.click_button(place.mod, card.id, f"fb:approve:{item_id}")


@contextlib.asynccontextmanager
async def connected(place: Community_, path: Path, shipped: PolicyBundle) -> AsyncIterator[ForumBridge]:
    """Our bot over this store, connected to the local Discord as it now is."""
    store = await Store.open(path)
    try:
        built = build_bot(store, shipped, guild_ready_timeout=0.01)
        await built.community.set_moderation(place.guild, channel_id=place.modqueue, role_id=place.mods)
        async with running(built, place.local) as client:
            yield client
    finally:
        await store.close()


@pytest.mark.parametrize("name", ["Discord Fan", "Clyde", "here", "\u200b\u200b"])
async def test_a_member_whose_name_discord_reserves_is_published(
    place: Community_, tmp_path: Path, shipped: PolicyBundle, name: str
) -> None:
    local = place.local
    local.world.user(place.newbie).global_name = name
    async with connected(place, tmp_path / "bridge.db", shipped):
        start = len(local.requests)
        await local.member_says(place.guild, place.general, place.newbie, "Hello, glad to be here")
        await local.wait_for_request("POST", rf"/channels/{place.modqueue}/messages$", start=start)
        await _approve_first_card(place)
        [repost] = await local.wait_until(lambda: local.messages_in(place.general) or None, what="the repost")
    assert repost.content == "Hello, glad to be here"
    shown = repost.payload["author"]["username"]
    if name.isprintable():
        assert len(shown) == len(name)  # the same letters, some of them look-alikes
        assert shown != name
    else:
        assert shown == FALLBACK_NAME  # nothing visible to show
    assert [e.status for e in local.find_requests("POST", r"/webhooks/\d+/[^/]+$")] == [200]


async def test_a_name_discord_refuses_unforeseen_is_published_under_a_fallback(
    place: Community_, bot: ForumBridge
) -> None:
    local = place.local
    local.world.refused_webhook_words.add("nora")  # Discord refuses a name the bot had no rule for
    start = len(local.requests)
    await local.member_says(place.guild, place.general, place.newbie, "First post")
    await local.wait_for_request("POST", rf"/channels/{place.modqueue}/messages$", start=start)
    await _approve_first_card(place)
    [repost] = await local.wait_until(lambda: local.messages_in(place.general) or None, what="the repost")
    assert repost.payload["author"]["username"] == FALLBACK_NAME
    executes = local.find_requests("POST", r"/webhooks/\d+/[^/]+$")
    assert [e.status for e in executes] == [400, 200]  # refused once, then published


async def _forum_post(place: Community_, forum: int, title: str, tags: list[int]) -> int:
    local = place.local
    world = local.world
    post = local.add_channel(place.guild, title, type=PUBLIC_THREAD, parent=forum, owner=place.newbie)
    world.channel(post).applied_tags = tags
    await local.dispatch("THREAD_CREATE", {**local_payloads.channel(world, world.channel(post)), "newly_created": True})
    author = local_payloads.user(world.user(place.newbie))
    thread = world.channel(post)
    starter = local_payloads.message(world, thread, author, {"content": "Where do I start?"}, [], message_id=post)
    start = len(local.requests)
    await local.post_message(starter, dispatch=True)
    await local.wait_for_request("POST", rf"/channels/{place.modqueue}/messages$", start=start)
    return post


async def test_a_forum_post_keeps_its_tags_where_the_forum_requires_one(place: Community_, bot: ForumBridge) -> None:
    local = place.local
    world = local.world
    forum = local.add_channel(place.guild, "ask-a-question", type=FORUM, tags=["Back", "Neck"], flags=REQUIRE_TAG)
    await local.dispatch("CHANNEL_CREATE", local_payloads.channel(world, world.channel(forum)))
    neck = int(world.channel(forum).available_tags[1]["id"])
    post = await _forum_post(place, forum, "Stiff neck after surgery", [neck])
    await _approve_first_card(place)
    recreated = await local.wait_until(
        lambda: [c for c in world.channels.values() if c.parent_id == forum and c.id != post] or None,
        what="the recreated post",
    )
    assert [(c.name, c.applied_tags) for c in recreated] == [("Stiff neck after surgery", [neck])]
    assert [m.content for m in local.messages_in(recreated[0].id)] == ["Where do I start?"]


async def _settled(store: Store, item_id: int) -> None:
    """Wait (a bounded while) until the restarted bot has finished the item's repost."""
    for _ in range(500):
        rows = await store.outbox.rows(tuple(OutboxState), item_id=item_id)
        if all(r.state is OutboxState.DONE for r in rows if r.kind is OutboxKind.REPOST):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the repost was never finished")


class Crash(Exception):
    """The process dies here."""


@pytest.fixture
def crash_after_webhook_send(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, bool]]:
    """The process dies right after Discord took a webhook message, before the bot heard back."""
    real_send = discord.Webhook.send
    armed = {"on": True}

    async def send(self: discord.Webhook, *args: Any, **kwargs: Any) -> Any:
        sent = await real_send(self, *args, **kwargs)
        if armed["on"]:
            raise Crash("the bot died mid-repost")
        return sent

    monkeypatch.setattr(discord.Webhook, "send", send)
    yield armed
    monkeypatch.undo()


async def test_a_forum_repost_interrupted_by_a_crash_is_not_posted_again(
    place: Community_, tmp_path: Path, shipped: PolicyBundle, crash_after_webhook_send: dict[str, bool]
) -> None:
    local = place.local
    world = local.world
    path = tmp_path / "bridge.db"

    original: list[int] = []

    def reposted() -> list[Any]:
        return [
            c for c in world.channels.values() if c.parent_id == place.forum and c.id not in (place.post, *original)
        ]

    async with connected(place, path, shipped):
        original.append(await _forum_post(place, place.forum, "Newly diagnosed with RA", []))
        await _approve_first_card(place)
        await local.wait_until(lambda: reposted() or None, what="the recreated post")
    # The bot died after Discord made the post, before it heard back: the row is still 'sending'.
    store = await Store.open(path)
    try:
        [row] = [r for r in await store.outbox.rows(tuple(OutboxState)) if r.kind is OutboxKind.REPOST]
        await store.db.connection.execute("UPDATE outbox SET state = 'sending' WHERE id = ?", (row.id,))
        await store.db.connection.commit()
    finally:
        await store.close()
    crash_after_webhook_send["on"] = False
    async with connected(place, path, shipped) as restarted:
        await _settled(restarted.store, row.item_id)
        assert [c.name for c in reposted()] == ["Newly diagnosed with RA"]  # adopted, not posted again
        item = await restarted.store.items.get(row.item_id)
        assert item is not None
        assert item.repost_channel_id == reposted()[0].id


async def test_a_repost_sent_before_a_busy_outage_is_adopted_not_posted_again(
    place: Community_, tmp_path: Path, shipped: PolicyBundle, crash_after_webhook_send: dict[str, bool]
) -> None:
    local = place.local
    world = local.world
    path = tmp_path / "bridge.db"
    async with connected(place, path, shipped):
        start = len(local.requests)
        await local.member_says(place.guild, place.general, place.newbie, "Morning stiffness after an L5/S1 fusion?")
        await local.wait_for_request("POST", rf"/channels/{place.modqueue}/messages$", start=start)
        await _approve_first_card(place)
        await local.wait_until(
            lambda: [m for m in local.messages_in(place.general) if m.payload.get("webhook_id")] or None,
            what="the repost",
        )
    # The bot died after Discord made the repost, before it heard back: the row is still 'sending'. While it was
    # down the channel went on talking: more messages after the repost than a newest-first search reads.
    store = await Store.open(path)
    try:
        [row] = [r for r in await store.outbox.rows(tuple(OutboxState)) if r.kind is OutboxKind.REPOST]
        await store.db.connection.execute("UPDATE outbox SET state = 'sending' WHERE id = ?", (row.id,))
        await store.db.connection.commit()
    finally:
        await store.close()
    author = local_payloads.user(world.user(place.mod))
    for n in range(250):
        said = local_payloads.message(world, world.channel(place.general), author, {"content": f"chat {n}"}, [])
        await local.post_message(said, dispatch=False)
    crash_after_webhook_send["on"] = False
    async with connected(place, path, shipped) as restarted:
        await _settled(restarted.store, row.item_id)
        reposts = [m for m in local.messages_in(place.general) if m.payload.get("webhook_id")]
        assert [m.content for m in reposts] == ["Morning stiffness after an L5/S1 fusion?"]  # adopted, not again
        item = await restarted.store.items.get(row.item_id)
        assert item is not None
        assert item.repost_message_id == reposts[0].id
