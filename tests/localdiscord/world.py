"""The state a local Discord serves: users, guilds, roles, channels, members, messages, webhooks, interactions."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

import discord

from .api import ApiError

DISCORD_EPOCH_MS = 1_420_070_400_000

# Channel types (Discord's numbers).
TEXT = 0
DM = 1
CATEGORY = 4
NEWS = 5
NEWS_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
FORUM = 15
# discord-api-docs, Resources/Channel, Channel Object, Channel Flags: REQUIRE_TAG (1 << 4), "whether a tag is
# required to be specified when creating a thread in a GUILD_FORUM or a GUILD_MEDIA channel".
REQUIRE_TAG = 1 << 4
THREAD_TYPES = frozenset({NEWS_THREAD, PUBLIC_THREAD, PRIVATE_THREAD})

ALL_PERMISSIONS = discord.Permissions.all().value
ADMINISTRATOR = discord.Permissions(administrator=True).value
VIEW_CHANNEL = discord.Permissions(view_channel=True).value

# Roughly what Discord gives @everyone in a new server.
DEFAULT_EVERYONE = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    create_private_threads=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    read_message_history=True,
    use_external_emojis=True,
    use_application_commands=True,
    change_nickname=True,
    create_instant_invite=True,
    connect=True,
    speak=True,
).value

# What a moderation bot is usually invited with.
DEFAULT_BOT = discord.Permissions(
    manage_messages=True,
    manage_webhooks=True,
    manage_threads=True,
    manage_channels=True,
    manage_roles=True,
    moderate_members=True,
    kick_members=True,
    ban_members=True,
).value


def snowflake_ms(snowflake: int) -> int:
    """The Unix time in milliseconds a snowflake encodes."""
    return (snowflake >> 22) + DISCORD_EPOCH_MS


def snowflake_time(snowflake: int) -> str:
    """The ISO timestamp a snowflake encodes, as Discord writes timestamps."""
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).isoformat()


@dataclass
class User:
    """A Discord user; `dms_closed` makes the bot's DMs to them fail with 50007."""

    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    avatar: str | None = None
    dms_closed: bool = False


@dataclass
class Role:
    """A guild role; the @everyone role's id is the guild's id."""

    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False
    bot_id: int | None = None
    color: int = 0
    hoist: bool = False
    mentionable: bool = False


@dataclass
class Overwrite:
    """A channel permission overwrite: type 0 for a role, 1 for a member."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0


@dataclass
class Channel:
    """A guild channel, thread or DM channel."""

    id: int
    type: int
    name: str | None
    guild_id: int | None
    parent_id: int | None = None
    position: int = 0
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    nsfw: bool = False
    rate_limit_per_user: int = 0
    last_message_id: int | None = None
    recipient_id: int | None = None  # DM channels
    owner_id: int | None = None  # threads
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    message_count: int = 0
    applied_tags: list[int] = field(default_factory=list)
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0  # channel flags (REQUIRE_TAG on a forum)

    @property
    def is_thread(self) -> bool:
        """Whether this is a thread (forum posts are threads)."""
        return self.type in THREAD_TYPES


@dataclass
class Member:
    """A user's membership in a guild."""

    guild_id: int
    user_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = ""
    communication_disabled_until: str | None = None  # a timeout's end (ISO 8601), as Modify Guild Member sets it


@dataclass
class Guild:
    """A guild; `channels` keeps creation order, which is also position order."""

    id: int
    name: str
    owner_id: int
    bot_role_id: int = 0
    premium_tier: int = 0  # the boost tier, which sets the upload limit per file
    roles: dict[int, Role] = field(default_factory=dict)
    channels: list[int] = field(default_factory=list)
    members: dict[int, Member] = field(default_factory=dict)


@dataclass
class Webhook:
    """An incoming webhook the bot created."""

    id: int
    token: str
    channel_id: int
    guild_id: int
    name: str
    creator_id: int
    application_id: int | None
    avatar: str | None = None


@dataclass
class StoredMessage:
    """A message as the world keeps it: the payload REST returns, plus what the payload does not carry."""

    payload: dict[str, Any]
    avatar_url: str | None = None  # a webhook's avatar_url override, which Discord turns into a hash
    allowed_mentions: dict[str, Any] | None = None
    ephemeral: bool = False

    @property
    def id(self) -> int:
        """The message id."""
        return int(self.payload["id"])

    @property
    def channel_id(self) -> int:
        """The channel (or thread) id."""
        return int(self.payload["channel_id"])

    @property
    def content(self) -> str:
        """The text."""
        return str(self.payload["content"])

    @property
    def author_id(self) -> int:
        """The author's id (a webhook's id for webhook messages)."""
        return int(self.payload["author"]["id"])

    @property
    def attachments(self) -> list[dict[str, Any]]:
        """The attachment payloads."""
        return list(self.payload.get("attachments", []))


@dataclass
class Interaction:
    """An interaction the local Discord sent, and what the bot answered."""

    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    guild_id: int | None
    data: dict[str, Any]
    message_id: int | None = None
    callbacks: list[dict[str, Any]] = field(default_factory=list)  # bodies POSTed to /callback, in order
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        """Whether the bot answered the callback."""
        return bool(self.callbacks)


class World:
    """Everything the local Discord knows, with lookups that fail the way Discord's REST API fails."""

    def __init__(self, bot_name: str = "Forum Bridge") -> None:
        self._last_id = 0
        self.clock_offset_s = 0.0  # Discord's clock ahead of the host's: tests move it with LocalDiscord.advance_clock
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.webhooks: dict[int, Webhook] = {}
        # Words Discord refuses in a webhook username beyond the ones it documents (a test may add some: the real
        # list has changed over time, and a bot must survive a refusal it did not foresee).
        self.refused_webhook_words: set[str] = set()
        self.messages: dict[int, dict[int, StoredMessage]] = {}  # channel id -> message id -> message, oldest first
        self.message_channel: dict[int, int] = {}
        self.deleted_message_ids: list[int] = []
        self.files: dict[int, bytes] = {}  # attachment id -> bytes
        self.interactions: dict[int, Interaction] = {}
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None: global) -> commands
        self.reactions: dict[int, dict[str, list[int]]] = {}  # message id -> emoji key -> user ids
        self.owner = self._new_user("app-owner")
        self.bot = self._new_user(bot_name, bot=True)
        self.application_id = self.bot.id  # Discord gives a bot user the id of its application

    def now_ms(self) -> int:
        """Discord's clock: milliseconds since the Unix epoch."""
        return int((time.time() + self.clock_offset_s) * 1000)

    def next_id(self) -> int:
        """A fresh snowflake, strictly greater than any before it."""
        now = (self.now_ms() - DISCORD_EPOCH_MS) << 22
        self._last_id = max(now, self._last_id + 1)
        return self._last_id

    def _new_user(self, name: str, *, bot: bool = False) -> User:
        user = User(self.next_id(), name, bot=bot, global_name=name)
        self.users[user.id] = user
        return user

    # Lookups that answer as Discord does for a missing object.

    def user(self, user_id: int) -> User:
        """A user, or Unknown User."""
        try:
            return self.users[user_id]
        except KeyError:
            raise ApiError(404, 10013, "Unknown User") from None

    def guild(self, guild_id: int) -> Guild:
        """A guild, or Unknown Guild."""
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise ApiError(404, 10004, "Unknown Guild") from None

    def channel(self, channel_id: int) -> Channel:
        """A channel, or Unknown Channel."""
        try:
            return self.channels[channel_id]
        except KeyError:
            raise ApiError(404, 10003, "Unknown Channel") from None

    def member(self, guild_id: int, user_id: int) -> Member:
        """A member, or Unknown Member."""
        try:
            return self.guild(guild_id).members[user_id]
        except KeyError:
            raise ApiError(404, 10007, "Unknown Member") from None

    def message(self, channel_id: int, message_id: int) -> StoredMessage:
        """A message in a channel, or Unknown Message."""
        try:
            return self.messages[channel_id][message_id]
        except KeyError:
            raise ApiError(404, 10008, "Unknown Message") from None

    def find_message(self, message_id: int) -> StoredMessage:
        """A message in whichever channel holds it, or Unknown Message."""
        channel_id = self.message_channel.get(message_id)
        if channel_id is None:
            raise ApiError(404, 10008, "Unknown Message")
        return self.message(channel_id, message_id)

    def webhook(self, webhook_id: int, token: str | None = None) -> Webhook:
        """A webhook (checking its token when one is given), or Unknown Webhook / Invalid Webhook Token."""
        hook = self.webhooks.get(webhook_id)
        if hook is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        if token is not None and token != hook.token:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        return hook

    def interaction_by_token(self, token: str) -> Interaction:
        """The interaction a token belongs to, or Unknown Interaction."""
        for interaction in self.interactions.values():
            if interaction.token == token:
                return interaction
        raise ApiError(404, 10062, "Unknown interaction")

    # Messages.

    def store_message(self, message: StoredMessage) -> None:
        """Keep a message and bump its channel's counters."""
        channel = self.channel(message.channel_id)
        self.messages.setdefault(channel.id, {})[message.id] = message
        self.message_channel[message.id] = channel.id
        channel.last_message_id = message.id
        if channel.is_thread:
            channel.message_count += 1

    def drop_message(self, channel_id: int, message_id: int) -> StoredMessage:
        """Delete a message."""
        message = self.message(channel_id, message_id)
        del self.messages[channel_id][message_id]
        del self.message_channel[message_id]
        self.reactions.pop(message_id, None)
        self.deleted_message_ids.append(message_id)
        return message

    # Permissions, computed the way Discord documents it.

    def permissions(self, guild_id: int, user_id: int, channel_id: int | None = None) -> int:
        """A member's permissions in a guild, or in one of its channels (threads follow their parent)."""
        guild = self.guild(guild_id)
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        if member is None:
            return 0
        perms = guild.roles[guild.id].permissions
        for role_id in member.roles:
            perms |= guild.roles[role_id].permissions
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel_id is None:
            return perms
        channel = self.channel(channel_id)
        if channel.is_thread and channel.parent_id is not None:
            channel = self.channel(channel.parent_id)
        by_id = {o.id: o for o in channel.overwrites}
        everyone = by_id.get(guild.id)
        if everyone:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.roles:
            role_overwrite = by_id.get(role_id)
            if role_overwrite and role_overwrite.type == 0:
                allow |= role_overwrite.allow
                deny |= role_overwrite.deny
        perms = (perms & ~deny) | allow
        mine = by_id.get(user_id)
        if mine and mine.type == 1:
            perms = (perms & ~mine.deny) | mine.allow
        # Without View Channel, Discord denies everything else in the channel too.
        return perms if perms & VIEW_CHANNEL else 0

    def bot_can(self, channel: Channel, *needed: discord.Permissions) -> bool:
        """Whether the bot holds all the given permissions in a guild channel (always true in DMs)."""
        if channel.guild_id is None:
            return True
        have = self.permissions(channel.guild_id, self.bot.id, channel.id)
        return all(have & p.value == p.value for p in needed)
