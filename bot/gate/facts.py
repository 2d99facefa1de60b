"""Turning Discord objects into the engine's plain facts."""

from __future__ import annotations

import logging

import discord

from bot.gate.attachments import keep_plan
from bot.models import AttachmentData, HeldPoll, MemberRecord, NewHeldItem, StoredLink
from bot.preapprovals import covered_domains, covers_any_domain
from bot.rules import AuthorFacts, MessageFacts, Verdict

log = logging.getLogger(__name__)

# Ordinary messages and replies are screened; joins, pins, boosts and other system
# messages carry no member text.
SCREENED_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


def forum_post_thread(message: discord.Message) -> discord.Thread | None:
    """The forum thread a message starts (its id is the thread's id), if it starts one."""
    channel = message.channel
    if isinstance(channel, discord.Thread) and message.id == channel.id:
        parent = channel.parent
        if isinstance(parent, discord.ForumChannel):
            return channel
    return None


FORWARD_MARK = "↱ *Forwarded*"


def is_forward(message: discord.Message) -> bool:
    """True for a forwarded message (its reference points at the source; it is not a reply)."""
    reference = message.reference
    return reference is not None and reference.type is discord.MessageReferenceType.forward


def _attachments(message: discord.Message) -> list[discord.Attachment]:
    # A forward's own attachments are empty: what it carries is in its snapshot.
    snapshots = message.message_snapshots
    if not snapshots:
        return message.attachments
    return [*message.attachments, *(a for snapshot in snapshots for a in snapshot.attachments)]


def published_content(message: discord.Message) -> str:
    """The text to keep and publish: the content, and what a forward carries, quoted and marked as forwarded."""
    snapshots = message.message_snapshots
    if not snapshots:
        return message.content
    parts = [message.content] if message.content else []
    for snapshot in snapshots:
        quoted = "\n".join(f"> {line}" for line in snapshot.content.split("\n")) if snapshot.content else ""
        parts.append(f"{FORWARD_MARK}\n{quoted}" if quoted else FORWARD_MARK)
    return "\n".join(parts)


def message_facts(message: discord.Message, *, starter_of: discord.Thread | None = None) -> MessageFacts:
    """The text the engine reads: content, a new thread's title, attachment names, embed links.

    A forward's text, attachments and embeds are in its snapshots (its own content is empty):
    they are read like the message's own.
    """
    text = message.content
    embeds = message.embeds
    snapshots = message.message_snapshots
    if not (snapshots or embeds or message.attachments or starter_of is not None):
        # Plain chat, nearly every message: nothing else to read (this runs for every screened message).
        return MessageFacts(text, (), (), message.guild.id if message.guild else None)
    if snapshots:
        text = "\n".join([text, *(snapshot.content for snapshot in snapshots)])
        embeds = [*embeds, *(embed for snapshot in snapshots for embed in snapshot.embeds)]
    if starter_of is not None and starter_of.name:
        # A post's title is published with it and can carry a link too.
        text = f"{starter_of.name}\n{text}"
    return MessageFacts(
        text=text,
        attachment_names=tuple(attachment.filename for attachment in _attachments(message)),
        embed_urls=tuple(embed.url for embed in embeds if embed.url),
        guild_id=message.guild.id if message.guild else None,
    )


def author_facts(author: discord.Member | discord.User, record: MemberRecord, moderator: bool) -> AuthorFacts:
    """What the engine knows of the author."""
    return author_facts_of(author.id, record, moderator)


def webhook_author_facts(message: discord.Message) -> AuthorFacts:
    """What the engine knows of a webhook that posted a message: no member, not new (nor trusted with links)."""
    # "trusted" only exempts from the new-member rule: links, invites and addresses are judged as anyone's.
    return AuthorFacts(user_id=message.author.id, trusted=True)


def author_facts_of(user_id: int, record: MemberRecord, moderator: bool) -> AuthorFacts:
    """What the engine knows of a member, from their record (no Discord object needed)."""
    return AuthorFacts(
        user_id=user_id,
        is_moderator=moderator,
        approved_posts=record.approved_posts,
        trusted=record.trusted,
        links_preapproved=covers_any_domain(record),
        preapproved_domains=covered_domains(record),
    )


async def read_attachments(message: discord.Message) -> tuple[AttachmentData, ...]:
    """The attachments' bytes, read before the original is removed, as far as the bot keeps them."""
    # What Discord lets the bot upload again bounds what it downloads and stores: each file up to the server's
    # upload limit, all of them together up to FILES_BUDGET. Of a larger file only its name and size are kept.
    limit = message.guild.filesize_limit if message.guild is not None else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES
    files = _attachments(message)
    plan = keep_plan([attachment.size for attachment in files], limit)
    stored = []
    for attachment, keep in zip(files, plan, strict=True):
        if not keep:
            log.info(
                "message=%s: not keeping attachment %s (%d bytes; upload limit %d)",
                message.id,
                attachment.id,
                attachment.size,
                limit,
            )
        stored.append(
            AttachmentData(
                filename=attachment.filename,
                content_type=attachment.content_type,
                data=await attachment.read() if keep else b"",
                spoiler=attachment.is_spoiler(),
                description=attachment.description,
                size=None if keep else attachment.size,
            )
        )
    return tuple(stored)


def held_item(
    message: discord.Message,
    verdict: Verdict,
    attachments: tuple[AttachmentData, ...],
    *,
    starter_of: discord.Thread | None,
    edited: bool,
    webhook_name: str | None = None,
) -> NewHeldItem:
    """The record to store for a held message."""
    assert message.guild is not None
    channel = message.channel
    thread_id = channel.id if isinstance(channel, discord.Thread) else None
    parent_id = channel.parent_id if isinstance(channel, discord.Thread) else channel.id
    reply_url = None
    reference = message.reference
    if (
        reference is not None
        and not is_forward(message)  # a forward points at its source, perhaps in another server: not a reply
        and reference.message_id is not None
        and reference.channel_id is not None
    ):
        reply_url = f"https://discord.com/channels/{message.guild.id}/{reference.channel_id}/{reference.message_id}"
    author = message.author
    return NewHeldItem(
        guild_id=message.guild.id,
        channel_id=parent_id or channel.id,
        message_id=message.id,
        author_id=author.id,
        author_name=author.display_name,
        author_avatar_url=author.display_avatar.url,
        content=published_content(message),
        action=verdict.action,
        reasons=verdict.reasons,
        links=tuple(StoredLink.from_link(link) for link in verdict.links),
        created_at=message.created_at,
        thread_id=thread_id,
        thread_name=starter_of.name if starter_of is not None else None,
        is_forum_post=starter_of is not None,
        reply_to_url=reply_url,
        edited=edited,
        attachments=attachments,
        webhook_id=message.webhook_id,
        webhook_name=webhook_name,
        applied_tags=tuple(tag.id for tag in starter_of.applied_tags) if starter_of is not None else (),
        sticker_names=tuple(sticker.name for sticker in message.stickers),
        poll=held_poll(message.poll),
    )


def held_poll(poll: discord.Poll | None) -> HeldPoll | None:
    """What it takes to create a message's poll again."""
    if poll is None:
        return None
    answers = tuple((answer.text, str(answer.emoji) if answer.emoji else None) for answer in poll.answers)
    hours = max(1, round(poll.duration.total_seconds() / 3600)) if poll.duration else 24
    return HeldPoll(poll.question or "", answers, poll.multiple, hours)
