"""The community cache over a real store: one load per burst, and a write is never lost to a load under way."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot.community import Community
from bot.policy import PolicyBundle, PolicyError, RaidSettings, raid_settings
from bot.store import Store


async def test_a_burst_of_misses_loads_once(store: Store, shipped: PolicyBundle, monkeypatch: Any) -> None:
    calls: list[str] = []
    for repo, name in (
        (store.guilds, "policy_overrides"),
        (store.guilds, "allowed_domains"),
        (store.guilds, "settings"),
        (store.members, "get"),
    ):
        original = getattr(repo, name)

        async def counted(*args: Any, _original: Any = original, _name: str = name) -> Any:
            calls.append(_name)
            return await _original(*args)

        monkeypatch.setattr(repo, name, counted)
    community = Community(store, shipped)
    policies = await asyncio.gather(*(community.policy(1) for _ in range(100)))
    settings = await asyncio.gather(*(community.settings(1) for _ in range(100)))
    members = await asyncio.gather(*(community.member(1, 7) for _ in range(100)))
    assert len({id(p) for p in policies}) == 1
    assert len({id(s) for s in settings}) == 1
    assert len({id(m) for m in members}) == 1
    assert sorted(calls) == ["allowed_domains", "get", "policy_overrides", "settings"]
    await community.policy(1)
    assert len(calls) == 4  # then it is served from memory


async def test_a_write_during_a_load_wins(store: Store, shipped: PolicyBundle, monkeypatch: Any) -> None:
    community = Community(store, shipped)
    release = asyncio.Event()
    original = store.guilds.allowed_domains

    async def slow(guild_id: int) -> frozenset[str]:
        found = await original(guild_id)
        await release.wait()
        return found

    monkeypatch.setattr(store.guilds, "allowed_domains", slow)
    loading = asyncio.create_task(community.policy(1))
    await asyncio.sleep(0.05)
    monkeypatch.setattr(store.guilds, "allowed_domains", original)
    await community.allow_domains(1, ["backblog.net"], added_by=3)
    release.set()
    stale = await loading
    assert "backblog.net" not in stale.allowed_domains  # that load read the old list…
    assert "backblog.net" in (await community.policy(1)).allowed_domains  # …and was not cached


# --- raid settings: read, cached and dropped with the policy ---------------------------------------


def _count_override_reads(store: Store, monkeypatch: Any) -> list[int]:
    reads: list[int] = []
    original = store.guilds.policy_overrides

    async def counted(guild_id: int) -> dict[str, Any]:
        reads.append(guild_id)
        return await original(guild_id)

    monkeypatch.setattr(store.guilds, "policy_overrides", counted)
    return reads


async def test_raid_settings_are_per_guild_and_cached_with_the_policy(
    store: Store, shipped: PolicyBundle, monkeypatch: Any
) -> None:
    await store.guilds.set_policy_overrides(1, {"raid": {"new_members": 2, "bulk_delete": False}})
    reads = _count_override_reads(store, monkeypatch)
    community = Community(store, shipped)
    assert await community.raid(1) == RaidSettings(new_members=2, window_seconds=60, bulk_delete=False)
    assert await community.raid(2) == raid_settings(shipped.raw)  # another guild keeps the shipped ones
    await community.policy(1)
    await community.raid(1)
    assert reads == [1, 2]  # one read per guild, for the policy and the raid settings together


@pytest.mark.parametrize("write", ["set_policy_overrides", "replace_policy", "allow_domains", "disallow_domain"])
async def test_every_policy_write_drops_the_cached_raid_settings(
    store: Store, shipped: PolicyBundle, monkeypatch: Any, write: str
) -> None:
    community = Community(store, shipped)
    assert (await community.raid(1)).new_members == 5
    # Changed under the cache (as another write path might): only a policy write makes the cache read it again.
    await store.guilds.set_policy_overrides(1, {"raid": {"new_members": 3}})
    assert (await community.raid(1)).new_members == 5
    reads = _count_override_reads(store, monkeypatch)
    if write == "set_policy_overrides":
        await community.set_policy_overrides(1, {"raid": {"new_members": 3}})
    elif write == "replace_policy":
        await community.replace_policy(
            1,
            overrides={"raid": {"new_members": 3}},
            allowed_domains=frozenset(),
            unscreened_channel_ids=frozenset(),
            actor_id=None,
        )
    elif write == "allow_domains":
        await community.allow_domains(1, ["backblog.net"], added_by=None)
    else:
        await community.disallow_domain(1, "backblog.net")
    assert (await community.raid(1)).new_members == 3
    assert len(reads) == 1


async def test_a_raid_setting_change_is_refused_when_invalid(store: Store, shipped: PolicyBundle) -> None:
    community = Community(store, shipped)
    with pytest.raises(PolicyError, match=r"raid\.window_seconds must be between 5 and 86400"):
        await community.set_policy_overrides(1, {"raid": {"window_seconds": 4}})
    assert await store.guilds.policy_overrides(1) == {}
    assert (await community.raid(1)).window_seconds == 60


async def test_bad_stored_raid_overrides_fall_back_to_the_shipped_settings(
    store: Store, shipped: PolicyBundle, caplog: pytest.LogCaptureFixture
) -> None:
    await store.guilds.set_policy_overrides(
        1, {"raid": {"window_seconds": 1}, "new_members": {"approved_posts_required": 4}}
    )
    community = Community(store, shipped)
    with caplog.at_level(logging.ERROR, logger="bot.community"):
        assert await community.raid(1) == raid_settings(shipped.raw)
    assert (await community.policy(1)).new_member_posts == shipped.policy.new_member_posts
    [record] = caplog.records
    assert "guild 1: stored policy overrides are invalid" in record.getMessage()
    assert "raid.window_seconds" in record.getMessage()
