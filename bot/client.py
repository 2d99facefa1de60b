"""The bot: a `commands.Bot` subclass that receives its dependencies in the constructor."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord
from discord.ext import commands

from bot.policy import PolicyBundle
from bot.rules import Engine, warm

log = logging.getLogger(__name__)

# Loaded in this order by setup_hook; a failure stops start-up instead of running half a bot.
EXTENSIONS: tuple[str, ...] = ()


def default_intents() -> discord.Intents:
    """Guilds, members, guild messages with content, reactions and DMs: what screening needs."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.members = True
    intents.guild_messages = True
    intents.message_content = True
    intents.guild_reactions = True
    intents.dm_messages = True
    return intents


class ForumBridge(commands.Bot):
    """Forum Bridge's Discord client."""

    def __init__(
        self,
        *,
        bundle: PolicyBundle,
        extensions: Sequence[str] = EXTENSIONS,
        intents: discord.Intents | None = None,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents or default_intents(),
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True, replied_user=False),
            help_command=None,
        )
        self.bundle = bundle
        self.engine = Engine(bundle.lists)
        self._extensions = tuple(extensions)

    async def setup_hook(self) -> None:
        """Warm the suffix list and load every extension, failing fast."""
        warm()
        for name in self._extensions:
            await self.load_extension(name)
        log.info("loaded %d extensions", len(self._extensions))

    async def on_ready(self) -> None:
        """Log who we are and where."""
        user = self.user
        log.info("ready as %s (id %s) in %d guilds", user, user.id if user else "?", len(self.guilds))
