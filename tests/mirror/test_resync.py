"""The optional periodic re-sync: off by default; when on, it re-applies the forum to mirrored guilds."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.app import build_bot
from bot.client import ForumBridge
from bot.policy import PolicyBundle
from bot.settings import MirrorSettings
from bot.store import Store
from tests.mirror.conftest import ForumFile, Place


@pytest.fixture
def simcord_bot(store: Store, shipped: PolicyBundle, forum_file: ForumFile) -> ForumBridge:
    """The bot with a re-sync every 5 minutes."""
    settings = MirrorSettings(file=forum_file.path, sync_minutes=5)
    return build_bot(store, shipped, mirror=settings)


async def test_a_mirrored_guild_follows_the_forum_without_a_command(place: Place) -> None:
    await place.admin.slash(place.general, "mirror apply")
    place.forum.change(11, name="Neck and Shoulder Pain", urlcode="neck-and-shoulder-pain")
    await place.env.advance_time(5 * 60 + 1)
    assert "neck-and-shoulder-pain" in [c.name for c in place.discord_guild().channels]
    assert "neck-pain" not in [c.name for c in place.discord_guild().channels]


async def test_a_guild_never_mirrored_is_left_alone(place: Place) -> None:
    start = len(place.env.http_requests)
    await place.env.advance_time(5 * 60 + 1)
    assert place.channel_calls(start) == []


async def test_an_unreadable_source_skips_the_round(place: Place, caplog: pytest.LogCaptureFixture) -> None:
    await place.admin.slash(place.general, "mirror apply")
    place.forum.path.write_text("not toml [", encoding="utf-8")
    start = len(place.env.http_requests)
    await place.env.advance_time(5 * 60 + 1)
    assert place.channel_calls(start) == []
    assert any("periodic mirror sync skipped" in r.getMessage() for r in caplog.records)


def test_off_by_default() -> None:
    assert MirrorSettings().sync_minutes == 0
    assert replace(MirrorSettings(), sync_minutes=3).sync_minutes == 3
