"""bot/auth.py: one answer to "who is a moderator?" on every surface (slash check, card button, reaction, paging).

The shared server's admin also has Manage Messages, so it cannot tell whether Manage Server alone is enough: these
tests add an admin with only Manage Server, rely on the moderator role that has no permission at all, and store a
managed role (Server Booster) as the moderator role, which must make no one a moderator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord
import pytest
from simcord.backend.models.channel import Overwrite
from simcord.enums import OverwriteType

from bot.client import ForumBridge
from bot.models import ItemState
from tests.community import Server, build_server

SEE_AND_REACT = discord.Permissions(
    view_channel=True, send_messages=True, read_message_history=True, add_reactions=True
).value


@dataclass
class Place:
    """The shared server, plus an admin with only Manage Server and a booster whose managed role is stored."""

    server: Server
    owner: Any
    booster: Any
    booster_role: Any


@pytest.fixture
async def place(simcord_env: Any, simcord_bot: ForumBridge) -> Place:
    """The queue's server with /queue shown to everyone, so only the server-side check decides."""
    server = await build_server(simcord_env, simcord_bot, general_name="general", open_groups=("queue",))
    guild = server.guild
    owners = guild.create_role("Owners", permissions=discord.Permissions(manage_guild=True))
    owner = guild.add_member(simcord_env.create_user("olga_owner", global_name="Olga"), roles=[owners])
    boosters = guild.create_role("Server Booster", managed=True)
    booster = guild.add_member(simcord_env.create_user("bea_boost", global_name="Bea"), roles=[boosters])
    for handle in (owners, boosters):
        simcord_env.backend.set_overwrite(
            server.modqueue.id, Overwrite(handle.id, OverwriteType.ROLE, allow=SEE_AND_REACT)
        )
    server.open_to_everyone("queue")
    await simcord_env.settle()
    return Place(server, owner, booster, boosters)


async def hold(server: Server, count: int) -> list[discord.Message]:
    """Hold the new member's posts; their cards, oldest first."""
    for number in range(count):
        await server.newbie.send(server.general, f"hello everyone, post {number}")
    return server.cards()


def listing_of(server: Server, message_id: int) -> discord.Message:
    return next(m for m in server.modqueue.history() if m.id == message_id)


async def state_of(server: Server, card: discord.Message) -> ItemState:
    item = await server.bot.store.items.by_card(card.id)
    assert item is not None
    return item.state


@pytest.mark.parametrize("who", ["owner", "role"])
async def test_an_admin_with_only_manage_server_and_a_role_without_manage_messages_moderate_everywhere(
    place: Place, who: str
) -> None:
    server = place.server
    member = place.owner if who == "owner" else server.mod
    first, second, *_ = await hold(server, 12)

    result = await member.slash(server.modqueue, "queue list")  # the slash-command check
    assert server.env.errors == []
    assert result.response is not None
    assert result.response.embeds[0].title == "Review queue: 12 waiting"

    paged = await member.click(listing_of(server, result.response.id), label="Next ▶")  # the paging button
    assert paged.response is None or paged.response.content != "Only moderators can page through the review queue."
    assert (listing_of(server, result.response.id).embeds[0].footer.text or "").startswith("Page 2 of 2")

    clicked = await member.click(first, label="Approve")  # the card button
    assert clicked.response is None or clicked.response.content != "Only moderators can decide on held messages."
    await server.bot.gate.outbox.idle()
    assert await state_of(server, first) is ItemState.APPROVED

    await member.react(second, "❌")  # the reaction
    await server.bot.gate.outbox.idle()
    assert await state_of(server, second) is ItemState.REJECTED
    assert server.env.errors == []


async def test_a_managed_role_stored_as_the_moderator_role_makes_no_one_a_moderator(place: Place) -> None:
    server = place.server
    # Stored before /setup refused managed roles (or by FORUM_BRIDGE_MOD_ROLE_ID).
    await server.bot.community.set_moderation(
        server.guild.id, channel_id=server.modqueue.id, role_id=place.booster_role.id
    )
    card, *_ = await hold(server, 11)

    result = await place.booster.slash(server.modqueue, "queue list")
    assert result.ephemeral
    assert result.response is not None
    assert result.response.content == "Only moderators (the moderator role or Manage Messages) can use this command."
    server.env.errors.clear()

    listing = await server.admin.slash(server.modqueue, "queue list")
    assert listing.response is not None
    refused = await place.booster.click(listing_of(server, listing.response.id), label="Next ▶")
    assert refused.response is not None
    assert refused.response.content == "Only moderators can page through the review queue."

    refused = await place.booster.click(card, label="Approve")
    assert refused.response is not None
    assert refused.response.content == "Only moderators can decide on held messages."
    await place.booster.react(card, "✅")
    await server.bot.gate.outbox.idle()
    assert await state_of(server, card) is ItemState.PENDING
