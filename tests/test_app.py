"""bot.app: the one way to build the bot; every cog, button and task shares the services the client built once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.app import build_bot, open_bot, open_from_settings
from bot.client import ForumBridge
from bot.policy import PolicyError
from bot.settings import MirrorSettings, Settings
from bot.store import Store


async def test_every_cog_reads_the_services_the_client_built_once(simcord_env: Any, simcord_bot: ForumBridge) -> None:
    bot, services = simcord_bot, simcord_bot.services
    cogs = {name: bot.get_cog(name) for name in ("LinkCommands", "MemberCommands", "PolicyCommands")}
    # One AdminService for the three admin cogs (each built its own before).
    assert all(getattr(cog, "service", None) is services.admin for cog in cogs.values()), cogs
    assert getattr(bot.get_cog("Queue"), "service", None) is services.queue
    assert getattr(bot.get_cog("Welcome"), "service", None) is services.welcome
    assert getattr(bot.get_cog("Mirror"), "service", None) is services.mirror
    assert getattr(bot.get_cog("Setup"), "service", None) is services.setup
    assert services.gate is bot.gate


async def test_open_bot_opens_and_migrates_the_database_and_closes_it_after(tmp_path: Path) -> None:
    database = tmp_path / "bridge.db"
    forum = tmp_path / "forum.toml"
    async with open_bot(database, mirror=MirrorSettings(file=forum), moderator_channel_id=42) as bot:
        assert isinstance(bot, ForumBridge)
        assert bot.store.path == database
        assert await bot.store.schema_version() > 0
        assert bot.mirror_settings.file == forum
        assert (await bot.community.settings(1)).moderator_channel_id == 42  # until /setup stores one
        store = bot.store
    with pytest.raises(ValueError, match="closed"):
        await store.schema_version()


async def test_a_bad_policy_file_opens_no_database(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("this is = = not toml\n", encoding="utf-8")
    with pytest.raises(PolicyError):
        async with open_bot(tmp_path / "bridge.db", policy):
            pass
    assert not (tmp_path / "bridge.db").exists()


async def test_open_from_settings_uses_the_settings_database_and_moderation(tmp_path: Path) -> None:
    settings = Settings(token="", database=tmp_path / "from-settings.db", moderator_role_id=7)
    async with open_from_settings(settings) as bot:
        assert bot.store.path == settings.database
        assert (await bot.community.settings(1)).moderator_role_id == 7


async def test_build_bot_over_an_open_store_leaves_it_open(store: Store) -> None:
    bot = build_bot(store, guild_ready_timeout=0.01)
    assert bot.store is store
    assert bot.services.admin.community is bot.community
    assert await store.schema_version() > 0  # still open: the caller closes it
