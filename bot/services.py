"""The bot's services: built once, by the client's constructor, and handed to the cogs through `bot.services`.

This is discord.py's `examples/advanced_startup.py` pattern (dependencies passed to the bot, read by the cogs
from it): a cog, a card or queue button and the reminder task all reach the same instances, and nothing is
rebuilt per click or per message. Build the bot itself with `bot.app`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.admin.service import AdminService
    from bot.gate.service import Gate
    from bot.guild_setup import SetupService
    from bot.mirror.service import MirrorService
    from bot.queue.service import QueueService
    from bot.welcome.service import WelcomeService


@dataclass(frozen=True, slots=True)
class Services:
    """One instance of each service, shared by every cog, button and task of one client."""

    gate: Gate
    admin: AdminService
    queue: QueueService
    welcome: WelcomeService
    mirror: MirrorService
    setup: SetupService
