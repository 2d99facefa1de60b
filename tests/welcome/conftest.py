"""The same small community as the queue tests."""

from __future__ import annotations

from tests.queue.conftest import Server, server, simcord_bot

__all__ = ["Server", "server", "simcord_bot"]
