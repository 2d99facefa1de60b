"""Core records the store reads and writes: plain values, no Discord objects.

Held items, members, settings, the queue and the outbox are here; raid mode's and the screening memory's records
are in ``memory.py``, the mirror's bookkeeping in ``mirror.py`` (all importable from ``bot.models``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.models.memory import AllowedMessage as AllowedMessage
from bot.models.memory import ChannelMark as ChannelMark
from bot.models.memory import RaidNote as RaidNote
from bot.models.memory import RaidSighting as RaidSighting
from bot.models.memory import RaidState as RaidState
from bot.models.mirror import ChannelKind as ChannelKind
from bot.models.mirror import MirrorRecord as MirrorRecord
from bot.models.mirror import MirrorState as MirrorState
from bot.rules import Action, Link, LinkClass, Reason


class ItemState(StrEnum):
    """Where a held message is in its life."""

    PENDING = "pending"  # held, waiting for a moderator
    BLOCKED = "blocked"  # removed outright (medical site); a moderator may restore it
    APPROVED = "approved"  # published under the author's name
    REJECTED = "rejected"  # not published; the author was told why
    RESTORED = "restored"  # a blocked item a moderator published anyway


OPEN_STATES = frozenset({ItemState.PENDING, ItemState.BLOCKED})


class Decision(StrEnum):
    """What a moderator can do with a held item."""

    APPROVE = "approve"
    APPROVE_TRUST = "approve_trust"
    APPROVE_DOMAIN = "approve_domain"
    REJECT = "reject"
    RESTORE = "restore"


DECISION_STATE = {
    Decision.APPROVE: ItemState.APPROVED,
    Decision.APPROVE_TRUST: ItemState.APPROVED,
    Decision.APPROVE_DOMAIN: ItemState.APPROVED,
    Decision.REJECT: ItemState.REJECTED,
    Decision.RESTORE: ItemState.RESTORED,
}


@dataclass(frozen=True, slots=True)
class AttachmentData:
    """An attachment's bytes and what Discord said about it."""

    filename: str
    content_type: str | None
    data: bytes
    spoiler: bool = False
    description: str | None = None
    size: int | None = None  # set when the bytes were not kept (too large): the file's size on Discord

    @property
    def kept(self) -> bool:
        """True when the store has the file's bytes."""
        return self.size is None

    @property
    def byte_size(self) -> int:
        """The file's size, whether or not its bytes were kept."""
        return len(self.data) if self.size is None else self.size


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """A held file as a card lists it: name, size, and whether its bytes were kept."""

    filename: str
    size: int
    kept: bool = True


@dataclass(frozen=True, slots=True)
class HeldPoll:
    """A held message's poll, enough to create it again (its votes cannot be carried over)."""

    question: str
    answers: tuple[tuple[str, str | None], ...]  # (text, emoji) each
    multiple: bool = False
    hours: int = 24


@dataclass(frozen=True, slots=True)
class StoredLink:
    """A link as the engine classified it, kept with the held item."""

    url: str
    domain: str
    link_class: LinkClass

    @classmethod
    def from_link(cls, link: Link) -> StoredLink:
        """Keep what a moderator needs from an engine Link."""
        return cls(link.url, link.domain, link.link_class)


@dataclass(frozen=True, slots=True)
class NewHeldItem:
    """Everything needed to store a held message before its original is removed."""

    guild_id: int
    channel_id: int
    message_id: int
    author_id: int
    author_name: str
    author_avatar_url: str | None
    content: str
    action: Action
    reasons: tuple[Reason, ...]
    links: tuple[StoredLink, ...]
    created_at: datetime
    thread_id: int | None = None
    thread_name: str | None = None
    is_forum_post: bool = False
    reply_to_url: str | None = None
    edited: bool = False
    attachments: tuple[AttachmentData, ...] = ()
    # Posted through a webhook the bot does not own: the author is that webhook (no member, no DMs).
    webhook_id: int | None = None
    webhook_name: str | None = None
    applied_tags: tuple[int, ...] = ()  # a forum post's tags
    sticker_names: tuple[str, ...] = ()
    poll: HeldPoll | None = None


@dataclass(frozen=True, slots=True)
class HeldItem:
    """A stored held message and what has happened to it so far."""

    id: int
    guild_id: int
    channel_id: int
    message_id: int
    author_id: int
    author_name: str
    author_avatar_url: str | None
    content: str
    action: Action
    reasons: tuple[Reason, ...]
    links: tuple[StoredLink, ...]
    state: ItemState
    created_at: datetime
    thread_id: int | None = None
    thread_name: str | None = None
    is_forum_post: bool = False
    reply_to_url: str | None = None
    edited: bool = False
    original_removed: bool = False
    removal_error: str | None = None
    card_channel_id: int | None = None
    card_message_id: int | None = None
    decided_by: int | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    decision: Decision | None = None
    decision_reason: str | None = None
    repost_channel_id: int | None = None
    repost_message_id: int | None = None
    author_notified: bool = False
    attachment_names: tuple[str, ...] = field(default=())
    webhook_id: int | None = None  # posted through this webhook (not ours): no member record, no DMs
    webhook_name: str | None = None
    applied_tags: tuple[int, ...] = ()  # a forum post's tags
    sticker_names: tuple[str, ...] = ()
    poll: HeldPoll | None = None
    attachment_info: tuple[AttachmentInfo, ...] = field(default=())

    @property
    def is_open(self) -> bool:
        """True while a moderator can still decide it."""
        return self.state in OPEN_STATES

    @property
    def target_channel_id(self) -> int:
        """Where the message was posted: the thread if any, else the channel."""
        return self.thread_id or self.channel_id

    @property
    def external_domains(self) -> tuple[str, ...]:
        """Distinct domains of the item's external links (what "allow domain" would allow)."""
        return tuple(dict.fromkeys(link.domain for link in self.links if link.link_class is LinkClass.EXTERNAL))


@dataclass(frozen=True, slots=True)
class LinkPreapproval:
    """A moderator's permission for one member's links: one domain or (None) any non-medical site."""

    id: int
    guild_id: int
    user_id: int
    domain: str | None
    uses_left: int | None  # None: standing; otherwise how many more messages it lets through
    granted_by: int | None
    granted_at: datetime

    @property
    def standing(self) -> bool:
        """True when it has no use count."""
        return self.uses_left is None

    @property
    def active(self) -> bool:
        """True while it still lets links through."""
        return self.uses_left is None or self.uses_left > 0


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """What the community knows of a member in one guild."""

    guild_id: int
    user_id: int
    approved_posts: int = 0
    held_posts: int = 0
    rejected_posts: int = 0
    trusted: bool = False
    links_preapproved: bool = False
    # Active link pre-approvals (spent ones are kept in the store, not here).
    preapprovals: tuple[LinkPreapproval, ...] = ()


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """A guild's configuration: where moderators work and what is screened."""

    guild_id: int
    moderator_channel_id: int | None = None
    moderator_role_id: int | None = None
    unscreened_channel_ids: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class DecisionOutcome:
    """The result of trying to decide an item: who won, and the item as it now is."""

    won: bool
    item: HeldItem


# --- queue, reminders and welcome -------------------------------------------------------

# A guild that never set a reminder period is reminded after 12 hours (the migration's default too).
DEFAULT_REMINDER_AFTER_S = 12 * 60 * 60


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A pending held item as the queue list and the reminders show it."""

    id: int
    guild_id: int
    author_id: int
    author_name: str
    reasons: tuple[Reason, ...]
    created_at: datetime
    reminded_at: datetime | None = None
    card_channel_id: int | None = None
    card_message_id: int | None = None

    @property
    def card_url(self) -> str | None:
        """The jump link to the item's moderator card, if one was posted."""
        if self.card_channel_id is None or self.card_message_id is None:
            return None
        return f"https://discord.com/channels/{self.guild_id}/{self.card_channel_id}/{self.card_message_id}"


@dataclass(frozen=True, slots=True)
class DecisionFacts:
    """What the queue statistics read of one held item: plain values only."""

    reasons: tuple[str, ...]
    links: tuple[tuple[str, str], ...]  # (domain, link class) for each link, as stored
    state: str
    created_at: datetime
    decided_at: datetime | None = None
    moderator_id: int | None = None
    moderator_name: str | None = None


@dataclass(frozen=True, slots=True)
class WelcomeSettings:
    """How a guild greets new members: text None means the shipped data/welcome.md, channel None means by DM."""

    guild_id: int
    text: str | None = None
    channel_id: int | None = None
    enabled: bool = True


# --- the outbox ------------------------------------------------------------------------


class OutboxKind(StrEnum):
    """What an outbox row asks the bot to tell Discord about an item."""

    CARD = "card"  # the moderator card (alone, or on a grouped card)
    HOLD_DM = "hold_dm"  # the author hears their message is held
    REPOST = "repost"  # an approved item published under the author's name
    CARD_UPDATE = "card_update"  # the card shows the decision
    DECISION_DM = "decision_dm"  # the author hears the outcome
    RAID_CARD = "raid_card"  # the moderators hear of a raid (on the item that set it off)


class OutboxState(StrEnum):
    """Where an outbox row is in its life."""

    WAITING = "waiting"  # the item's original is still being removed
    QUEUED = "queued"
    SENDING = "sending"  # marked before the request; cleared with its result after
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One thing to tell Discord, with what the worker needs to route and pace it."""

    id: int
    item_id: int
    kind: OutboxKind
    state: OutboxState
    priority: int
    guild_id: int
    author_id: int
    channel_id: int
    item_state: ItemState
    attempts: int = 0
    nonce: str | None = None
    group_id: int | None = None
    not_before: datetime | None = None
    repost_state: OutboxState | None = None  # the item's repost row, which a card update and DM wait for
    card_state: OutboxState | None = None  # the item's card row, which a card update waits for
    card_group_id: int | None = None  # the grouped card the item is on, if any
    updated_at: datetime | None = None
    search_after: int | None = None  # a snowflake the send's message is newer than (recorded when 'sending')
    error: str | None = None  # why it failed, for a 'failed' row


@dataclass(frozen=True, slots=True)
class Notice:
    """A short public notice (to an author whose DMs are closed, say), kept until it has been deleted."""

    id: int
    guild_id: int
    channel_id: int
    author_id: int  # the one person it pings
    message_id: int | None
    content: str
    delete_at: datetime
    created_at: datetime
    search_after: int = 0  # a message id it comes after: where a search for it starts


@dataclass(frozen=True, slots=True)
class CardGroup:
    """A card that stands for several held items: one author's, or (author_id None) a raid's."""

    id: int
    guild_id: int
    author_id: int | None
    channel_id: int
    message_id: int | None
    nonce: str
    created_at: datetime
