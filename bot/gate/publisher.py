"""Publishing approved messages under the author's name and avatar, through bot-owned webhooks."""

from __future__ import annotations

import asyncio
import io
import logging
import re

import discord

from bot.gate.attachments import FileSize, send_plan
from bot.models import AttachmentData, HeldItem

log = logging.getLogger(__name__)

WEBHOOK_NAME = "Forum Bridge"
MESSAGE_LIMIT = 2000
# Reposted text may ping the people it names, never @everyone, @here or a role.
REPOST_MENTIONS = discord.AllowedMentions(everyone=False, roles=False, users=True, replied_user=False)
_FORBIDDEN_IN_NAMES = re.compile(r"discord|clyde|```", re.IGNORECASE)


def webhook_username(display_name: str) -> str:
    """A display name Discord accepts for a webhook message (1–80 characters, no reserved words)."""
    # Discord refuses webhook names containing "discord" or "clyde"; a zero-width space
    # inside the word keeps the name readable and accepted.
    name = _FORBIDDEN_IN_NAMES.sub(lambda m: m.group(0)[0] + "\u200b" + m.group(0)[1:], display_name).strip()
    return (name or "Member")[:80]


def split_content(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Text cut into messages Discord accepts, at line breaks where possible."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest:
        chunks.append(rest)
    return chunks


def repost_text(item: HeldItem) -> str:
    """The published text: the original, with a jump link to the message it answered."""
    if item.reply_to_url:
        return f"↪ {item.reply_to_url}\n{item.content}"
    return item.content


def repost_files(attachments: list[AttachmentData], upload_limit: int) -> list[discord.File]:
    """The held files one webhook message can carry under the server's upload limit; the card names the rest."""
    plan = send_plan([FileSize(a.byte_size, a.kept) for a in attachments], upload_limit)
    return [
        discord.File(io.BytesIO(a.data), filename=a.filename, spoiler=a.spoiler, description=a.description)
        for a, goes in zip(attachments, plan, strict=True)
        if goes
    ]


class Publisher:
    """Finds or creates one webhook per channel and posts through it."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._webhooks: dict[int, discord.Webhook] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def owns(self, webhook_id: int | None) -> bool:
        """True for a message posted through one of our webhooks."""
        return webhook_id is not None and any(hook.id == webhook_id for hook in self._webhooks.values())

    async def webhook_for(self, channel: discord.TextChannel | discord.ForumChannel) -> discord.Webhook:
        """The bot's webhook in this channel, created on first use."""
        cached = self._webhooks.get(channel.id)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(channel.id, asyncio.Lock())
        async with lock:
            cached = self._webhooks.get(channel.id)
            if cached is not None:
                return cached
            me = self._client.user
            for hook in await channel.webhooks():
                if hook.token and me is not None and hook.user is not None and hook.user.id == me.id:
                    self._webhooks[channel.id] = hook
                    return hook
            hook = await channel.create_webhook(name=WEBHOOK_NAME, reason="Forum Bridge reposts approved messages")
            log.info("created webhook %s in channel %s (guild %s)", hook.id, channel.id, channel.guild.id)
            self._webhooks[channel.id] = hook
            return hook

    def forget(self, channel_id: int) -> None:
        """Drop a cached webhook (it was deleted on Discord's side)."""
        self._webhooks.pop(channel_id, None)

    async def publish(
        self,
        item: HeldItem,
        channel: discord.TextChannel | discord.ForumChannel,
        attachments: list[AttachmentData],
    ) -> discord.WebhookMessage:
        """Post the item as its author; returns the first message published."""
        try:
            return await self._send(item, channel, attachments)
        except discord.NotFound:
            # Someone deleted our webhook: make a new one and try once more.
            self.forget(channel.id)
            return await self._send(item, channel, attachments)

    async def _send(
        self, item: HeldItem, channel: discord.TextChannel | discord.ForumChannel, attachments: list[AttachmentData]
    ) -> discord.WebhookMessage:
        hook = await self.webhook_for(channel)
        chunks = split_content(repost_text(item))
        username = webhook_username(item.author_name)
        first: discord.WebhookMessage | None = None
        thread: discord.abc.Snowflake = discord.utils.MISSING
        if item.thread_id and not item.is_forum_post:
            thread = discord.Object(item.thread_id)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            files = repost_files(attachments, channel.guild.filesize_limit) if last else []
            thread_name = item.thread_name if item.is_forum_post and first is None and item.thread_name else None
            sent = await hook.send(
                content=chunk,
                username=username,
                avatar_url=item.author_avatar_url or discord.utils.MISSING,
                allowed_mentions=REPOST_MENTIONS,
                files=files or discord.utils.MISSING,
                thread=thread,
                thread_name=thread_name or discord.utils.MISSING,
                wait=True,
            )
            if first is None:
                first = sent
                if item.is_forum_post:
                    # The rest of a long post goes into the thread the first part created.
                    thread = discord.Object(sent.channel.id)
        assert first is not None
        return first
