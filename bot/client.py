"""The bot: a `commands.Bot` subclass that receives its dependencies in the constructor."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.admin.service import AdminService
from bot.community import Community
from bot.gate.service import Gate
from bot.guild_setup import SetupService
from bot.mirror.service import MirrorService
from bot.pacer import GlobalPacer
from bot.queue.service import QueueService
from bot.rules import Engine, warm
from bot.services import Services
from bot.settings import MirrorSettings
from bot.store import Store
from bot.welcome.service import WelcomeService

log = logging.getLogger(__name__)

# Loaded in this order by setup_hook; a failure stops start-up instead of running half a bot.
EXTENSIONS: tuple[str, ...] = (
    "cogs.screening",
    "cogs.moderation",
    "cogs.setup",
    "cogs.mirror",
    "cogs.policy",
    "cogs.links",
    "cogs.members",
    "cogs.queue",
    "cogs.welcome",
)


def default_intents() -> discord.Intents:
    """Guilds, members, guild messages with content, reactions and DMs: what screening needs."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.members = True
    intents.guild_messages = True
    intents.message_content = True
    intents.guild_reactions = True
    intents.dm_messages = True
    intents.webhooks = True
    return intents


class ForumBridgeTree(app_commands.CommandTree["ForumBridge"]):
    """The command tree, with one error handler for every slash command."""

    async def on_error(self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError) -> None:
        """Tell the user what went wrong, privately; log what they should not see."""
        if isinstance(error, app_commands.TransformerError) and isinstance(error.value, discord.User):
            # A member option given someone who has left: say so, not "Failed to convert … to Member".
            message = f"{error.value.mention} is not a member of this server (any more): nothing changed."
        elif isinstance(error, app_commands.CheckFailure | app_commands.TransformerError):
            message = str(error) or "You cannot use this command."
        else:
            log.error(
                "command %s failed in guild %s for user %s",
                interaction.command.qualified_name if interaction.command else "?",
                interaction.guild_id,
                interaction.user.id,
                exc_info=error,
            )
            message = "Something went wrong on my side; the moderators' logs have the details."
        quiet = discord.AllowedMentions.none()
        try:
            if interaction.response.is_done():
                await interaction.followup.send(message, ephemeral=True, allowed_mentions=quiet)
            else:
                await interaction.response.send_message(message, ephemeral=True, allowed_mentions=quiet)
        except discord.HTTPException as exc:
            # The interaction's token may be what failed (it expires after 15 minutes: 401, code 50027).
            log.warning(
                "could not tell user %s in guild %s that their command failed (%s, code %s)",
                interaction.user.id,
                interaction.guild_id,
                exc.status,
                exc.code,
            )


class ForumBridge(commands.Bot):
    """Forum Bridge's Discord client."""

    def __init__(
        self,
        *,
        community: Community,
        extensions: Sequence[str] = EXTENSIONS,
        intents: discord.Intents | None = None,
        pacer: GlobalPacer | None = None,
        mirror: MirrorSettings | None = None,
        **options: Any,
    ) -> None:
        self.pacer = pacer or GlobalPacer(is_dm_channel=self._is_dm_channel)
        self.mirror_settings = mirror or MirrorSettings()
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents or default_intents(),
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True, replied_user=False),
            help_command=None,
            tree_cls=ForumBridgeTree,
            http_trace=self.pacer.trace_config(),
            **options,
        )
        self.community = community
        self.engine = Engine(community.bundle.lists)
        self.gate = Gate(self, community, self.engine)
        # Built once, here; the cogs, the buttons and the reminder task read them from `self.services`.
        self.services = Services(
            gate=self.gate,
            admin=AdminService(community, self.engine),
            queue=QueueService(self, community),
            # Welcome DMs go at a slow pace while the gate sees a raid in the guild.
            welcome=WelcomeService(self, community, self.gate.raid.active),
            mirror=MirrorService(self, community, self.mirror_settings),
            setup=SetupService(community, self.gate.moderator_channel_ready),
        )
        self._extensions = tuple(extensions)
        self._reconciled = False

    def _is_dm_channel(self, channel_id: int) -> bool:
        return isinstance(self.get_channel(channel_id), discord.DMChannel)

    @property
    def store(self) -> Store:
        """The database, behind the community cache."""
        return self.community.store

    async def setup_hook(self) -> None:
        """Warm the suffix list, take up the raid watches and load every extension, failing fast."""
        warm()
        await self.gate.load_raids()  # before the gateway: the first held message may be a raid's
        for name in self._extensions:
            # A restart of the same client (a new login) keeps what it already loaded.
            if name not in self.extensions:
                await self.load_extension(name)
        log.info("loaded extensions: %s", ", ".join(self._extensions) or "none")

    async def on_ready(self) -> None:
        """Once per process: finish whatever a crash interrupted; at every READY: catch up on what was missed."""
        user = self.user
        log.info("ready as %s (id %s) in %d guilds", user, user.id if user else "?", len(self.guilds))
        if not self._reconciled:
            self._reconciled = True
            # The caches just filled with every guild, channel and member: move them out of the
            # collector's sight, or each full collection walks them all and stalls the loop.
            gc.collect()
            gc.freeze()
            await self.gate.reconcile()
        else:
            self.gate.outbox.resume()
        # Every READY is a new session (the first, or one Discord would not resume): what was posted while
        # the bot was away never arrives as events, so it is read and screened now.
        self.gate.catch_up.start()

    async def on_resumed(self) -> None:
        """A resumed session: Discord replays the events missed meanwhile, nothing to catch up."""
        log.info("gateway session resumed")

    async def close(self) -> None:
        """Let holds, decisions and outbox sends in flight finish (their steps are recorded), then disconnect."""
        await self.gate.catch_up.stop()
        await self.gate.drain(timeout=10.0)
        # Queued outbox rows stay in the database: the next start sends them.
        await self.gate.outbox.stop(timeout=5.0)
        await self.gate.memory.flush()  # what screening remembers, written behind
        await super().close()

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """Log a listener's failure with its event; the bot keeps running."""
        # discord.py calls this from inside its except block, so the traceback is current.
        log.error("unhandled error in %s", event_method, exc_info=sys.exc_info())
