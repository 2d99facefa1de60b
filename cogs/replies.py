"""The Discord side shared by the cogs: private replies, the interaction's guild, and who a member is."""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import discord

from bot.admin.service import AdminError, Person
from bot.gate.facts import is_moderator
from bot.mirror.words import fit

if TYPE_CHECKING:
    from bot.client import ForumBridge

log = logging.getLogger(__name__)

# Replies quote what people typed (a URL, a text to test): they never ping anyone.
NO_MENTIONS = discord.AllowedMentions.none()


async def answer(interaction: discord.Interaction[ForumBridge], work: Awaitable[str], *, filename: str) -> None:
    """Run a command's work and reply privately with its text, or with why it was refused."""
    if not interaction.response.is_done():
        # Answer Discord within its 3 seconds before the work reads the store, however busy it is.
        await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        text = await work
    except AdminError as exc:
        text = str(exc)
    await reply(interaction, text, filename=filename)


async def reply(
    interaction: discord.Interaction[ForumBridge],
    text: str,
    *,
    filename: str = "reply.txt",
    file: discord.File | None = None,
) -> None:
    """A private reply; text too long for one message comes whole as an attached file."""
    shown, cut = fit(text)
    attached = file
    if cut:
        attached = discord.File(io.BytesIO(text.encode("utf-8")), filename=filename)
    kwargs: dict[str, Any] = {"ephemeral": True, "allowed_mentions": NO_MENTIONS}
    if attached is not None:
        kwargs["file"] = attached
    if interaction.response.is_done():
        await interaction.followup.send(shown, **kwargs)
    else:
        await interaction.response.send_message(shown, **kwargs)


async def person(interaction: discord.Interaction[ForumBridge], member: discord.Member | discord.User) -> Person:
    """The plain facts the service needs about a member (a User: someone no longer in the server)."""
    settings = await interaction.client.community.settings(guild_of(interaction).id)
    return Person(
        member.id,
        member.mention,
        is_bot=member.bot,
        is_moderator=is_moderator(member, settings),
        in_guild=isinstance(member, discord.Member),
    )


def guild_of(interaction: discord.Interaction[ForumBridge]) -> discord.Guild:
    """The interaction's guild (every admin group is guild-only)."""
    guild = interaction.guild
    assert guild is not None  # guild_only, and the checks refuse DMs first
    return guild
