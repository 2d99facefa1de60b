"""The REST routes, in one router the server matches in order."""

from __future__ import annotations

from ..api import Router
from . import channels, core, messages, webhooks

ROUTER = Router()
ROUTER.include(core.router, messages.router, channels.router, webhooks.router)

__all__ = ["ROUTER"]
