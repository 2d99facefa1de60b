"""`/welcome preview`, `/welcome-admin set`, and the welcome sent when a member joins."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import ADMIN, MODERATOR, admin_only, command_group, moderator_only
from bot.client import ForumBridge
from bot.models import WelcomeSettings
from bot.welcome.service import with_changes
from bot.welcome.words import text_from_option, text_problem
from cogs.replies import guild_of, reply

log = logging.getLogger(__name__)


def _where(settings: WelcomeSettings) -> str:
    if not settings.enabled:
        return "The welcome is **off**: members who join get nothing."
    if settings.channel_id is not None:
        return f"The welcome is **on**, posted in <#{settings.channel_id}>."
    return "The welcome is **on**, sent by DM."


def _which_text(settings: WelcomeSettings) -> str:
    return "the shipped text" if settings.text is None else "this server's own text"


class Welcome(commands.Cog):
    """Thin adapter over bot.welcome."""

    welcome = command_group("welcome", "The welcome new members get: the rules in plain words", MODERATOR)
    # Its own top-level command: Discord shows every subcommand to whom its top-level command is shown.
    welcome_admin = command_group("welcome-admin", "Change the welcome new members get (admins)", ADMIN)

    def __init__(self, bot: ForumBridge) -> None:
        self.bot = bot
        self.service = bot.services.welcome

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        """Welcome a member who joined."""
        await self.service.greet(member)

    @welcome_admin.command(name="set", description="Change the welcome: its text, where it goes, on or off")
    @app_commands.describe(
        text="the welcome (type \\n for a new line; {member}, {server} and {moderators} are filled in)",
        channel="post the welcome in this channel instead of by DM",
        dm="True: send the welcome by DM (the default)",
        enabled="True to welcome members who join, False to stop",
        default_text="True: go back to the shipped welcome text",
    )
    @admin_only()
    async def set_command(
        self,
        interaction: discord.Interaction[ForumBridge],
        text: str | None = None,
        channel: discord.TextChannel | None = None,
        dm: bool | None = None,
        enabled: bool | None = None,
        default_text: bool | None = None,
    ) -> None:
        """Validate every argument, then store the new settings."""
        guild = guild_of(interaction)
        problem = None
        cleaned = text_from_option(text) if text is not None else None
        if text is None and channel is None and dm is None and enabled is None and not default_text:
            problem = "Nothing to change: give `text`, `channel`, `dm`, `enabled` or `default_text`."
        elif cleaned is not None and default_text:
            problem = "Give either `text` or `default_text:True`, not both."
        elif channel is not None and dm:
            problem = "Give either `channel` (welcome in a channel) or `dm:True` (welcome by DM), not both."
        elif dm is False and channel is None:
            problem = "`dm:False` alone does not say where to welcome: give a `channel` instead."
        elif cleaned is not None:
            problem = text_problem(cleaned)
        if problem is None and channel is not None:
            permissions = channel.permissions_for(guild.me)
            if not (permissions.view_channel and permissions.send_messages):
                problem = f"I cannot post in {channel.mention}: I need View Channel and Send Messages there."
        if problem is not None:
            await reply(interaction, problem)
            return
        # Answer Discord within its 3 seconds before reading and writing the store.
        await interaction.response.defer(ephemeral=True, thinking=True)
        current = await self.service.settings(guild.id)
        changed = with_changes(
            current,
            text=cleaned,
            use_shipped_text=bool(default_text),
            channel_id=channel.id if channel is not None else None,
            by_dm=bool(dm),
            enabled=enabled,
        )
        await self.service.update(changed, actor_id=interaction.user.id)
        await reply(
            interaction, f"Saved. {_where(changed)} It uses {_which_text(changed)}. See it with `/welcome preview`."
        )

    @welcome.command(name="preview", description="Show the welcome as a new member would read it (only to you)")
    @moderator_only()
    async def preview_command(self, interaction: discord.Interaction[ForumBridge]) -> None:
        """Reply privately with where the welcome goes and its text."""
        member = interaction.user
        assert isinstance(member, discord.Member)  # guild-only and checked
        await interaction.response.defer(ephemeral=True, thinking=True)  # before the store, for Discord's 3 s
        settings = await self.service.settings(member.guild.id)
        text = await self.service.text_for(member, settings, in_channel=settings.channel_id is not None)
        embed = discord.Embed(description=text, colour=discord.Colour.blurple())
        await reply(
            interaction, f"{_where(settings)} It uses {_which_text(settings)}; as you would read it:", embed=embed
        )


async def setup(bot: ForumBridge) -> None:
    """Load the cog."""
    await bot.add_cog(Welcome(bot))
