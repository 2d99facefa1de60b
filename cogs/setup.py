"""`/setup`: the private moderator channel and role, for admins."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ForumBridge
from bot.guild_setup import role_problem, setup_text
from cogs.replies import guild_of, reply


class Setup(commands.Cog):
    """The /setup command; the work is in bot.guild_setup."""

    def __init__(self, bot: ForumBridge) -> None:
        self.bot = bot
        self.service = bot.services.setup

    @app_commands.command(name="setup", description="Create or adopt the private moderator channel and set the role")
    @app_commands.describe(
        role="the moderator role (members with it see the moderator channel and decide held messages)",
        channel="an existing channel to use as the moderator channel (default: #mod-queue, made if missing)",
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def setup_command(
        self,
        interaction: discord.Interaction[ForumBridge],
        role: discord.Role | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Set up moderation in this server and say what is still missing."""
        guild = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        problem = role_problem(role) if role is not None else None
        if problem is not None:
            await reply(interaction, problem)
            return
        result = await self.service.run(guild, role=role, channel=channel, actor_id=interaction.user.id)
        await reply(interaction, setup_text(result))


async def setup(bot: ForumBridge) -> None:
    """Load the cog."""
    await bot.add_cog(Setup(bot))
