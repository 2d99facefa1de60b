"""A guild's settings in the store: moderation, screening, policy, allowed domains, reminders, welcome."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from bot.models import (
    DEFAULT_REMINDER_AFTER_S,
    WelcomeSettings,
)
from bot.store import Store

GUILD, ALICE, MOD = 10, 20, 30
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def test_guild_settings_and_screening(store: Store) -> None:
    assert (await store.guilds.settings(1)).moderator_channel_id is None
    await store.guilds.set_moderation(1, channel_id=50)
    settings = await store.guilds.set_moderation(1, role_id=60)
    assert (settings.moderator_channel_id, settings.moderator_role_id) == (50, 60)
    await store.guilds.set_channel_screened(1, 70, False)
    await store.guilds.set_channel_screened(1, 70, False)
    assert (await store.guilds.settings(1)).unscreened_channel_ids == frozenset({70})
    await store.guilds.set_channel_screened(1, 70, True)
    assert (await store.guilds.settings(1)).unscreened_channel_ids == frozenset()


async def test_policy_overrides_round_trip(store: Store) -> None:
    assert await store.guilds.policy_overrides(1) == {}
    overrides = {"new_members": {"approved_posts_required": 2}, "links": {"actions": {"external": "allow"}}}
    await store.guilds.set_policy_overrides(1, overrides)
    assert await store.guilds.policy_overrides(1) == overrides
    assert await store.guilds.policy_overrides(2) == {}


async def test_allowed_domains(store: Store) -> None:
    assert await store.guilds.allow_domains(1, ["example.org", "blog.net"], added_by=3) == {"example.org", "blog.net"}
    assert await store.guilds.allow_domains(1, ["example.org"], added_by=3) == frozenset()
    assert await store.guilds.allowed_domains(1) == {"example.org", "blog.net"}
    assert await store.guilds.allowed_domains(2) == frozenset()
    assert await store.guilds.disallow_domain(1, "blog.net")
    assert not await store.guilds.disallow_domain(1, "blog.net")
    assert await store.guilds.allowed_domains(1) == {"example.org"}


async def test_replace_policy_replaces_everything_and_keeps_who_allowed_a_kept_domain(store: Store) -> None:
    await store.guilds.allow_domains(GUILD, ["keep.org", "drop.org"], MOD)
    await store.guilds.set_channel_screened(GUILD, 1, False)
    await store.guilds.set_policy_overrides(GUILD, {"emails": {"action": "block"}})
    await store.guilds.replace_policy(
        GUILD,
        overrides={"new_members": {"approved_posts_required": 2}},
        allowed_domains=["keep.org", "new.org"],
        unscreened_channel_ids=[2, 3],
        actor_id=ALICE,
    )
    assert await store.guilds.policy_overrides(GUILD) == {"new_members": {"approved_posts_required": 2}}
    assert await store.guilds.allowed_domains(GUILD) == {"keep.org", "new.org"}
    assert (await store.guilds.settings(GUILD)).unscreened_channel_ids == {2, 3}
    [entry] = await store.decisions.audit_entries(GUILD)
    assert (entry["action"], entry["actor_id"]) == ("policy_import", ALICE)


async def test_replace_policy_is_one_transaction(store: Store) -> None:
    await store.guilds.allow_domains(GUILD, ["keep.org"], MOD)
    with pytest.raises(sqlite3.Error):
        await store.guilds.replace_policy(
            GUILD,
            overrides={"new_members": {"approved_posts_required": 2}},
            allowed_domains=["new.org"],
            unscreened_channel_ids=[object()],  # type: ignore[list-item]  # fails last, after the other writes
            actor_id=ALICE,
        )
    assert await store.guilds.allowed_domains(GUILD) == {"keep.org"}
    assert await store.guilds.policy_overrides(GUILD) == {}


async def test_welcome_settings_default_then_round_trip(store: Store) -> None:
    assert await store.guilds.welcome(1) == WelcomeSettings(1)
    await store.guilds.set_welcome(WelcomeSettings(1, "Hi {member}", 55, False))
    assert await store.guilds.welcome(1) == WelcomeSettings(1, "Hi {member}", 55, False)
    await store.guilds.set_moderation(1, channel_id=7)  # other settings of the guild leave the welcome alone
    assert await store.guilds.welcome(1) == WelcomeSettings(1, "Hi {member}", 55, False)
    assert (await store.guilds.settings(1)).moderator_channel_id == 7


async def test_reminder_period_default_set_off_and_never_negative(store: Store) -> None:
    assert await store.guilds.reminder_after(1) == DEFAULT_REMINDER_AFTER_S == 12 * 3600
    await store.guilds.set_reminder_after(1, 3600)
    assert await store.guilds.reminder_after(1) == 3600
    await store.guilds.set_reminder_after(1, 0)
    assert await store.guilds.reminder_after(1) == 0
    with pytest.raises(sqlite3.IntegrityError):
        await store.guilds.set_reminder_after(1, -1)
