"""Publishing approved messages: long reposts across a crash, the webhook name, what has no text (SimCord)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import discord
import pytest
from simcord.backend.models.message import MessageSticker, Poll, PollAnswer

from bot.app import build_bot
from bot.gate.publisher import split_content
from bot.models import OutboxKind, OutboxState
from bot.store import Store
from bot.text import MESSAGE_LIMIT
from tests.gate.conftest import World, cards, item_id_of
from tests.gate.discord_rules import assert_discord_would_accept_reposts, webhook_executes


def reposts(world: World, channel: Any | None = None) -> list[discord.Message]:
    """Messages published through a webhook, oldest first."""
    return [m for m in (channel or world.general).history() if m.webhook_id is not None]


def long_text() -> str:
    """Almost 4,000 characters (Nitro allows it) in three long paragraphs: three messages' worth."""
    return "\n".join(" ".join(f"disc{line}w{word}" for word in range(144)) for line in range(3))


@pytest.fixture
def nitro(monkeypatch: pytest.MonkeyPatch) -> None:
    """Members may send up to 4,000 characters (Nitro); SimCord knows only the 2,000 a bot may send."""
    import simcord.backend.ops.messages as simcord_messages

    real_validate = simcord_messages.validate_message_state

    def validate(components: Any, *, content: str | None = None, **kwargs: Any) -> Any:
        if content is not None and len(content) <= 4000:
            content = content[:MESSAGE_LIMIT]
        return real_validate(components, content=content, **kwargs)

    monkeypatch.setattr(simcord_messages, "validate_message_state", validate)


class Crash(Exception):
    """The process dies here."""


@pytest.fixture
def crash_on_webhook_send(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The process dies at the Nth webhook message, just before Discord gets it or just after."""
    real_send = discord.Webhook.send
    plan: dict[str, Any] = {"at": 2, "after_sending": True, "calls": 0}

    async def send(self: discord.Webhook, *args: Any, **kwargs: Any) -> Any:
        plan["calls"] += 1
        if plan["calls"] != plan["at"]:
            return await real_send(self, *args, **kwargs)
        if plan["after_sending"]:
            await real_send(self, *args, **kwargs)
        raise Crash("the bot died mid-repost")

    monkeypatch.setattr(discord.Webhook, "send", send)
    yield plan
    monkeypatch.undo()


async def _approve_and_die(world: World, store: Store, text: str) -> int:
    await world.newbie.send(world.general, text)
    [card] = cards(world)
    await world.mod.click(card, label="Approve")
    await world.env.settle()
    [row] = [r for r in await store.outbox.rows(tuple(OutboxState)) if r.kind is OutboxKind.REPOST]
    # The process died with the row 'sending' (the failure handler never ran).
    await store.db.connection.execute("UPDATE outbox SET state = 'sending' WHERE id = ?", (row.id,))
    await store.db.connection.commit()
    return row.item_id


async def _restart(world: World, store: Store) -> Store:
    again = await Store.open(store.path)
    await world.env.restart_bot(build_bot(again, world.bot.community.bundle))
    return again


@pytest.mark.parametrize("after_sending", [True, False], ids=["part-sent-unrecorded", "part-never-sent"])
async def test_a_long_repost_interrupted_between_parts_is_finished_once(
    world: World, store: Store, crash_on_webhook_send: dict[str, Any], after_sending: bool, nitro: None
) -> None:
    text = long_text()
    expected = split_content(text)
    assert len(expected) == 3
    assert len(text) > 3900
    crash_on_webhook_send["after_sending"] = after_sending
    item_id = await _approve_and_die(world, store, text)
    assert len(reposts(world)) == (2 if after_sending else 1)
    crash_on_webhook_send["at"] = 0  # the restarted bot does not die
    again = await _restart(world, store)
    try:
        published = reposts(world)
        assert [m.content for m in published] == expected  # each part once, in order
        assert sum(len(m.content.split()) for m in published) == len(text.split())
        item = await again.items.get(item_id)
        assert item is not None
        assert item.repost_message_id == published[0].id
        await world.env.restart_bot(build_bot(again, world.bot.community.bundle))
        assert len(reposts(world)) == len(expected)  # and a further restart adds nothing
    finally:
        await world.env.restart_bot(world.bot)
        await again.close()


async def test_a_host_clock_ahead_of_discords_does_not_post_twice(
    world: World, store: Store, crash_on_webhook_send: dict[str, Any]
) -> None:
    crash_on_webhook_send["at"] = 1
    item_id = await _approve_and_die(world, store, "A repost made just before the crash")
    [repost] = reposts(world)
    # The host's clock ran an hour ahead of Discord's when the decision was recorded.
    item = await store.items.get(item_id)
    assert item is not None
    assert item.decided_at is not None
    ahead = (item.decided_at + timedelta(hours=1)).isoformat()
    await store.db.connection.execute("UPDATE held_items SET decided_at = ? WHERE id = ?", (ahead, item_id))
    await store.db.connection.commit()
    crash_on_webhook_send["at"] = 0
    again = await _restart(world, store)
    try:
        assert [m.id for m in reposts(world)] == [repost.id]  # adopted, not posted again
        fresh = await again.items.get(item_id)
        assert fresh is not None
        assert fresh.repost_message_id == repost.id
    finally:
        await world.env.restart_bot(world.bot)
        await again.close()


@pytest.mark.parametrize(
    ("display_name", "shown"),
    [
        ("Discord Fan", "Disc\u043erd Fan"),
        ("clyde", "clyd\u0435"),
        ("everyone", "\u0435v\u0435ry\u043en\u0435"),
        ("\u200b\u200d\u2060", "Forum member"),
        ("Rosa\u200b", "Rosa"),
    ],
)
async def test_the_authors_name_is_one_discord_accepts(world: World, display_name: str, shown: str) -> None:
    member = world.guild.add_member(world.env.create_user("fan", global_name=display_name))
    await member.send(world.general, "Hello from a new member")
    await world.mod.click(cards(world)[0], label="Approve")
    [repost] = reposts(world)
    assert repost.author.name == shown
    assert_discord_would_accept_reposts(world.env)


async def _member_posts(world: World, **extra: Any) -> None:
    """The new member posts a message with no text (SimCord's member verb sends text only)."""
    backend = world.env.backend
    backend.create_message(world.general.id, world.newbie.id, "", **extra)
    await world.env.settle()


async def test_a_sticker_only_first_post_is_published_as_a_note_of_the_sticker(world: World) -> None:
    sticker = world.guild.create_sticker("Thumbs up from PT")
    await _member_posts(world, stickers=[MessageSticker(sticker.id, sticker.name, sticker.format_type, world.guild.id)])
    [card] = cards(world)  # held: a new member's first post
    # The moderator sees what Approve would publish: the card names the sticker (it showed an empty quote).
    assert "sticker: Thumbs up from PT" in (card.embeds[0].description or "")
    await world.mod.click(card, label="Approve")
    [repost] = reposts(world)
    assert repost.content == "*(sticker: Thumbs up from PT)*"  # a webhook cannot send the sticker itself
    assert_discord_would_accept_reposts(world.env)


async def test_a_poll_only_first_post_is_published_as_the_same_poll(world: World) -> None:
    backend = world.env.backend
    poll = Poll(
        "Which pillow helps your neck?",
        [PollAnswer(1, "Memory foam"), PollAnswer(2, "Feather", emoji="🪶")],
        expiry=backend.iso_after(48 * 3600),
        allow_multiselect=True,
    )
    await _member_posts(world, poll=poll)
    [card] = cards(world)
    # The card shows the poll Approve would publish (it showed an empty quote).
    shown = card.embeds[0].description or ""
    assert "Which pillow helps your neck?" in shown
    assert "Memory foam" in shown
    assert "🪶 Feather" in shown
    await world.mod.click(card, label="Approve")
    [repost] = reposts(world)
    assert repost.poll is not None
    assert repost.poll.question == "Which pillow helps your neck?"
    assert [(a.text, str(a.emoji) if a.emoji else None) for a in repost.poll.answers] == [
        ("Memory foam", None),
        ("Feather", "🪶"),
    ]
    assert repost.poll.multiple
    assert repost.poll.duration == timedelta(hours=48)
    assert_discord_would_accept_reposts(world.env)


@pytest.mark.parametrize("kind", ["voice", "stage"])
async def test_a_message_in_a_voice_or_stage_channels_chat_is_published_there(world: World, kind: str) -> None:
    channel = (
        world.guild.create_voice_channel("pain-chat-lounge")
        if kind == "voice"
        else world.guild.create_stage_channel("monthly-q-and-a")
    )
    await world.env.settle()
    await world.newbie.send(channel, "Hi, is anyone else on the call awake at 3am with back pain?")
    [card] = cards(world)
    await world.mod.click(card, label="Approve")
    [repost] = reposts(world, channel)
    assert repost.content == "Hi, is anyone else on the call awake at 3am with back pain?"
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert item.repost_message_id == repost.id


@pytest.mark.parametrize("then", ["changed-avatar", "left"])
async def test_a_repost_carries_the_members_avatar_as_it_is_at_publishing(world: World, then: str) -> None:
    await world.newbie.send(world.general, "Hello from the new member")  # held with avatar a1b2c3
    backend = world.env.backend
    if then == "changed-avatar":
        backend.users[world.newbie.id].avatar = "f00dcafe"
        backend.announce_member_update(world.guild.id, world.newbie.id)
    else:
        world.guild.remove_member(world.newbie)
    await world.env.settle()
    await world.mod.click(cards(world)[0], label="Approve")
    [execute] = webhook_executes(world.env)
    # The new avatar, not the one stored at hold time (which Discord may no longer serve); the stored one once the
    # member has left and there is nothing newer to go by.
    assert ("f00dcafe" if then == "changed-avatar" else "a1b2c3") in execute.json["avatar_url"]
    assert len(reposts(world)) == 1


def test_a_part_cut_at_a_space_does_not_start_with_it() -> None:
    # Discord trims a message's ends: a part that began with the space it was cut at would not read, on Discord,
    # as the part that was sent, and a crash-time search for it would miss it (and post it again).
    text = " ".join(f"word{n}" for n in range(500))  # one long line, no line breaks to cut at
    parts = split_content(text)
    assert len(parts) == 2
    assert all(part == part.strip() for part in parts)
    assert " ".join(parts) == text
    assert all(len(part) <= 2000 for part in parts)


async def test_a_part_discord_made_before_answering_with_an_error_is_not_sent_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_send = discord.Webhook.send
    calls = []

    async def send(self: discord.Webhook, *args: Any, **kwargs: Any) -> Any:
        sent = await real_send(self, *args, **kwargs)
        if "username" not in kwargs:
            return sent  # an interaction's followup, not a repost
        calls.append(sent.id)
        if len(calls) == 1:
            # Discord made the message, then answered 503 (a gateway timeout on its side): the bot will retry.
            raise discord.DiscordServerError(SimpleNamespace(status=503, reason="Service Unavailable"), "busy")
        return sent

    monkeypatch.setattr(discord.Webhook, "send", send)
    await world.newbie.send(world.general, "Posted once, whatever Discord answered")
    await world.mod.click(cards(world)[0], label="Approve")
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    await world.env.settle()
    [repost] = reposts(world)
    assert calls == [repost.id]  # the retry found it instead of posting it again
    item = await world.bot.store.items.get(item_id_of(cards(world)[0]))
    assert item is not None
    assert item.repost_message_id == repost.id


async def test_the_same_words_published_for_another_item_are_not_taken_for_this_ones_repost(
    world: World, store: Store, crash_on_webhook_send: dict[str, Any]
) -> None:
    nina = world.guild.add_member(world.env.create_user("nina", global_name="Nina"))
    await world.newbie.send(world.general, "Thank you all!")
    await nina.send(world.general, "Thank you all!")
    await world.mod.click(cards(world)[0], label="Approve")  # Nora's: published, after Nina's original
    crash_on_webhook_send["after_sending"] = False  # Nina's dies before Discord has it
    await world.mod.click(cards(world)[1], label="Approve")
    await world.env.settle()
    [row] = [
        r
        for r in await store.outbox.rows(tuple(OutboxState))
        if r.kind is OutboxKind.REPOST and r.state is not OutboxState.DONE
    ]
    await store.db.connection.execute("UPDATE outbox SET state = 'sending' WHERE id = ?", (row.id,))
    await store.db.connection.commit()
    crash_on_webhook_send["at"] = 0
    again = await _restart(world, store)
    try:
        first, second = reposts(world)
        assert (first.author.name, second.author.name) == ("Nora New", "Nina")  # Nina's published too, once
        item = await again.items.get(row.item_id)
        assert item is not None
        assert item.repost_message_id == second.id
    finally:
        await world.env.restart_bot(world.bot)
        await again.close()
