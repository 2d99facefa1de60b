"""`/mirror preview | apply | status`: the forum's categories as channels, for admins; and the periodic re-sync."""

from __future__ import annotations

import io
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.client import ForumBridge
from bot.mirror.service import MirrorService
from bot.mirror.source import ForumSourceError
from bot.mirror.words import fit, plan_text, report_text

log = logging.getLogger(__name__)

ADMIN = discord.Permissions(manage_guild=True)


def _in_guild(interaction: discord.Interaction[ForumBridge]) -> discord.Guild:
    guild = interaction.guild
    assert guild is not None  # the group is guild-only
    return guild


async def _reply(interaction: discord.Interaction[ForumBridge], text: str, *, filename: str) -> None:
    """A private follow-up; text too long for one message comes whole as an attached file."""
    shown, cut = fit(text)
    file = discord.File(io.BytesIO(text.encode("utf-8")), filename=filename) if cut else discord.utils.MISSING
    try:
        await interaction.followup.send(shown, file=file, ephemeral=True)
    except discord.NotFound:
        # An apply of hundreds of channels can outlast the interaction's 15 minutes: keep the report.
        log.warning("guild=%s: the reply to /mirror expired; it said:\n%s", interaction.guild_id, text)


class Mirror(commands.Cog):
    """Admin commands over the mirror service."""

    mirror = app_commands.Group(
        name="mirror",
        description="Mirror the forum's categories as Discord channels",
        guild_only=True,
        default_permissions=ADMIN,
    )

    def __init__(self, bot: ForumBridge) -> None:
        self.bot = bot
        self.service = MirrorService(bot, bot.community, bot.mirror_settings)
        self._resync: tasks.Loop[Any] | None = None

    async def cog_load(self) -> None:
        """Start the periodic re-sync when one is configured (it is off by default)."""
        minutes = self.service.settings.sync_minutes
        if minutes > 0:
            self._resync = tasks.loop(minutes=minutes)(self._sync_all)
            self._resync.before_loop(self.bot.wait_until_ready)
            self._resync.start()
            log.info("forum mirror re-syncs every %d minutes", minutes)

    async def cog_unload(self) -> None:
        """Stop the periodic re-sync."""
        if self._resync is not None:
            self._resync.cancel()

    async def _sync_all(self) -> None:
        try:
            synced = await self.service.sync_all()
        except Exception:
            # An error escaping a tasks.loop ends the loop for good; the next round may succeed.
            log.exception("periodic mirror sync failed; trying again next round")
            return
        log.info("periodic mirror sync: %d guilds", synced)

    @mirror.command(name="preview", description="Show what /mirror apply would change, without changing anything")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def preview(self, interaction: discord.Interaction[ForumBridge]) -> None:
        """Read the forum and reply with the plan."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            tree, plan = await self.service.preview(_in_guild(interaction))
        except ForumSourceError as exc:
            await interaction.followup.send(f"I could not read the forum's categories: {exc}", ephemeral=True)
            return
        await _reply(interaction, plan_text(plan, tree.source), filename="mirror-plan.txt")

    @mirror.command(name="apply", description="Create, rename, move and archive channels to match the forum")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def apply(self, interaction: discord.Interaction[ForumBridge]) -> None:
        """Read the forum, apply the plan, and report each failure."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            applied = await self.service.apply(_in_guild(interaction))
        except ForumSourceError as exc:
            await interaction.followup.send(
                f"I could not read the forum's categories, so nothing was changed: {exc}", ephemeral=True
            )
            return
        await _reply(interaction, report_text(applied.plan, applied.report), filename="mirror-report.txt")

    @mirror.command(name="status", description="The mirrored channels, the last sync and any drift since")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def status(self, interaction: discord.Interaction[ForumBridge]) -> None:
        """Reply with the mapping, the last sync and the drift."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await _reply(interaction, await self.service.status(_in_guild(interaction)), filename="mirror-status.txt")


async def setup(bot: ForumBridge) -> None:
    """Load the cog."""
    await bot.add_cog(Mirror(bot))
