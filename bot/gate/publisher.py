"""Publishing approved messages under the author's name and avatar, through bot-owned webhooks."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import discord

from bot.gate.attachments import FileSize, send_plan
from bot.models import AttachmentData, HeldItem
from bot.text import MESSAGE_LIMIT

log = logging.getLogger(__name__)

WEBHOOK_NAME = "Forum Bridge"
# Reposted text may ping the people it names, never @everyone, @here or a role.
REPOST_MENTIONS = discord.AllowedMentions(everyone=False, roles=False, users=True, replied_user=False)
_SEEN_WEBHOOKS = 4096  # webhooks remembered as ours or not (a server has a few; bounded all the same)
# Where a repost can go: text channels and their threads, forums, and the text chat of voice and stage channels.
RepostChannel = discord.TextChannel | discord.ForumChannel | discord.VoiceChannel | discord.StageChannel
REPOST_CHANNEL_TYPES = (discord.TextChannel, discord.ForumChannel, discord.VoiceChannel, discord.StageChannel)
# The name a repost goes out under when Discord refuses the author's (or it has nothing visible in it).
FALLBACK_NAME = "Forum member"
# Said instead when a message had nothing a webhook can send again (a forwarded message, say).
NOTHING_TO_REPOST = "*(this message had no text, files or poll that could be published again)*"
_RESERVED_WORDS = re.compile(r"discord|clyde", re.IGNORECASE)
_RESERVED_NAMES = frozenset({"everyone", "here"})
# Discord drops zero-width and other non-rendering characters before it checks a name, so hiding a reserved word
# behind one does not work; the name is judged (and sent) without them.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
# Cyrillic look-alikes (о, е, С...): the name reads the same and no longer holds the reserved word.
_LOOKALIKE = str.maketrans({"o": "\u043e", "O": "\u041e", "e": "\u0435", "E": "\u0415"})


def _disguise(word: str) -> str:
    return word.translate(_LOOKALIKE)


def webhook_username(display_name: str) -> str:
    """A display name Discord accepts for a webhook message (1–80 characters, no reserved words)."""
    name = " ".join(_INVISIBLE.sub("", display_name).split())
    name = _RESERVED_WORDS.sub(lambda m: _disguise(m.group(0)), name).replace("```", "\u02cb\u02cb\u02cb")
    if name.lower() in _RESERVED_NAMES:
        name = _disguise(name)
    return name[:80].strip() or FALLBACK_NAME


def username_refused(exc: discord.HTTPException) -> bool:
    """True when Discord refused a webhook message for its username (400, Invalid Form Body on `username`)."""
    return exc.status == 400 and exc.code == 50035 and "username" in (exc.text or "").lower()


def split_content(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Text cut into messages Discord accepts, at line breaks where possible."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut > 0:
            chunks.append(rest[:cut])
            rest = rest[cut:].lstrip("\n")
            continue
        cut = rest.rfind(" ", 0, limit)
        # The space a part is cut at goes with neither part (Discord would trim it, and the part would no longer
        # read as what was sent when it is looked for after a crash).
        chunks.append(rest[:cut] if cut > 0 else rest[:limit])
        rest = rest[cut + 1 :] if cut > 0 else rest[limit:]
    if rest:
        chunks.append(rest)
    return chunks


def repost_text(item: HeldItem) -> str:
    """The published text: the original, with a jump link to the message it answered and a note of its stickers."""
    lines = []
    if item.reply_to_url:
        lines.append(f"↪ {item.reply_to_url}")
    if item.content:
        lines.append(item.content)
    # A webhook cannot send stickers: the repost names them instead.
    lines += [f"*(sticker: {discord.utils.escape_markdown(name)})*" for name in item.sticker_names]
    return "\n".join(lines)


def same_text(sent: str, planned: str) -> bool:
    """True when a message's content is the planned part (Discord trims whitespace at both ends)."""
    return sent.strip() == planned.strip()


def repost_chunks(item: HeldItem, *, has_files: bool) -> list[str]:
    """The content of each message the repost is made of, in order (files and poll go with the last)."""
    text = repost_text(item)
    if not text and not has_files and item.poll is None:
        text = NOTHING_TO_REPOST  # Discord refuses a message with nothing in it
    return split_content(text)


def repost_poll(item: HeldItem) -> discord.Poll | None:
    """The item's poll, created afresh (votes start again)."""
    if item.poll is None:
        return None
    poll = discord.Poll(item.poll.question, timedelta(hours=item.poll.hours), multiple=item.poll.multiple)
    for text, emoji in item.poll.answers:
        poll.add_answer(text=text, emoji=emoji)
    return poll


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
        # Webhooks seen in messages: id -> (ours, the webhook's own name). Kept across cache drops, so
        # each webhook costs one request per run, however many messages it posts.
        self._seen_webhooks: OrderedDict[int, tuple[bool, str | None]] = OrderedDict()

    def owns(self, webhook_id: int | None) -> bool:
        """True for a message posted through one of our webhooks (as far as the cache knows)."""
        return webhook_id is not None and any(hook.id == webhook_id for hook in self._webhooks.values())

    def webhook_name(self, webhook_id: int | None) -> str | None:
        """The own name of a webhook seen by is_ours (its messages may show other names)."""
        seen = self._seen_webhooks.get(webhook_id) if webhook_id is not None else None
        return seen[1] if seen is not None else None

    async def is_ours(self, message: discord.Message) -> bool:
        """True for a message posted through a webhook the bot made (after a restart too); False for any other.

        The cache of our webhooks is empty after a restart, so an unknown webhook is asked about once
        (GET /webhooks/{id} names the user who created it: discord-api-docs Resources/Webhook, Webhook
        Object, "user"). A message of an application-owned webhook carries its application's id
        (Resources/Message, Message Object, "application_id"): ours when it is our application's.
        """
        webhook_id = message.webhook_id
        if webhook_id is None:
            return False
        if self.owns(webhook_id):
            return True
        seen = self._seen_webhooks.get(webhook_id)
        if seen is not None:
            self._seen_webhooks.move_to_end(webhook_id)
            return seen[0]
        application_id = self._client.application_id
        if application_id is not None and message.application_id == application_id:
            return True
        me = self._client.user
        try:
            hook = await self._client.fetch_webhook(webhook_id)
        except discord.NotFound:
            # Deleted already (post, then delete the webhook, is no way around screening): not ours.
            ours, name = False, None
        except discord.HTTPException as exc:
            # Not known, and not cached: the next message asks again. Screened meanwhile, so no webhook
            # passes unread; our own reposts are known from the cache while we can publish at all.
            log.warning("could not look up webhook %s in channel %s (%s)", webhook_id, message.channel.id, exc.status)
            return False
        else:
            ours = me is not None and hook.user is not None and hook.user.id == me.id
            name = hook.name
        self._seen_webhooks[webhook_id] = (ours, name)
        if len(self._seen_webhooks) > _SEEN_WEBHOOKS:
            self._seen_webhooks.popitem(last=False)
        return ours

    async def webhook_for(self, channel: RepostChannel) -> discord.Webhook:
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
        channel: RepostChannel,
        attachments: list[AttachmentData],
        *,
        avatar_url: str | None = None,
        sent: Sequence[tuple[int, int]] = (),
        record: Callable[[int, discord.WebhookMessage], Awaitable[None]] | None = None,
    ) -> tuple[int, int]:
        """Post the item as its author, from the first part not yet `sent`; returns the first part's (channel, id).

        `record` is awaited with each part as soon as Discord confirms it, so a crash resumes after it.
        """
        done = list(sent)

        async def confirmed(position: int, message: discord.WebhookMessage) -> None:
            done.append((message.channel.id, message.id))
            if record is not None:
                await record(position, message)

        try:
            await self._send(item, channel, attachments, avatar_url, done, confirmed)
        except discord.NotFound:
            # Someone deleted our webhook: make a new one and go on from where it stopped.
            self.forget(channel.id)
            await self._send(item, channel, attachments, avatar_url, done, confirmed)
        return done[0]

    async def _send(
        self,
        item: HeldItem,
        channel: RepostChannel,
        attachments: list[AttachmentData],
        avatar_url: str | None,
        done: list[tuple[int, int]],
        confirmed: Callable[[int, discord.WebhookMessage], Awaitable[None]],
    ) -> None:
        hook = await self.webhook_for(channel)
        chunks = repost_chunks(item, has_files=bool(attachments))
        username = webhook_username(item.author_name)
        thread: discord.abc.Snowflake = discord.utils.MISSING
        if item.thread_id and not item.is_forum_post:
            thread = discord.Object(item.thread_id)
        elif item.is_forum_post and done:
            thread = discord.Object(done[0][0])  # the rest of a long post goes into the thread its first part made
        for index in range(len(done), len(chunks)):
            last = index == len(chunks) - 1
            opening = item.is_forum_post and index == 0
            while True:
                kwargs: dict[str, Any] = {}
                if last:
                    files = repost_files(attachments, channel.guild.filesize_limit)
                    if files:
                        kwargs["files"] = files
                    poll = repost_poll(item)
                    if poll is not None:
                        kwargs["poll"] = poll
                if opening:
                    kwargs["thread_name"] = item.thread_name or "Post"
                    tags = _forum_tags(channel, item.applied_tags)
                    if tags:
                        kwargs["applied_tags"] = tags  # a forum may require one; a post keeps its own anyway
                try:
                    sent = await hook.send(
                        content=chunks[index],
                        username=username,
                        avatar_url=avatar_url or item.author_avatar_url or discord.utils.MISSING,
                        allowed_mentions=REPOST_MENTIONS,
                        thread=thread,
                        wait=True,
                        **kwargs,
                    )
                    break
                except discord.HTTPException as exc:
                    if username == FALLBACK_NAME or not username_refused(exc):
                        raise
                    # Discord's list of refused names is longer than it documents: publish anyway, under ours.
                    log.warning(
                        "item %s: Discord refused the author's name as a webhook name; using %r", item.id, FALLBACK_NAME
                    )
                    username = FALLBACK_NAME
            await confirmed(index, sent)
            if opening:
                thread = discord.Object(sent.channel.id)


def _forum_tags(channel: RepostChannel, tag_ids: Sequence[int]) -> list[discord.ForumTag]:
    """The post's tags that the forum still has."""
    if not isinstance(channel, discord.ForumChannel):
        return []
    return [tag for tag in (channel.get_tag(tag_id) for tag_id in tag_ids) if tag is not None]
