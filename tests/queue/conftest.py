"""The queue and welcome commands' server: /queue and /welcome opened to the moderator role."""

from __future__ import annotations

from typing import Any

import pytest

from bot.client import ForumBridge
from tests.community import Server, build_server

__all__ = ["Server"]


@pytest.fixture
async def server(simcord_env: Any, simcord_bot: ForumBridge) -> Server:
    """A spine-and-arthritis server: moderators by role, an admin by Manage Server, a trainee who can see the queue."""
    return await build_server(simcord_env, simcord_bot, general_name="general", open_groups=("queue", "welcome"))
