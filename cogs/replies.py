"""The Discord side shared by the cogs: private replies, the interaction's guild, and who a member is."""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import discord

from bot.admin.service import AdminError, Person
from bot.auth import is_moderator
from bot.text import fit

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
    text: str | None = None,
    *,
    filename: str = "reply.txt",
    file: discord.File | None = None,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = True,
    best_effort: bool = False,
) -> None:
    """A reply (private by default) that never pings; text too long for one message comes whole as a file.

    The interaction's first answer if it has none yet, a follow-up after a defer. With `best_effort`, a reply
    Discord refuses is logged instead of raised (a long command can outlive its interaction's 15-minute token).
    """
    attached = file
    shown: str | None = None
    if text is not None:
        shown, cut = fit(text)
        if cut:
            attached = discord.File(io.BytesIO(text.encode("utf-8")), filename=filename)
    kwargs: dict[str, Any] = {"ephemeral": ephemeral, "allowed_mentions": NO_MENTIONS}
    if attached is not None:
        kwargs["file"] = attached
    if embed is not None:
        kwargs["embed"] = embed
    if view is not None:
        kwargs["view"] = view
    if shown is not None:
        kwargs["content"] = shown
    try:
        if interaction.response.is_done():
            await interaction.followup.send(**kwargs)
        else:
            await interaction.response.send_message(**kwargs)
    except discord.HTTPException as exc:
        if not best_effort:
            raise
        log.warning(
            "guild=%s: the reply to /%s could not be sent (%s, code %s); it said:\n%s",
            interaction.guild_id,
            interaction.command.qualified_name if interaction.command else "?",
            exc.status,
            exc.code,
            text,
        )


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
    """The interaction's guild (every command group is guild-only)."""
    guild = interaction.guild
    assert guild is not None  # guild_only, and the checks refuse DMs first
    return guild


def guild_id_of(interaction: discord.Interaction[ForumBridge]) -> int:
    """The interaction's guild id (every command group is guild-only), without needing the guild cached."""
    assert interaction.guild_id is not None  # guild_only, and the checks refuse DMs first
    return interaction.guild_id
