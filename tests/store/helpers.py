"""Shared makers for the store tests."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import AttachmentData, NewHeldItem, StoredLink
from bot.rules import Action, LinkClass, Reason

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def held(message_id: int = 100, *, action: Action = Action.HOLD, author_id: int = 7, **changes: object) -> NewHeldItem:
    """A held message of guild 1 with one external link and two files; `changes` override any field."""
    values: dict[str, object] = {
        "guild_id": 1,
        "channel_id": 10,
        "message_id": message_id,
        "author_id": author_id,
        "author_name": "Jane",
        "author_avatar_url": "https://cdn.example/avatar.png",
        "content": "my blog: example.org",
        "action": action,
        "reasons": (Reason.NEW_MEMBER, Reason.EXTERNAL_LINK),
        "links": (StoredLink("example.org", "example.org", LinkClass.EXTERNAL),),
        "created_at": NOW,
        "attachments": (
            AttachmentData("x-ray.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
            AttachmentData("notes.txt", "text/plain", b"hello", spoiler=True, description="my notes"),
        ),
    }
    values.update(changes)
    return NewHeldItem(**values)  # type: ignore[arg-type]
