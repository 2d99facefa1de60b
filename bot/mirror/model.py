"""The mirror's plain records: forum categories and channel snapshots.

The stored ones (the mapping, the sync state, the channel kinds) live in ``bot.models`` with the store's
records; they are re-exported here so the mirror reads them from one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.models import ChannelKind, MirrorRecord, MirrorState

__all__ = [
    "ChannelKind",
    "DisplayAs",
    "ExistingChannel",
    "ForumCategory",
    "ForumTree",
    "GuildView",
    "MirrorRecord",
    "MirrorState",
]


class DisplayAs(StrEnum):
    """How the forum shows a category (Vanilla's ``displayAs``)."""

    HEADING = "heading"  # a title over other categories; holds no discussions
    CATEGORIES = "categories"  # a list of child categories
    DISCUSSIONS = "discussions"  # a list of discussions
    FLAT = "flat"  # child categories' discussions in one list


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
