"""The demo's transcript: what each channel and each DM shows, printed as it changes.

It reads only what people would see — channel histories, the moderator's view of the
moderator channel, each member's DMs with the bot — and compares them with what it printed
before: a new message is printed, a removed one is said to be removed, an edited card says
what the moderator decided. The store is read only to name things (which card a removed
message became, where an approved one was reposted).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

import discord

from bot.models import Decision, HeldItem, ItemState
from bot.rules import Action
from bot.store import Store

if TYPE_CHECKING:
    from simcord import ChannelHandle, MemberActor, UserHandle

BOT_NAME = "Forum Bridge"
WRAP = 100
_INDENT = "      "
_CARD_FOOTER = re.compile(r"^Item #(\d+)$")
_JUMP = re.compile(r"https://discord\.com/channels/\d+/(\d+)/(\d+)")
_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_CHANNEL = re.compile(r"<#(\d+)>")
_REPLY_LINE = re.compile(r"↪ https://discord\.com/channels/\d+/\d+/(\d+)\n")
_STAMP = re.compile(r"\s*<t:-?\d+(?::[tTdDfFR])?>")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
# A DM longer than this (a welcome) is shown by its first lines.
_DM_LINES = 4


@dataclass(slots=True)
class _Source:
    """One place a person looks: a channel (as a viewer sees it) or a member's DMs."""

    label: str
    messages: Callable[[], list[discord.Message]]
    channel_id: int
    viewer: str | None = None
    dm_of: str | None = None


@dataclass(slots=True)
class _Seen:
    source: _Source
    author: str
    signature: str


def card_item_id(message: discord.Message) -> int | None:
    """The held item's id when the message is a moderator card."""
    for embed in message.embeds:
        match = _CARD_FOOTER.match(embed.footer.text or "")
        if match:
            return int(match.group(1))
    return None


def buttons(message: discord.Message) -> list[str]:
    """The message's live controls as `[Label]`, in order; a select shows its placeholder."""
    shown = []
    for row in message.components:
        for child in getattr(row, "children", [row]):
            if isinstance(child, discord.components.Button) and child.label and not child.disabled:
                shown.append(f"[{child.label}]")
            elif isinstance(child, discord.components.SelectMenu):
                shown.append(f"[{child.placeholder or 'Choose'} ▾]")
    return shown


class Transcript:
    """Prints, as plain text, what changed in the watched channels and DMs since the last flush."""

    def __init__(self, out: TextIO, store: Store) -> None:
        self.out = out
        self.store = store
        self.bot_id: int | None = None
        self._sources: list[_Source] = []
        self._seen: dict[int, _Seen] = {}
        self._channel_names: dict[int, str] = {}
        self._user_names: dict[int, str] = {}
        self._role_names: dict[int, str] = {}
        self._authors: dict[int, str] = {}  # every message ever seen, for "reply to …"
        self.lines: list[str] = []

    # --- what to watch ----------------------------------------------------------------

    def name_channel(self, channel_id: int, name: str) -> None:
        """Show this channel as #name."""
        self._channel_names[channel_id] = name

    def name_user(self, user_id: int, name: str) -> None:
        """Show this person under this name."""
        self._user_names[user_id] = name

    def name_role(self, role_id: int, name: str) -> None:
        """Show this role as @name."""
        self._role_names[role_id] = name

    def watch(self, channel: ChannelHandle, *, viewer: MemberActor | None = None) -> None:
        """Follow a channel, as `viewer` sees it (their private replies included)."""
        self.name_channel(channel.id, channel.name or str(channel.id))
        viewer_name = self._user_names.get(viewer.id) if viewer is not None else None
        self._add(_Source(f"#{channel.name}", lambda: channel.history(viewer=viewer), channel.id, viewer_name))

    def watch_dms(self, user: UserHandle, name: str) -> None:
        """Follow what the bot says to this person in DMs."""
        dm = user.dm_channel
        self._add(_Source(f"DM → {name}", dm.history, dm.id, dm_of=name))

    def _add(self, source: _Source) -> None:
        self._sources.append(source)
        for message in source.messages():  # what is already there is not news
            self._remember(source, message)

    # --- printing -----------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        """Print a line of narration."""
        self._emit(text)

    def heading(self, text: str) -> None:
        """Print the title of a step of the story."""
        self._emit("")
        self._emit(f"── {text}")

    def _emit(self, line: str) -> None:
        self.lines.append(line)
        self.out.write(line + "\n")
        self.out.flush()

    def block(self, prefix: str, text: str) -> None:
        """`prefix` then the text, wrapped, continuation lines indented (blank lines dropped)."""
        lead = prefix
        for paragraph in text.split("\n"):
            if not paragraph.strip() and lead is not prefix:
                continue
            quoted = paragraph.startswith("> ")
            wrapped = textwrap.wrap(
                paragraph.removeprefix("> ") if quoted else paragraph,
                width=WRAP,
                initial_indent=lead + ("> " if quoted else ""),
                subsequent_indent=_INDENT + ("> " if quoted else ""),
                break_long_words=False,
                break_on_hyphens=False,
            )
            for line in wrapped or [lead.rstrip()]:
                self._emit(line)
            lead = _INDENT

    def posted(self, message: discord.Message) -> None:
        """Print a member's message as they posted it (before the bot acts on it)."""
        source = next((s for s in self._sources if s.channel_id == message.channel.id), None)
        if source is None:
            raise LookupError(f"channel {message.channel.id} is not watched")
        self._remember(source, message)
        self._print_message(source, message)

    def signature(self) -> tuple[tuple[int, str], ...]:
        """A cheap fingerprint of everything watched, to tell when the world stopped changing."""
        return tuple((message.id, _signature(message)) for source in self._sources for message in source.messages())

    async def flush(self) -> int:
        """Print what changed since the last flush; return how many things changed."""
        current: dict[int, tuple[_Source, discord.Message]] = {}
        for source in self._sources:
            for message in source.messages():
                current[message.id] = (source, message)
        removed = [message_id for message_id in self._seen if message_id not in current]
        edited = [
            pair
            for message_id, pair in current.items()
            if message_id in self._seen and self._seen[message_id].signature != _signature(pair[1])
        ]
        new = [current[message_id] for message_id in sorted(current) if message_id not in self._seen]
        for message_id in removed:
            await self._print_removal(message_id, self._seen.pop(message_id))
        for source, message in sorted(edited, key=lambda pair: pair[1].id):
            self._remember(source, message)
            await self._print_edit(source, message)
        for source, message in new:
            self._remember(source, message)
            self._print_message(source, message)
        return len(removed) + len(edited) + len(new)

    def card(self, item_id: int) -> discord.Message:
        """The card for a held item, as the moderators see it."""
        for source in self._sources:
            for message in source.messages():
                if card_item_id(message) == item_id:
                    return message
        raise LookupError(f"no card for item #{item_id}")

    def open_cards(self) -> list[int]:
        """Items whose cards still have buttons, oldest first."""
        return [
            item_id
            for source in self._sources
            for message in source.messages()
            if (item_id := card_item_id(message)) is not None and message.components
        ]

    # --- rendering ----------------------------------------------------------------------

    def _remember(self, source: _Source, message: discord.Message) -> None:
        author = self._author(message)
        self._seen[message.id] = _Seen(source, author, _signature(message))
        self._authors[message.id] = author

    def _author(self, message: discord.Message) -> str:
        if message.webhook_id is not None:
            return message.author.name
        if self.bot_id is not None and message.author.id == self.bot_id:
            return BOT_NAME
        return self._user_names.get(message.author.id, message.author.display_name)

    def _print_message(self, source: _Source, message: discord.Message) -> None:
        item_id = card_item_id(message)
        if item_id is not None:
            self._print_card(source, message, item_id)
            return
        if source.dm_of is not None:
            # The bot's DMs are the story; the member's own DMs to the bot are not part of it.
            self.block(f"{source.label}: ", _first_lines(self.readable(_plain(message.content)), _DM_LINES))
            return
        author = self._author(message)
        text = message.content
        if self.bot_id is not None and message.author.id == self.bot_id and message.webhook_id is None:
            # A command's reply: its text, its embeds' words, and what is attached.
            text = _plain("\n".join(filter(None, [text, *map(_embed_text, message.embeds)])))
            attached = " ".join(f"📎 {attachment.filename}" for attachment in message.attachments)
            text = f"{text}\n{attached}" if attached else text
        if message.webhook_id is not None:
            # A repost of a reply starts with a jump link to the message it answered.
            reply_to = _REPLY_LINE.match(text)
            if reply_to:
                text = text[reply_to.end() :]
                author += f" (repost, reply to {self._authors.get(int(reply_to.group(1)), 'a message')})"
            else:
                author += " (repost)"
        if message.flags.ephemeral:
            author = f"(only {source.viewer or 'the moderator'} sees) {author}"
        reply = ""
        reference = message.reference
        if reference is not None and reference.message_id is not None and message.webhook_id is None:
            reply = f" (reply to {self._authors.get(reference.message_id, 'a message')})"
        text = self.readable(text)
        controls = buttons(message)
        if controls:
            text = f"{text}  {' '.join(controls)}"
        self.block(f"{source.label}  {author}{reply}: ", text)

    def _print_card(self, source: _Source, message: discord.Message, item_id: int) -> None:
        embed = message.embeds[0]
        fields = {field.name: field.value or "" for field in embed.fields}
        why = "; ".join(line.removeprefix("• ").strip() for line in fields.get("Why", "").splitlines() if line)
        header = f"[card #{item_id}] {embed.title or 'Held'}" + (f" — {self.readable(why)}" if why else "")
        controls = buttons(message)
        if controls:
            header += "  " + " ".join(controls)
        self._emit(f"{source.label}  {header}")  # unwrapped: a button label never breaks
        where = self.readable(fields.get("Channel", "").split("\n")[0])
        quoted = "\n".join(line.removeprefix("> ").removeprefix(">") for line in (embed.description or "").splitlines())
        self.block(f"{_INDENT}{embed.author.name or 'someone'} in {where}: ", _shorten(self.readable(quoted)))
        if "⚠️ Original not removed" in fields:
            self._emit(f"{_INDENT}⚠ the original could not be removed (the bot lacks Manage Messages there)")

    async def _print_edit(self, source: _Source, message: discord.Message) -> None:
        item_id = card_item_id(message)
        if item_id is None:
            self.block(f"{source.label}  ✎ {self._author(message)} edited: ", self.readable(message.content))
            return
        item = await self.store.items.get(item_id)
        if item is None or item.is_open:
            self._print_card(source, message, item_id)
            return
        self._emit(f"{source.label}  {self.decision_line(item)}")

    def decision_line(self, item: HeldItem) -> str:
        """What a moderator decided about an item, and what became of it, in one line."""
        who = item.decided_by_name or "a moderator"
        if item.state is ItemState.REJECTED:
            reason = f': "{item.decision_reason}"' if item.decision_reason else ""
            return f"✖ {who} rejected #{item.id}{reason}"
        verb = {
            Decision.APPROVE_TRUST: f"approved #{item.id} and trusted {item.author_name}",
            Decision.APPROVE_DOMAIN: f"approved #{item.id} and allowed {', '.join(item.external_domains)}",
            Decision.RESTORE: f"restored #{item.id}",
        }.get(item.decision or Decision.APPROVE, f"approved #{item.id}")
        if item.repost_message_id is None or item.repost_channel_id is None:
            return f"✔ {who} {verb}, but it is not published yet (the bot lacks Manage Webhooks there)"
        where = self._channel_label(item.repost_channel_id)
        return f"✔ {who} {verb} → reposted in {where} as {item.author_name}"

    async def _print_removal(self, message_id: int, seen: _Seen) -> None:
        item = await self.store.items.by_message(message_id)
        where = seen.source.label
        if item is None:
            self._emit(f"{_INDENT}✖ {seen.author}'s message in {where} was removed")
        elif item.action is Action.BLOCK:
            self._emit(f"{_INDENT}✖ removed from {where}: a link to a medical site (card #{item.id})")
        else:
            self._emit(f"{_INDENT}✖ removed from {where}: held for a moderator (card #{item.id})")

    def _jump(self, match: re.Match[str]) -> str:
        author = self._authors.get(int(match.group(2)))
        where = self._channel_label(int(match.group(1)))
        return f"[link to {author}'s message in {where}]" if author else f"[link to a message in {where}]"

    def _channel_label(self, channel_id: int) -> str:
        name = self._channel_names.get(channel_id)
        return f"#{name}" if name else "a thread"

    def readable(self, text: str) -> str:
        """Discord markup as a person reads it: names for mentions, no hidden characters."""
        text = text.replace("\u200b", "")
        text = _JUMP.sub(self._jump, text)
        text = _USER.sub(lambda m: "@" + self._user_names.get(int(m.group(1)), "someone"), text)
        text = _ROLE.sub(lambda m: "@" + self._role_names.get(int(m.group(1)), "role"), text)
        text = _CHANNEL.sub(lambda m: self._channel_label(int(m.group(1))), text)
        return _STAMP.sub("", text)


def _plain(text: str) -> str:
    """The bot's Markdown as a terminal shows it: no bold or code marks, a link by its words."""
    return _CODE.sub(r"\1", _BOLD.sub(r"\1", _LINK.sub(r"\1", text)))


def _embed_text(embed: discord.Embed) -> str:
    """An embed's title, text and fields, one paragraph each (its image is an attachment)."""
    fields = [f"{field.name}: {field.value}" for field in embed.fields]
    return "\n".join(part for part in (embed.title, embed.description, *fields) if part)


def _first_lines(text: str, count: int) -> str:
    """The first `count` lines of a long text, each shortened, and how much was left out."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) <= count + 1:
        return text
    kept = [_shorten(line) for line in lines[:count]]
    return "\n".join([*kept, f"… ({len(lines) - count} more lines)"])


def _shorten(text: str, limit: int = 90) -> str:
    """The start of the text, in whole words: a link cut in half would read as a different link."""
    kept: list[str] = []
    length = 0
    for word in text.split():
        if kept and length + 1 + len(word) > limit:
            return " ".join(kept) + " …"
        length += len(word) + (1 if kept else 0)
        kept.append(word)
    return " ".join(kept)


def _signature(message: discord.Message) -> str:
    parts: list[Any] = [
        message.content,
        [embed.to_dict() for embed in message.embeds],
        [component.to_dict() for component in message.components],
    ]
    return repr(parts)
