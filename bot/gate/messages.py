"""What the gate's DMs say, who they go to, and who wrote a held item (shared by sending and recovery)."""

from __future__ import annotations

import io
from typing import Any

import discord

from bot.community import Community
from bot.gate import words
from bot.models import HeldItem, ItemState

PUBLISHED = (ItemState.APPROVED, ItemState.RESTORED)


async def author_info(
    client: discord.Client, community: Community, item: HeldItem
) -> tuple[discord.Member | discord.User | None, Any]:
    """The item's author as Discord knows them (None when gone), and their community record."""
    guild = client.get_guild(item.guild_id)
    author: discord.Member | discord.User | None = guild.get_member(item.author_id) if guild else None
    if author is None:
        author = client.get_user(item.author_id)
    record = await community.member(item.guild_id, item.author_id)
    return author, record


def text_channel(client: discord.Client, channel_id: int) -> discord.TextChannel | None:
    """The text channel with this id, if the bot has it (a moderator channel, say)."""
    channel = client.get_channel(channel_id)
    return channel if isinstance(channel, discord.TextChannel) else None


async def user_of(client: discord.Client, user_id: int, guild_id: int) -> discord.Member | discord.User:
    """The member (or, once they left, the user) to DM."""
    guild = client.get_guild(guild_id)
    member = guild.get_member(user_id) if guild else None
    if member is not None:
        return member
    user = client.get_user(user_id)
    return user if user is not None else await client.fetch_user(user_id)


def hold_dm_text(items: list[HeldItem]) -> str:
    """The DM telling an author their message (or messages) are held."""
    return words.held_notice(items[0]) if len(items) == 1 else words.held_notice_many(items)


def jump_url(item: HeldItem) -> str | None:
    """A link to the published message."""
    if item.repost_message_id is None or item.repost_channel_id is None:
        return None
    return f"https://discord.com/channels/{item.guild_id}/{item.repost_channel_id}/{item.repost_message_id}"


def decision_dm_text(items: list[HeldItem]) -> str:
    """The DM telling an author the outcome for one or several of their messages."""
    if items[0].state in PUBLISHED:
        if len(items) == 1:
            return words.approved_notice(items[0], jump_url(items[0]))
        return words.approved_notice_many(items, [jump_url(item) for item in items])
    text = _rejected_text(items, attached=False)
    # The README promises the author their text back: a quote cut to fit the DM comes with the whole text as a file.
    return text if words.quoted_whole(text, items) else _rejected_text(items, attached=True)


def _rejected_text(items: list[HeldItem], *, attached: bool) -> str:
    if len(items) == 1:
        return words.rejected_notice(items[0], attached=attached)
    return words.rejected_notice_many(items, attached=attached)


def decision_dm_file(items: list[HeldItem], text: str) -> discord.File | None:
    """The whole texts as a .txt, when the decision DM had to cut their quotes."""
    if items[0].state in PUBLISHED or words.quoted_whole(text, items):
        return None
    data = words.full_texts(items).encode("utf-8")
    return discord.File(io.BytesIO(data), filename=words.FULL_TEXT_FILENAME)
