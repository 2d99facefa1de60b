"""What raid mode and the screening memory keep across a restart: plain values, no Discord objects."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RaidSighting:
    """A new member's held link, as the raid watch counted it (at: seconds since the epoch)."""

    at: float
    author_id: int
    domains: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RaidNote:
    """A raid sighting kept with a hold: the sighting, the watch it leaves, and whether it starts a raid."""

    sighting: RaidSighting
    active: bool
    raid_size: int
    forget_before: float  # sightings older than this (seconds since the epoch) no longer count
    starts_raid: bool


@dataclass(frozen=True, slots=True)
class RaidState:
    """A guild's raid watch as stored: whether a raid is on, its size so far, and the sightings in its window."""

    guild_id: int
    active: bool
    raid_size: int
    sightings: tuple[RaidSighting, ...] = ()


@dataclass(frozen=True, slots=True)
class AllowedMessage:
    """An allowed message that carried something flaggable: what an edit of it is judged against."""

    message_id: int
    guild_id: int
    channel_id: int
    flaggable: frozenset[str]


@dataclass(frozen=True, slots=True)
class ChannelMark:
    """The newest message the bot saw in a channel: where the start-up catch-up resumes."""

    channel_id: int
    guild_id: int
    last_message_id: int
