"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bot.policy import PolicyBundle, load_policy_file
from bot.rules import Engine
from bot.store import Store

if TYPE_CHECKING:
    from bot.client import ForumBridge


@pytest.fixture(scope="session")
def shipped() -> PolicyBundle:
    """The shipped policy and lists from data/."""
    return load_policy_file()


@pytest.fixture(scope="session")
def engine(shipped: PolicyBundle) -> Engine:
    """An engine over the shipped lists."""
    return Engine(shipped.lists)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A real SQLite database in the test's folder."""
    opened = await Store.open(tmp_path / "bridge.db")
    yield opened
    await opened.close()


@pytest.fixture
def discord_rules(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """SimCord refusing, as Discord would, what Discord documents it refuses (tests/localdiscord/limits.py).

    SimCord checks embeds, content and components itself, not a nonce's length, bulk deletes' age and
    duplicates, a timeout's 28 days or a forum thread's name. The bot sees Discord's 400; the test fails after.
    """
    import discord
    from simcord.backend.errors import BackendError
    from simcord.http import router

    from tests.localdiscord.api import ApiError
    from tests.localdiscord.limits import check_request

    refused: list[str] = []
    real_dispatch = router.dispatch

    def dispatch(backend: Any, method: str, path: str, *, json: Any = None, **kwargs: Any) -> Any:
        try:
            check_request(method, path, json, int(discord.utils.utcnow().timestamp() * 1000))
        except ApiError as error:
            refused.append(f"{method} {path}: {error.message}")
            raise BackendError(error.status, error.code, error.message) from None
        return real_dispatch(backend, method, path, json=json, **kwargs)

    monkeypatch.setattr(router, "dispatch", dispatch)
    yield refused
    assert not refused, f"the bot sent what Discord refuses: {refused}"


@pytest.fixture
def simcord_bot(store: Store, shipped: PolicyBundle, discord_rules: list[str]) -> ForumBridge:
    """The real bot, built as `make run` builds it, over the test's store (SimCord runs it)."""
    # Imported here: the pure-engine tests must be able to run without discord.py loaded.
    from bot.app import build_bot

    return build_bot(store, shipped)
