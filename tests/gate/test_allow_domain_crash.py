"""Approve & allow domain is crash-safe: the domain is allowed by the decision's own transaction."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import build_bot
from bot.community import Community
from bot.store import Store
from tests.gate.conftest import World, cards


async def test_a_crash_right_after_the_decision_still_leaves_the_domain_allowed(
    world: World, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.alice.send(world.general, "Good stretches at backblog.net/stretches")
    [card] = cards(world)

    async def crash(self: Community, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("simulated crash after the decision")

    # The first step after the store's decision dies: nothing that follows it runs.
    monkeypatch.setattr(Community, "refresh_member", crash)
    await world.mod.click(card, label="Approve & allow domain")
    monkeypatch.undo()

    again = await Store.open(store.path)
    try:
        assert await again.guilds.allowed_domains(world.guild.id) == {"backblog.net"}
        await world.env.restart_bot(build_bot(again, world.bot.community.bundle))
        later = await world.bob.send(world.general, "Another one: https://www.backblog.net/posture")
        assert later.id in [m.id for m in world.general.history()]  # the restarted bot lets it through
        assert len(cards(world)) == 1
    finally:
        await world.env.restart_bot(world.bot)  # let the fixture's store close cleanly
        await again.close()
