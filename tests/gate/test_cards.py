"""The moderator card shows everything Approve would publish, and always goes out, whatever the files weigh."""

from __future__ import annotations

import string

import discord

from tests.gate.conftest import World, cards


def reposts(world: World) -> list[discord.Message]:
    """Messages published through a webhook in the general channel."""
    return [m for m in world.general.history() if m.webhook_id is not None]


def group_cards(world: World) -> list[discord.Message]:
    """The grouped cards in the moderator channel."""
    return [m for m in world.modqueue.history() if m.embeds and (m.embeds[0].footer.text or "").startswith("Group #")]


def field(card: discord.Message, name: str) -> str:
    """The value of the card's field with this name ('' when there is none), as it reads (no zero-width spaces)."""
    return next((f.value or "" for f in card.embeds[0].fields if f.name == name), "").replace("\u200b", "")


def essay(words: int) -> str:
    """A long message, one numbered word at a time, so any missing part shows."""
    return " ".join(f"vertebra{n}" for n in range(words))


def diary(entries: int = 400) -> str:
    """Under Discord's 2000 characters for a member without Nitro, yet longer than a card quotes.

    Each line costs its "> " on the card: short lines with blank lines between them more than double.
    """
    letters = string.ascii_lowercase
    return "\n\n\n".join(letters[n // 26] + letters[n % 26] for n in range(entries))


async def test_a_card_that_cuts_the_text_carries_all_of_it(world: World) -> None:
    text = diary()
    assert len(text) <= 2000
    await world.newbie.send(world.general, text)
    [card] = cards(world)
    assert "pj" not in (card.embeds[0].description or "")  # the quote is cut...
    [whole] = [a for a in card.attachments if a.filename.endswith(".txt")]  # ...and the whole text is attached
    assert (await whole.read()).decode() == text
    assert "400 words" in field(card, "✂️ Text cut")


async def test_a_card_that_shows_it_all_has_no_text_file(world: World) -> None:
    await world.newbie.send(world.general, essay(40))
    [card] = cards(world)
    assert card.attachments == []
    assert field(card, "✂️ Text cut") == ""


async def test_a_grouped_cards_item_opened_alone_is_complete(world: World) -> None:
    world.bot.gate.outbox.pause()
    spam = world.guild.add_member(world.env.create_user("pills4u", global_name="Pills4u"))
    long = diary()
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    await spam.send(world.general, long, attachments=[("label.png", image)])
    for n in range(4):
        await spam.send(world.general, f"cheap meds {n}: cheap-pills.net/deal{n}")
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    await world.env.settle()
    [group] = group_cards(world)
    [first, *_] = await world.bot.store.card_group_items(int((group.embeds[0].footer.text or "").split()[1][1:]))
    shown = await world.mod.select(group, [str(first.id)])
    assert shown.ephemeral
    assert shown.response is not None
    message = shown.response
    assert message.embeds[0].footer.text == f"Item #{first.id}"
    by_name = {a.filename: a for a in message.attachments}
    assert (await by_name[f"item-{first.id}-full-text.txt"].read()).decode() == long
    assert await by_name["label.png"].read() == image
    await world.mod.click(message, label="Approve")
    await world.env.settle()
    assert [a.filename for m in reposts(world) for a in m.attachments] == ["label.png"]
