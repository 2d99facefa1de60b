"""The forum mirror's bookkeeping as the store keeps it: plain values, no Discord objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ChannelKind(StrEnum):
    """What a Discord channel is, as far as the mirror cares."""

    CATEGORY = "category"
    TEXT = "text"
    FORUM = "forum"
    OTHER = "other"  # voice, stage, news…: never adopted or changed


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
    last_tree_json: str | None = None  # the tree the last apply worked from, as the mirror wrote it
