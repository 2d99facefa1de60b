"""`/policy show | test | export` (moderators) and `/policy-admin set | import` (admins): the community's rules."""

from __future__ import annotations

import io
import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.admin.policy_file import MAX_IMPORT_BYTES
from bot.admin.service import PolicyChange
from bot.checks import ADMIN, MODERATOR, admin_only, command_group, moderator_only
from bot.client import ForumBridge
from bot.rules import Action, LinkClass, Reason
from bot.rules.catalogue import LINK_KEYS, RULES
from cogs.replies import answer, guild_of, person, reply

log = logging.getLogger(__name__)

ActionName = Literal["allow", "hold", "block"]
ScreenableChannel = discord.TextChannel | discord.ForumChannel | discord.CategoryChannel

# /policy-admin set's action options (declared one by one below: Discord needs them so) and the policy key each
# sets, from the catalogue. A rule whose action the policy file sets needs its option here and below.
ACTION_OPTIONS: dict[str, str] = {
    "internal_links": LINK_KEYS[LinkClass.INTERNAL],
    "allowed_links": LINK_KEYS[LinkClass.ALLOWED],
    "medical_links": RULES[Reason.MEDICAL_SITE].policy_key,
    "shortener_links": RULES[Reason.SHORTENED_LINK].policy_key,
    "invite_links": RULES[Reason.INVITE].policy_key,
    "external_links": RULES[Reason.EXTERNAL_LINK].policy_key,
    "emails": RULES[Reason.EMAIL].policy_key,
}


class PolicyCommands(commands.Cog):
    """Show, change, test, export and import the guild's policy."""

    policy = command_group("policy", "The community's rules: show, test and export them", MODERATOR)
    # Its own top-level command: Discord shows every subcommand to whom its top-level command is shown.
    policy_admin = command_group(
        "policy-admin", "Change the community's rules, or replace them with a file's (admins)", ADMIN
    )

    def __init__(self, bot: ForumBridge) -> None:
        self.bot = bot
        self.service = bot.services.admin

    @policy.command(name="show", description="The policy this server runs under")
    @moderator_only()
    async def show(self, interaction: discord.Interaction[ForumBridge]) -> None:
        """Reply with the policy in words."""
        await answer(interaction, self.service.policy_show(guild_of(interaction).id), filename="policy.txt")

    @policy_admin.command(name="set", description="Change the policy")
    @app_commands.describe(
        new_member_posts="approved posts a member needs to stop being new (1-1000; 0 only with the hold off)",
        hold_new_members="hold new members' posts for a moderator",
        internal_links="what to do with links to the forum's own sites",
        allowed_links="what to do with links to allowed domains",
        medical_links="what to do with links to medical web sites",
        shortener_links="what to do with shortened links",
        invite_links="what to do with invites to other Discord servers",
        external_links="what to do with links to every other site",
        emails="what to do with messages carrying an email address",
        channel="a channel, forum or category to screen or not (give screened too)",
        screened="whether messages in that channel are screened",
        raid_members="a raid is more than this many new members posting held links (1-10000)",
        raid_window="...within this many seconds (5-86400)",
        raid_bulk_delete="in a raid, remove the messages with bulk deletes",
    )
    @admin_only()
    async def set_policy(
        self,
        interaction: discord.Interaction[ForumBridge],
        new_member_posts: int | None = None,
        hold_new_members: bool | None = None,
        internal_links: ActionName | None = None,
        allowed_links: ActionName | None = None,
        medical_links: ActionName | None = None,
        shortener_links: ActionName | None = None,
        invite_links: ActionName | None = None,
        external_links: ActionName | None = None,
        emails: ActionName | None = None,
        channel: ScreenableChannel | None = None,
        screened: bool | None = None,
        raid_members: int | None = None,
        raid_window: int | None = None,
        raid_bulk_delete: bool | None = None,
    ) -> None:
        """Apply the options given, all or nothing."""
        given = {
            "internal_links": internal_links,
            "allowed_links": allowed_links,
            "medical_links": medical_links,
            "shortener_links": shortener_links,
            "invite_links": invite_links,
            "external_links": external_links,
            "emails": emails,
        }
        change = PolicyChange(
            hold=hold_new_members,
            posts=new_member_posts,
            actions={ACTION_OPTIONS[option]: Action(value) for option, value in given.items() if value is not None},
            channel_id=channel.id if channel is not None else None,
            screened=screened,
            raid_members=raid_members,
            raid_window=raid_window,
            raid_bulk_delete=raid_bulk_delete,
        )
        guild = guild_of(interaction)
        settings = await self.bot.community.settings(guild.id)
        work = self.service.policy_set(
            guild.id, change, actor_id=interaction.user.id, moderator_channel_id=settings.moderator_channel_id
        )
        await answer(interaction, work, filename="policy-set.txt")

    @policy.command(name="test", description="What would happen to a message, and why; nothing is posted or stored")
    @app_commands.describe(
        text="the message to judge",
        member="judge it as this member would get it (default: a new member)",
    )
    @moderator_only()
    async def test(
        self,
        interaction: discord.Interaction[ForumBridge],
        text: app_commands.Range[str, 1, 4000],
        member: discord.Member | None = None,
    ) -> None:
        """Judge the text with the engine and reply; nothing else happens."""
        who = await person(interaction, member) if member is not None else None
        await answer(interaction, self.service.policy_test(guild_of(interaction).id, text, who), filename="test.txt")

    @policy.command(name="export", description="The policy as a TOML file to edit and import")
    @moderator_only()
    async def export(self, interaction: discord.Interaction[ForumBridge]) -> None:
        """Reply with the policy file attached."""
        guild = guild_of(interaction)
        text = await self.service.policy_export(guild.id, guild.name)
        file = discord.File(io.BytesIO(text.encode("utf-8")), filename=f"policy-{guild.id}.toml")
        await reply(interaction, "This server's policy; change it and load it with /policy-admin import.", file=file)

    @policy_admin.command(name="import", description="Replace the policy with a TOML file's; all of it or nothing")
    @app_commands.describe(file="a policy file, as /policy export writes it")
    @admin_only()
    async def import_policy(self, interaction: discord.Interaction[ForumBridge], file: discord.Attachment) -> None:
        """Validate the whole file, then apply it."""
        guild = guild_of(interaction)
        if file.size > MAX_IMPORT_BYTES:
            await reply(
                interaction,
                f"Nothing was imported: {file.filename} is {file.size:,} bytes; a policy file is at most "
                f"{MAX_IMPORT_BYTES:,}.",
                filename="import.txt",
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await file.read()
        except discord.HTTPException as exc:
            log.warning("guild=%s: could not download the imported policy file (%s)", guild.id, exc.status)
            await reply(interaction, "Nothing was imported: I could not download the file; try again.")
            return
        channel_ids = {channel.id for channel in guild.channels}
        work = self.service.policy_import(guild.id, data, channel_ids, actor_id=interaction.user.id)
        await answer(interaction, work, filename="import.txt")


async def setup(bot: ForumBridge) -> None:
    """Load the cog."""
    await bot.add_cog(PolicyCommands(bot))
