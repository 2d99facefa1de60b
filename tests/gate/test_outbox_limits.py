"""Review of the outbox (issue 7): what the bot sends stays inside Discord's limits, and edge cases end to end."""

from __future__ import annotations

import discord

from bot.models import Decision
from tests.gate.conftest import World, cards, dms

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
    [item] = await world.bot.store.open_items(world.guild.id)
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
