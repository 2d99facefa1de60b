"""The moderator card: an embed that shows a held message safely, and its buttons."""

from __future__ import annotations

import io
from datetime import datetime

import discord

from bot.gate.attachments import FILES_BUDGET, FILES_PER_MESSAGE, FileSize, mib, send_plan
from bot.gate.buttons import (
    ApproveButton,
    ApproveDomainButton,
    ApproveTrustButton,
    GroupApproveButton,
    GroupPickSelect,
    GroupRejectButton,
    GroupTimeoutButton,
    RejectButton,
    RestoreButton,
)
from bot.gate.words import (
    group_summary,
    inert,
    outcome_line,
    publish_problem,
    quote,
    reason_lines,
    top_domains,
    webhook_author_line,
)
from bot.models import AttachmentData, CardGroup, HeldItem, ItemState, MemberRecord
from bot.rules import Action
from bot.text import EMBED_FIELD_VALUE_LIMIT, EMBED_FOOTER_LIMIT, EMBED_TOTAL_LIMIT, clip

_COLOURS = {
    ItemState.PENDING: discord.Colour.gold(),
    ItemState.BLOCKED: discord.Colour.red(),
    ItemState.APPROVED: discord.Colour.green(),
    ItemState.RESTORED: discord.Colour.green(),
    ItemState.REJECTED: discord.Colour.dark_grey(),
}
_FIELD_LIMIT = EMBED_FIELD_VALUE_LIMIT
_DESCRIPTION_LIMIT = 3500
# A grouped card's footer lists its items' ids: cut so the marker and group id before them still fit.
_FOOTER_ITEMS = EMBED_FOOTER_LIMIT - 148
_EMBED_LIMIT = EMBED_TOTAL_LIMIT
DEFAULT_UPLOAD_LIMIT = discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES  # a server without boosts


def _stamp(moment: datetime | None) -> str:
    return f"<t:{int(moment.timestamp())}:R>" if moment else "unknown"


def card_embed(
    item: HeldItem,
    *,
    author: discord.Member | discord.User | None,
    record: MemberRecord | None,
    upload_limit: int = DEFAULT_UPLOAD_LIMIT,
    text_file: bool = True,
    publish_error: str | None = None,
) -> discord.Embed:
    """The card's embed for an item in any state (`upload_limit`: the server's, for which files can go;
    `publish_error`: what a failed repost recorded, for an approved item not published yet)."""
    embed = _card_embed(item, author, record, upload_limit, text_file, reserve=False, publish_error=publish_error)
    if text_is_cut(item, embed):
        # The whole text goes with the card as a file, which takes one of the message's file slots.
        embed = _card_embed(item, author, record, upload_limit, text_file, reserve=True, publish_error=publish_error)
    return embed


def _card_embed(
    item: HeldItem,
    author: discord.Member | discord.User | None,
    record: MemberRecord | None,
    upload_limit: int,
    text_file: bool,
    *,
    reserve: bool,
    publish_error: str | None = None,
) -> discord.Embed:
    if item.action is Action.BLOCK:
        title = "Removed: link to a medical site"
    elif item.edited:
        title = "Held: an edited message"
    elif item.is_forum_post:
        title = "Held: a new forum post"
    else:
        title = "Held for review"
    embed = discord.Embed(title=title, colour=_COLOURS[item.state], timestamp=item.created_at)
    shown = item.author_name if item.webhook_id is None else f"{item.author_name} (webhook)"
    embed.set_author(name=shown[:256], icon_url=item.author_avatar_url)
    text = _card_text(item)
    embed.description = quote(text, _DESCRIPTION_LIMIT)
    if item.webhook_id is not None:
        # Not a member: the name it showed is the webhook's to choose (it may pose as someone), and it has
        # no account, no membership and no record here, nor DMs to receive.
        about = [webhook_author_line(item.webhook_name, item.webhook_id, item.author_name)]
    else:
        about = [f"<@{item.author_id}> (`{item.author_id}`)"]
        if author is not None:
            about.append(f"Account created {_stamp(author.created_at)}")
            joined = getattr(author, "joined_at", None)
            about.append(f"Member since {_stamp(joined)}" if joined else "No longer in the server")
        if record is not None:
            about.append(f"Approved posts: {record.approved_posts} · held: {record.held_posts}")
    embed.add_field(name="Author", value="\n".join(about)[:_FIELD_LIMIT], inline=True)
    where = f"<#{item.thread_id}>" if item.thread_id and not item.is_forum_post else f"<#{item.channel_id}>"
    if item.reply_to_url:
        where += f"\nReply to {item.reply_to_url}"
    embed.add_field(name="Channel", value=where[:_FIELD_LIMIT], inline=True)
    embed.add_field(
        name="Why",
        value=clip("\n".join("• " + line for line in reason_lines(item.reasons, item.links)) or "—", _FIELD_LIMIT),
        inline=False,
    )
    if reserve:
        words = len(full_text(item).split())
        embed.add_field(
            name="✂️ Text cut",
            value=f"The card shows part of it: the whole text ({words} words) is attached as `{text_filename(item)}`."
            if text_file
            else "The card shows part of it, and Discord refused the file with the whole text.",
            inline=False,
        )
    _attachment_fields(embed, item, upload_limit, card_slots=FILES_PER_MESSAGE - int(reserve and text_file))
    if item.removal_error:
        embed.add_field(
            name="⚠️ Original not removed",
            value=f"I could not remove the original message: {item.removal_error}. "
            "Check my permissions (Manage Messages) in that channel.",
            inline=False,
        )
    if not item.is_open:
        embed.add_field(name="Decision", value=outcome_line(item)[:_FIELD_LIMIT], inline=False)
    if item.state in (ItemState.APPROVED, ItemState.RESTORED) and item.repost_message_id is None:
        embed.add_field(
            name="⚠️ Not published yet",
            value=publish_problem(publish_error),
            inline=False,
        )
    embed.set_footer(text=f"Item #{item.id}")
    overflow = len(embed) - _EMBED_LIMIT
    if overflow > 0:
        # Discord refuses an embed over 6000 characters in all: the quoted text gives way.
        embed.description = quote(text, max(_DESCRIPTION_LIMIT - overflow, 100))
    return embed


def _card_text(item: HeldItem) -> str:
    lines = [f"**{inert(item.thread_name)}**"] if item.thread_name else []
    if item.content:
        lines.append(inert(item.content))
    # What the message carried besides text, as the repost will show it: a sticker by name, a poll in full.
    lines += [f"*(sticker: {inert(name)})*" for name in item.sticker_names]
    if item.poll is not None:
        answers = " / ".join(inert(f"{emoji} {text}" if emoji else text) for text, emoji in item.poll.answers)
        lines.append(f"📊 Poll: {inert(item.poll.question)} — {answers}")
    return "\n".join(lines)


def text_is_cut(item: HeldItem, embed: discord.Embed) -> bool:
    """True when the card's quote leaves part of the text out."""
    text = _card_text(item)
    return embed.description != quote(text, 3 * len(text) + 10)


def full_text(item: HeldItem) -> str:
    """What Approve publishes, as the author wrote it: a new post's title, then the text."""
    return f"{item.thread_name}\n\n{item.content}" if item.thread_name else item.content


def text_filename(item: HeldItem) -> str:
    """The name of the file that carries a cut card's whole text."""
    return f"item-{item.id}-full-text.txt"


def _attachment_fields(embed: discord.Embed, item: HeldItem, upload_limit: int, *, card_slots: int) -> None:
    files = [FileSize(info.size, info.kept) for info in item.attachment_info]
    if not files:
        return
    reposted = send_plan(files, upload_limit)
    on_card = send_plan(files, upload_limit, slots=card_slots)
    shown: list[str] = []
    missing: list[str] = []
    per_file = min(upload_limit, FILES_BUDGET)
    for info, goes, seen in zip(item.attachment_info, reposted, on_card, strict=True):
        name = inert(clip(info.filename, 80))
        if goes:
            shown.append(f"{name} ({mib(info.size)})" + ("" if seen else " — not on this card: 10 files at most"))
        elif not info.kept:
            missing.append(f"{name} — not kept: too large ({mib(info.size)})")
        elif info.size > per_file:
            missing.append(f"{name} ({mib(info.size)}) — over this server's upload limit of {mib(per_file)} now")
        else:
            missing.append(f"{name} ({mib(info.size)}) — more than one message can carry")
    if shown:
        embed.add_field(name="Attachments", value=clip("\n".join(shown), _FIELD_LIMIT), inline=False)
    if missing:
        # Before Approve, not after it: the repost goes without these.
        embed.add_field(
            name="⚠️ Will not be reposted",
            value=clip("\n".join(missing), _FIELD_LIMIT),
            inline=False,
        )


def card_view(item: HeldItem) -> discord.ui.View | None:
    """The buttons for an open item; None once it is decided."""
    if not item.is_open:
        return None
    view = discord.ui.View(timeout=None)
    if item.state is ItemState.BLOCKED:
        view.add_item(RestoreButton(item.id))
        return view
    view.add_item(ApproveButton(item.id))
    if item.webhook_id is None:  # a webhook is no member to trust
        view.add_item(ApproveTrustButton(item.id))
    if item.external_domains:
        view.add_item(ApproveDomainButton(item.id))
    view.add_item(RejectButton(item.id))
    return view


def card_files(
    item: HeldItem,
    embed: discord.Embed,
    attachments: list[AttachmentData],
    upload_limit: int = DEFAULT_UPLOAD_LIMIT,
    *,
    text_file: bool = True,
) -> list[discord.File]:
    """What goes with the card: the whole text when the card cuts it, and the held files one message can carry."""
    files: list[discord.File] = []
    if text_file and text_is_cut(item, embed):
        files.append(discord.File(io.BytesIO(full_text(item).encode("utf-8")), filename=text_filename(item)))
    plan = card_attachment_plan(item, embed, attachments, upload_limit, text_file=text_file)
    files.extend(
        discord.File(io.BytesIO(a.data), filename=a.filename, spoiler=a.spoiler, description=a.description)
        for a, goes in zip(attachments, plan, strict=True)
        if goes
    )
    return files


def card_attachment_plan(
    item: HeldItem, embed: discord.Embed, attachments: list[AttachmentData], upload_limit: int, *, text_file: bool
) -> list[bool]:
    """For each held file: True when it goes with the card (the whole text, if cut, takes a slot first)."""
    slots = FILES_PER_MESSAGE - int(text_file and text_is_cut(item, embed))
    return send_plan([FileSize(a.byte_size, a.kept) for a in attachments], upload_limit, slots=slots)


# --- grouped cards and the raid card -------------------------------------------------------

GROUP_MARKER = "Group #"
RAID_MARKER = "Raid #"
_GROUP_LINES = 15


def group_card_embed(group: CardGroup, items: list[HeldItem]) -> discord.Embed:
    """The embed of a card that stands for several held items."""
    open_items = [item for item in items if item.is_open]
    mention = f"<@{group.author_id}>" if group.author_id is not None else None
    colour = discord.Colour.gold() if open_items else discord.Colour.dark_grey()
    title = f"Held: {len(items)} messages" + (f" from {items[0].author_name}" if group.author_id else " (a wave)")
    embed = discord.Embed(title=title[:256], colour=colour, timestamp=min(i.created_at for i in items))
    lines = [group_summary(items, author_mention=mention), ""]
    for item in items[:_GROUP_LINES]:
        state = "" if item.is_open else f" — {outcome_line(item)}"
        text = inert(item.content.replace("\n", " "))
        # A cut line says so ("…"), and files are counted: "Approve all" publishes them whole.
        files = f" 📎{len(item.attachment_info)}" if item.attachment_info else ""
        lines.append(f"`#{item.id}` <@{item.author_id}> in <#{item.channel_id}>: {clip(text, 80)}{files}{state[:120]}")
    if len(items) > _GROUP_LINES:
        lines.append(f"… and {len(items) - _GROUP_LINES} more (open them one by one below)")
    embed.description = "\n".join(lines)[:_DESCRIPTION_LIMIT]
    domains = top_domains(items)
    if domains:
        embed.add_field(
            name="Domains", value=", ".join(f"{inert(d)} ({n})" for d, n in domains[:8])[:_FIELD_LIMIT], inline=False
        )
    decided = len(items) - len(open_items)
    embed.add_field(name="Status", value=f"{len(open_items)} open · {decided} decided", inline=False)
    embed.set_footer(text=f"{GROUP_MARKER}{group.id} · items " + ", ".join(f"#{i.id}" for i in items)[:_FOOTER_ITEMS])
    return embed


def group_card_view(group: CardGroup, items: list[HeldItem]) -> discord.ui.View | None:
    """Approve all, Reject all, Reject all & time out, and a picker to open items one by one."""
    open_items = [item for item in items if item.is_open]
    if not open_items:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(GroupApproveButton(group.id))
    view.add_item(GroupRejectButton(group.id))
    view.add_item(GroupTimeoutButton(group.id))
    options = [
        discord.SelectOption(
            label=f"#{item.id} {item.author_name}"[:100],
            value=str(item.id),
            description=(item.content.replace("\n", " ")[:100] or None),
        )
        for item in open_items[:25]
    ]
    view.add_item(GroupPickSelect(group.id, options))
    return view


def raid_embed(item: HeldItem, text: str) -> discord.Embed:
    """The one card that tells moderators a raid is under way."""
    embed = discord.Embed(title="🚨 Raid mode", colour=discord.Colour.red(), timestamp=item.created_at)
    embed.description = text[:_DESCRIPTION_LIMIT]
    embed.set_footer(text=f"{RAID_MARKER}{item.id}")
    return embed
