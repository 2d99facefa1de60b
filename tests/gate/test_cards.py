"""The moderator card shows everything Approve would publish, and always goes out, whatever the files weigh."""

from __future__ import annotations

import string

import discord
import pytest

from bot.gate.attachments import FILES_BUDGET, MIB, REQUEST_LIMIT
from tests.gate.conftest import World, cards, item_id_of


def reposts(world: World) -> list[discord.Message]:
    """Messages published through a webhook in the general channel."""
    return [m for m in world.general.history() if m.webhook_id is not None]


def group_cards(world: World) -> list[discord.Message]:
    """The grouped cards in the moderator channel."""
    return [m for m in world.modqueue.history() if m.embeds and (m.embeds[0].footer.text or "").startswith("Group #")]


def field(card: discord.Message, name: str) -> str:
    """The value of the card's field with this name ('' when there is none), as it reads (no zero-width spaces)."""
    return next((f.value or "" for f in card.embeds[0].fields if f.name == name), "").replace("\u200b", "")


def assert_discord_takes(message: discord.Message, upload_limit: int = 10 * MIB) -> None:
    """What Discord would refuse with 413 / 40005 (SimCord does not check it).

    discord-api-docs, Reference, "Uploading Files": each file is capped by the server's boost tier (10 MiB
    without boosts); Resources/Message, Create Message, Limitations: a request carries at most 25 MiB.
    """
    sizes = [attachment.size for attachment in message.attachments]
    assert all(size <= upload_limit for size in sizes), sizes
    assert sum(sizes) <= REQUEST_LIMIT, sizes
    assert len(sizes) <= 10


def essay(words: int) -> str:
    """A long message, one numbered word at a time, so any missing part shows."""
    return " ".join(f"vertebra{n}" for n in range(words))


def diary(entries: int = 400) -> str:
    """Under Discord's 2000 characters for a member without Nitro, yet longer than a card quotes.

    Each line costs its "> " on the card: short lines with blank lines between them more than double.
    """
    letters = string.ascii_lowercase
    return "\n\n\n".join(letters[n // 26] + letters[n % 26] for n in range(entries))


async def _spam_group(world: World, text: str, image: bytes) -> tuple[discord.Message, int]:
    """A spammer's five held messages on one grouped card (the first: text and a label.png); the card and its first."""
    world.bot.gate.outbox.pause()
    spam = world.guild.add_member(world.env.create_user("pills4u", global_name="Pills4u"))
    await spam.send(world.general, text, attachments=[("label.png", image)])
    for n in range(4):
        await spam.send(world.general, f"cheap meds {n}: cheap-pills.net/deal{n}")
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    await world.env.settle()
    [group] = group_cards(world)
    [first, *_] = await world.bot.store.items.of_card_group(int((group.embeds[0].footer.text or "").split()[1][1:]))
    return group, first.id


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
    long = diary()
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    group, first_id = await _spam_group(world, long, image)
    shown = await world.mod.select(group, [str(first_id)])
    assert shown.ephemeral
    assert shown.response is not None
    message = shown.response
    assert message.embeds[0].footer.text == f"Item #{first_id}"
    by_name = {a.filename: a for a in message.attachments}
    assert (await by_name[f"item-{first_id}-full-text.txt"].read()).decode() == long
    assert await by_name["label.png"].read() == image
    await world.mod.click(message, label="Approve")
    await world.env.settle()
    assert [a.filename for m in reposts(world) for a in m.attachments] == ["label.png"]


# --- large files (issue #16) ---------------------------------------------------------------


async def test_a_file_over_the_upload_limit_is_listed_not_kept_and_the_card_still_goes(world: World) -> None:
    small = b"L4/5 " * 1000
    huge = bytes(11 * MIB)  # a Nitro member may attach it; the bot may upload 10 MiB here
    await world.newbie.send(world.general, "my MRI", attachments=[("notes.txt", small), ("mri.dcm", huge)])
    [card] = cards(world)
    assert_discord_takes(card)
    assert [a.filename for a in card.attachments] == ["notes.txt"]
    warning = field(card, "⚠️ Will not be reposted")
    assert "mri.dcm" in warning
    assert "not kept: too large (11.0 MiB)" in warning
    stored = await world.bot.store.items.attachments(item_id_of(card))
    assert [(a.filename, a.kept, a.byte_size, len(a.data)) for a in stored] == [
        ("notes.txt", True, len(small), len(small)),
        ("mri.dcm", False, 11 * MIB, 0),  # its name and size, not its bytes
    ]
    await world.mod.click(card, label="Approve")
    [repost] = reposts(world)
    assert_discord_takes(repost)
    assert [a.filename for a in repost.attachments] == ["notes.txt"]


async def test_files_that_together_outweigh_one_request_are_kept_up_to_the_bound(world: World) -> None:
    # Three 9 MiB files: each is legal for anyone, together they are more than one request may carry.
    scans = [(f"scan{n}.png", bytes([n]) * (9 * MIB)) for n in range(3)]
    await world.newbie.send(world.general, "my scans", attachments=scans)
    [card] = cards(world)
    assert_discord_takes(card)
    assert [a.filename for a in card.attachments] == ["scan0.png", "scan1.png"]
    assert "scan2.png — not kept: too large (9.0 MiB)" in field(card, "⚠️ Will not be reposted")
    stored = await world.bot.store.items.attachments(item_id_of(card))
    assert sum(len(a.data) for a in stored) <= FILES_BUDGET
    await world.mod.click(card, label="Approve")
    [repost] = reposts(world)
    assert_discord_takes(repost)
    assert [a.filename for a in repost.attachments] == ["scan0.png", "scan1.png"]
    assert await repost.attachments[1].read() == scans[1][1]


@pytest.mark.parametrize("refusals", [1, 3])
async def test_a_card_whose_files_discord_refuses_goes_out_with_fewer(world: World, refusals: int) -> None:
    # Discord's own answer is the last word on sizes (a server can lose its boosts, say).
    world.env.inject_error(
        "POST",
        f"/channels/{world.modqueue.id}/messages",
        status=413,
        code=40005,
        message="Request entity too large",
        times=refusals,
    )
    files: list[tuple[str, bytes]] = [("big.png", bytes(3 * MIB)), ("small.png", bytes(1000))]
    await world.newbie.send(world.general, diary(), attachments=files)
    [card] = cards(world)
    names = [a.filename for a in card.attachments]
    warning = field(card, "⚠️ Will not be reposted")
    if refusals == 1:
        assert names == [f"item-{item_id_of(card)}-full-text.txt", "small.png"]  # the largest went first
        assert "big.png — not kept: too large (3.0 MiB)" in warning
    else:
        assert names == []  # at worst the card goes with no file at all, and says so
        assert "big.png" in warning
        assert "small.png" in warning
        assert "Discord refused the file with the whole text" in field(card, "✂️ Text cut")
    assert card.components  # a moderator can decide
    await world.mod.click(card, label="Approve")
    assert reposts(world)
    assert [a.filename for m in reposts(world) for a in m.attachments] == (["small.png"] if refusals == 1 else [])


async def test_a_file_kept_before_the_server_lost_boosts_is_named_before_approve(world: World) -> None:
    guild = world.bot.get_guild(world.guild.id)
    assert guild is not None
    world.bot.gate.outbox.pause()
    guild.premium_tier = 2  # as a GUILD_UPDATE leaves it: 50 MiB a file
    await world.newbie.send(world.general, "my scan", attachments=[("scan.png", bytes(12 * MIB))])
    [item] = await world.bot.store.items.open(world.guild.id)
    assert [len(a.data) for a in await world.bot.store.items.attachments(item.id)] == [12 * MIB]  # kept: it fit then
    guild.premium_tier = 0  # the boosts ran out before the card went
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    await world.env.settle()
    [card] = cards(world)
    assert_discord_takes(card)
    assert card.attachments == []
    assert "scan.png (12.0 MiB) — over this server's upload limit of 10.0 MiB now" in field(
        card, "⚠️ Will not be reposted"
    )
    await world.mod.click(card, label="Approve")
    [repost] = reposts(world)
    assert repost.attachments == []


async def test_a_grouped_card_shows_which_lines_are_cut_and_which_items_have_files(world: World) -> None:
    world.bot.gate.outbox.pause()
    spam = world.guild.add_member(world.env.create_user("pills4u", global_name="Pills4u"))
    await spam.send(world.general, essay(40), attachments=[("label.png", b"\x89PNG")])
    for n in range(4):
        await spam.send(world.general, f"cheap meds {n}: cheap-pills.net/deal{n}")
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    await world.env.settle()
    [group] = group_cards(world)
    lines = (group.embeds[0].description or "").splitlines()
    [long] = [line for line in lines if "vertebra0" in line]
    assert long.endswith("… 📎1")  # more to read (open it below) and a file, before "Approve all"
    assert not [line for line in lines if "deal0" in line and ("…" in line or "📎" in line)]


async def test_a_repost_whose_files_discord_refuses_is_published_without_them(world: World) -> None:
    await world.newbie.send(world.general, "my scan", attachments=[("scan.png", bytes(2 * MIB))])
    [card] = cards(world)
    assert [a.filename for a in card.attachments] == ["scan.png"]
    # Discord takes less than the bot was told when the moderator approves (boosts lost, unseen).
    world.env.inject_error("POST", "/webhooks/*", status=413, code=40005, message="Request entity too large")
    await world.mod.click(card, label="Approve")
    await world.bot.gate.outbox.idle()
    await world.env.settle()
    [repost] = reposts(world)
    assert repost.content == "my scan"
    assert repost.attachments == []
    [card] = cards(world)
    assert "scan.png — not kept: too large (2.0 MiB)" in field(card, "⚠️ Will not be reposted")


async def test_an_item_opened_alone_whose_files_discord_refuses_still_shows(world: World) -> None:
    group, first_id = await _spam_group(world, diary(), b"\x89PNG")
    world.env.inject_error("PATCH", "/webhooks/*/messages/@original", status=413, code=40005, message="too large")
    shown = await world.mod.select(group, [str(first_id)])
    assert shown.response is not None
    assert "Discord refused this item's files" in shown.response.content
    assert [a.filename for a in shown.response.attachments] == [f"item-{first_id}-full-text.txt"]
    assert shown.response.components  # the moderator can still decide
