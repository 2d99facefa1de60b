"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.policy import PolicyBundle, load_policy_file
from bot.rules import Engine
from bot.store import Store


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
