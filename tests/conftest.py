"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

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
def simcord_bot(store: Store, shipped: PolicyBundle) -> ForumBridge:
    """The real bot, built as `make run` builds it, over the test's store (SimCord runs it)."""
    # Imported here: the pure-engine tests must be able to run without discord.py loaded.
    from bot.client import ForumBridge
    from bot.community import Community

    return ForumBridge(community=Community(store, shipped))
