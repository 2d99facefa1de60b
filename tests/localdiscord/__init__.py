"""A local Discord stand-in: real REST, CDN and gateway over loopback for discord.py clients under test."""

from __future__ import annotations

from .api import ApiError, Call, RecordedRequest, Reply, UploadedFile
from .harness import check_discord_hooks, pointed_at, running
from .ratelimits import RateLimits, RouteLimit
from .server import LocalDiscord
from .world import CATEGORY, DM, FORUM, PRIVATE_THREAD, PUBLIC_THREAD, TEXT, Interaction, StoredMessage, World

__all__ = [
    "CATEGORY",
    "DM",
    "FORUM",
    "PRIVATE_THREAD",
    "PUBLIC_THREAD",
    "TEXT",
    "ApiError",
    "Call",
    "Interaction",
    "LocalDiscord",
    "RateLimits",
    "RecordedRequest",
    "Reply",
    "RouteLimit",
    "StoredMessage",
    "UploadedFile",
    "World",
    "check_discord_hooks",
    "pointed_at",
    "running",
]
