"""The admin commands' server: /policy, /links and /member opened to the moderator role."""

from __future__ import annotations

from typing import Any

import pytest

from bot.client import ForumBridge
from tests.community import Server, build_server, open_command_to

__all__ = ["Server", "open_command_to"]


@pytest.fixture
async def server(simcord_env: Any, simcord_bot: ForumBridge) -> Server:
    """A spine-and-arthritis server, set up, with its commands synced."""
    general, groups = "back-surgery-and-neck-surgery", ("policy", "links", "member")
    return await build_server(simcord_env, simcord_bot, general_name=general, open_groups=groups)
