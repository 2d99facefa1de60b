"""The mirror's plain records: forum categories, the stored mapping and sync state, channel snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class DisplayAs(StrEnum):
    """How the forum shows a category (Vanilla's ``displayAs``)."""

    HEADING = "heading"  # a title over other categories; holds no discussions
    CATEGORIES = "categories"  # a list of child categories
    DISCUSSIONS = "discussions"  # a list of discussions
    FLAT = "flat"  # child categories' discussions in one list


class ChannelKind(StrEnum):
    """What a Discord channel is, as far as the mirror cares."""

    CATEGORY = "category"
    TEXT = "text"
    FORUM = "forum"
    OTHER = "other"  # voice, stage, news…: never adopted or changed


@dataclass(frozen=True, slots=True)
class ForumCategory:
    """One category of the forum, from the file or the API."""

    id: int
    name: str
    urlcode: str
    description: str = ""
    url: str = ""
    parent_id: int | None = None  # None at the top of the forum
    display_as: DisplayAs = DisplayAs.DISCUSSIONS
    order: int = 0  # among its siblings, smaller first (ties by id)


@dataclass(frozen=True, slots=True)
class ForumTree:
    """The categories to mirror, where they came from (a file path or a URL), and what was left out."""

    categories: tuple[ForumCategory, ...]
    source: str
    left_out: tuple[str, ...] = ()  # categories the source had but the mirror must not make public, and why


@dataclass(frozen=True, slots=True)
class MirrorRecord:
    """The stored link between a forum category and the Discord channel that stands for it."""

    forum_id: int
    channel_id: int
    kind: ChannelKind
    archived: bool = False


@dataclass(frozen=True, slots=True)
class MirrorState:
    """A guild's mirror bookkeeping: the archive category and what the last apply did."""

    guild_id: int
    archive_category_id: int | None = None
    last_sync_at: datetime | None = None
    last_source: str | None = None
    last_summary: str | None = None
    last_tree: tuple[ForumCategory, ...] | None = None


@dataclass(frozen=True, slots=True)
class ExistingChannel:
    """A guild channel as the planner sees it (a snapshot of discord.py's cache)."""

    id: int
    name: str
    kind: ChannelKind
    parent_id: int | None = None
    position: int = 0
    topic: str = ""


@dataclass(frozen=True, slots=True)
class GuildView:
    """The guild's channels and the two channels the planner must treat specially."""

    channels: tuple[ExistingChannel, ...]
    moderator_channel_id: int | None = None
    archive_category_id: int | None = None
