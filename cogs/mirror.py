"""`/mirror preview | apply | status`: the forum's categories as channels, for admins; and the periodic re-sync."""

from __future__ import annotations

import io
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.client import ForumBridge
from bot.mirror.source import ForumSourceError
from bot.mirror.words import plan_text, report_text
from bot.text import fit
from cogs.replies import guild_of, reply

log = logging.getLogger(__name__)

ADMIN = discord.Permissions(manage_guild=True)


async def _post_progress(interaction: discord.Interaction[ForumBridge], text: str) -> discord.Message | None:
    """A message in the command's channel, sent with the bot's own token, that the report replaces."""
    channel = interaction.channel
    if not isinstance(channel, discord.abc.Messageable):
        return None
    try:
        return await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException as exc:
        log.warning(
            "guild=%s channel=%s: could not post the /mirror apply progress (%s %s)",
            interaction.guild_id,
            interaction.channel_id,
            exc.status,
            exc.text,
        )
        return None


async def _finish(message: discord.Message | None, text: str, *, filename: str) -> None:
    """Replace the progress message with the report; unlike the interaction's token, this never expires."""
    if message is None:
        return
    shown, cut = fit(text)
    files = [discord.File(io.BytesIO(text.encode("utf-8")), filename=filename)] if cut else []
    try:
        await message.edit(content=shown, attachments=files, allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException as exc:
        log.warning(
            "guild=%s channel=%s: could not post the /mirror apply report in message %s (%s %s)",
            message.guild.id if message.guild else None,
            message.channel.id,
            message.id,
            exc.status,
            exc.text,
        )


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
        self.service = bot.services.mirror
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
            tree, plan = await self.service.preview(guild_of(interaction))
        except ForumSourceError as exc:
            await reply(
                interaction,
                f"I could not read the forum's categories: {exc}",
                filename="mirror-plan.txt",
                best_effort=True,
            )
            return
        await reply(interaction, plan_text(plan, tree.source), filename="mirror-plan.txt", best_effort=True)

    @mirror.command(name="apply", description="Create, rename, move and archive channels to match the forum")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def apply(self, interaction: discord.Interaction[ForumBridge]) -> None:
        """Read the forum, apply the plan, and report each failure, in a message of the bot's own."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        progress = await _post_progress(
            interaction, f"⏳ Applying the forum's categories to this server (started by {interaction.user.mention})…"
        )
        try:
            applied = await self.service.apply(guild_of(interaction))
        except ForumSourceError as exc:
            text = f"I could not read the forum's categories, so nothing was changed: {exc}"
        except Exception:
            # The error handler tells the admin (while the token lasts); the message must not say "Applying…" forever.
            stopped = "stopped: something went wrong on my side; the logs have the details."
            await _finish(progress, f"/mirror apply (by {interaction.user.mention}) {stopped}", filename="x.txt")
            raise
        else:
            text = report_text(applied.plan, applied.report)
        await _finish(progress, f"/mirror apply (by {interaction.user.mention}): {text}", filename="mirror-report.txt")
        await reply(interaction, text, filename="mirror-report.txt", best_effort=True)

    @mirror.command(name="status", description="The mirrored channels, the last sync and any drift since")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def status(self, interaction: discord.Interaction[ForumBridge]) -> None:
        """Reply with the mapping, the last sync and the drift."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await reply(
            interaction,
            await self.service.status(guild_of(interaction)),
            filename="mirror-status.txt",
            best_effort=True,
        )


async def setup(bot: ForumBridge) -> None:
    """Load the cog."""
    await bot.add_cog(Mirror(bot))
