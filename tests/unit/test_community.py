"""The community cache over a real store: one load per burst, and a write is never lost to a load under way."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.community import Community
from bot.policy import PolicyBundle
from bot.store import Store


async def test_a_burst_of_misses_loads_once(store: Store, shipped: PolicyBundle, monkeypatch: Any) -> None:
    calls: list[str] = []
    for name in ("policy_overrides", "allowed_domains", "guild_settings", "member"):
        original = getattr(store, name)

        async def counted(*args: Any, _original: Any = original, _name: str = name) -> Any:
            calls.append(_name)
            return await _original(*args)

        monkeypatch.setattr(store, name, counted)
    community = Community(store, shipped)
    policies = await asyncio.gather(*(community.policy(1) for _ in range(100)))
    settings = await asyncio.gather(*(community.settings(1) for _ in range(100)))
    members = await asyncio.gather(*(community.member(1, 7) for _ in range(100)))
    assert len({id(p) for p in policies}) == 1
    assert len({id(s) for s in settings}) == 1
    assert len({id(m) for m in members}) == 1
    assert sorted(calls) == ["allowed_domains", "guild_settings", "member", "policy_overrides"]
    await community.policy(1)
    assert len(calls) == 4  # then it is served from memory


async def test_a_write_during_a_load_wins(store: Store, shipped: PolicyBundle, monkeypatch: Any) -> None:
    community = Community(store, shipped)
    release = asyncio.Event()
    original = store.allowed_domains

    async def slow(guild_id: int) -> frozenset[str]:
        found = await original(guild_id)
        await release.wait()
        return found

    monkeypatch.setattr(store, "allowed_domains", slow)
    loading = asyncio.create_task(community.policy(1))
    await asyncio.sleep(0.05)
    monkeypatch.setattr(store, "allowed_domains", original)
    await community.allow_domains(1, ["backblog.net"], added_by=3)
    release.set()
    stale = await loading
    assert "backblog.net" not in stale.allowed_domains  # that load read the old list…
    assert "backblog.net" in (await community.policy(1)).allowed_domains  # …and was not cached
