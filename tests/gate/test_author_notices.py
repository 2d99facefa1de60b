"""What the author is told (issues 11 and 16): their whole text back, the decision with DMs closed, notices that go
away even across a restart, and DM limits that are not closed DMs (SimCord, real SQLite)."""

from __future__ import annotations

from typing import Any

import discord

from bot.client import ForumBridge
from bot.community import Community
from bot.gate.words import FULL_TEXT_FILENAME
from bot.models import Decision
from bot.store import Store
from tests.gate.conftest import World, cards, dms

# As in issue 11: more words than a DM quotes (it quotes at most 1,500 characters), within a member's 2,000.
LONG_STORY = " ".join(f"w{n}" for n in range(400)) + " the end."


def posts(world: World) -> list[discord.Message]:
    """What members see in the general channel."""
    return list(world.general.history())


def close_dms(world: World, actor: Any) -> None:
    """The member's DMs are closed for the rest of the test: Discord answers 50007."""
    dm = actor.user.dm_channel
    world.env.inject_error(
        "POST",
        f"/channels/{dm.id}/messages",
        status=403,
        code=50007,
        message="Cannot send messages to this user",
        times=None,
    )


async def reject(world: World, item_id: int, reason: str = "Please shorten this.") -> None:
    moderator = world.mod.member
    assert isinstance(moderator, discord.Member)
    outcome = await world.bot.gate.decide(item_id, Decision.REJECT, moderator, reason=reason)
    assert outcome.won


async def test_a_rejected_long_message_comes_back_whole_as_a_file(world: World) -> None:
    assert 1500 < len(LONG_STORY) <= 2000
    await world.newbie.send(world.general, LONG_STORY)
    [item] = await world.bot.store.open_items(world.guild.id)
    await reject(world, item.id)
    [told] = [m for m in dms(world.newbie) if m.content.startswith("A moderator decided not to publish")]
    assert len(told.content) <= 2000
    assert FULL_TEXT_FILENAME in told.content  # the DM says where the rest is
    [file] = told.attachments
    assert file.filename == FULL_TEXT_FILENAME
    assert (await file.read()).decode("utf-8") == LONG_STORY  # all 481 words


async def test_a_short_rejected_message_is_quoted_whole_without_a_file(world: World) -> None:
    await world.newbie.send(world.general, "my short story, see cheap-pills.net")
    [item] = await world.bot.store.open_items(world.guild.id)
    await reject(world, item.id)
    [told] = [m for m in dms(world.newbie) if m.content.startswith("A moderator decided not to publish")]
    assert "> my short story, see cheap-pills.net" in told.content
    assert told.attachments == []
    assert FULL_TEXT_FILENAME not in told.content


async def test_one_dm_for_several_long_rejections_carries_every_text_whole(world: World) -> None:
    world.bot.gate.outbox.pause()
    await world.newbie.send(world.general, "first " + LONG_STORY[:900])
    await world.newbie.send(world.general, "second " + LONG_STORY[:900])
    first, second = await world.bot.store.open_items(world.guild.id)
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    world.bot.gate.outbox.pause()  # both decisions are told in one DM
    await reject(world, first.id)
    await reject(world, second.id)
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    [told] = [m for m in dms(world.newbie) if m.content.startswith("A moderator decided not to publish")]
    [file] = told.attachments
    body = (await file.read()).decode("utf-8")
    assert "first " + LONG_STORY[:900] in body
    assert "second " + LONG_STORY[:900] in body
