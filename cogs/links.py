"""`/links allow | disallow | list | check | preapprove | revoke`: which outside sites members may link to."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import MODERATOR, command_group, moderator_only
from bot.client import ForumBridge
from cogs.replies import answer, guild_of, person


class LinkCommands(commands.Cog):
    """Allowed domains, link checks and members' pre-approved links (moderator work)."""

    links = command_group("links", "Which outside sites members may link to", MODERATOR)

    def __init__(self, bot: ForumBridge) -> None:
        self.bot = bot
        self.service = bot.services.admin

    @links.command(name="allow", description="Let everyone's links to a domain through")
    @app_commands.describe(domain="a registrable domain, such as example.org (covers its subdomains)")
    @moderator_only()
    async def allow(self, interaction: discord.Interaction[ForumBridge], domain: str) -> None:
        """Add a domain to the allowed list."""
        work = self.service.allow(guild_of(interaction).id, domain, actor_id=interaction.user.id)
        await answer(interaction, work, filename="links.txt")

    @links.command(name="disallow", description="Take a domain off the allowed list")
    @app_commands.describe(domain="a domain on the allowed list")
    @moderator_only()
    async def disallow(self, interaction: discord.Interaction[ForumBridge], domain: str) -> None:
        """Remove a domain from the allowed list."""
        work = self.service.disallow(guild_of(interaction).id, domain, actor_id=interaction.user.id)
        await answer(interaction, work, filename="links.txt")

    @links.command(name="list", description="The forum's own domains and the allowed ones")
    @moderator_only()
    async def list_domains(self, interaction: discord.Interaction[ForumBridge]) -> None:
        """Reply with the lists."""
        await answer(interaction, self.service.list_domains(guild_of(interaction).id), filename="domains.txt")

    @links.command(name="check", description="A link's class and what would happen to it")
    @app_commands.describe(url="the link to check")
    @moderator_only()
    async def check(self, interaction: discord.Interaction[ForumBridge], url: app_commands.Range[str, 1, 2000]) -> None:
        """Classify the link under this server's policy."""
        await answer(interaction, self.service.check(guild_of(interaction).id, url), filename="check.txt")

    @links.command(name="preapprove", description="Let one member's links through: one domain or any non-medical site")
    @app_commands.describe(
        member="whose links",
        domain="only links to this domain (default: any non-medical outside site)",
        uses="for this many messages (default: until revoked)",
    )
    @moderator_only()
    async def preapprove(
        self,
        interaction: discord.Interaction[ForumBridge],
        member: discord.Member,
        domain: str | None = None,
        uses: int | None = None,
    ) -> None:
        """Grant a standing or counted pre-approval."""
        who = await person(interaction, member)
        work = self.service.preapprove(guild_of(interaction).id, who, domain, uses, actor_id=interaction.user.id)
        await answer(interaction, work, filename="preapprove.txt")

    @links.command(name="revoke", description="End a member's link pre-approvals: one domain's, or all")
    @app_commands.describe(member="whose pre-approvals", domain="only the pre-approval for this domain (default: all)")
    @moderator_only()
    async def revoke(
        self, interaction: discord.Interaction[ForumBridge], member: discord.Member, domain: str | None = None
    ) -> None:
        """Revoke pre-approvals."""
        who = await person(interaction, member)
        work = self.service.revoke(guild_of(interaction).id, who, domain, actor_id=interaction.user.id)
        await answer(interaction, work, filename="revoke.txt")


async def setup(bot: ForumBridge) -> None:
    """Load the cog."""
    await bot.add_cog(LinkCommands(bot))
