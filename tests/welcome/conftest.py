"""The same small community as the queue tests."""

from __future__ import annotations

from tests.queue.conftest import Server, server

__all__ = ["Server", "server"]
