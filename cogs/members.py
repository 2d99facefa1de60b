"""`/member info | trust | untrust`: what the community knows of a member, and trusting them."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import MODERATOR, command_group, moderator_only
from bot.client import ForumBridge
from cogs.replies import answer, guild_of, person


class MemberCommands(commands.Cog):
    """A member's record and trust (moderator work)."""

    member = command_group("member", "A member's record, and trusting them", MODERATOR)

    def __init__(self, bot: ForumBridge) -> None:
        self.bot = bot
        self.service = bot.services.admin

    @member.command(name="info", description="Approved posts, holds, decisions, trust and pre-approved links")
    @app_commands.describe(member="the member (or someone who has left)")
    @moderator_only()
    async def info(self, interaction: discord.Interaction[ForumBridge], member: discord.Member | discord.User) -> None:
        """Reply with the member's record."""
        who = await person(interaction, member)
        await answer(interaction, self.service.member_info(guild_of(interaction).id, who), filename="member.txt")

    @member.command(name="trust", description="Trust a member: their posts skip the new-member review")
    @app_commands.describe(member="the member to trust")
    @moderator_only()
    async def trust(self, interaction: discord.Interaction[ForumBridge], member: discord.Member) -> None:
        """Mark the member trusted."""
        who = await person(interaction, member)
        work = self.service.set_trusted(guild_of(interaction).id, who, True, actor_id=interaction.user.id)
        await answer(interaction, work, filename="member.txt")

    @member.command(name="untrust", description="Stop trusting a member")
    @app_commands.describe(member="the member")
    @moderator_only()
    async def untrust(self, interaction: discord.Interaction[ForumBridge], member: discord.Member) -> None:
        """Mark the member not trusted."""
        who = await person(interaction, member)
        work = self.service.set_trusted(guild_of(interaction).id, who, False, actor_id=interaction.user.id)
        await answer(interaction, work, filename="member.txt")


async def setup(bot: ForumBridge) -> None:
    """Load the cog."""
    await bot.add_cog(MemberCommands(bot))
