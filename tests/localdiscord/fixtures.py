"""Pytest fixtures: import them into a conftest.py (`from tests.localdiscord.fixtures import local_discord`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .harness import pointed_at
from .server import LocalDiscord


@pytest.fixture
async def local_discord() -> AsyncIterator[LocalDiscord]:
    """A started LocalDiscord with discord.py pointed at it; build the world, then connect clients with `running`."""
    async with LocalDiscord() as local:
        with pointed_at(local):
            yield local
    assert not local.server_errors, f"LocalDiscord failed while answering: {local.server_errors}"
