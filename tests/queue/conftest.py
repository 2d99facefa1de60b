"""A small community in SimCord with synced commands: an admin, moderators, members, a private moderator channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord
import pytest

from bot.client import ForumBridge


@dataclass
class Server:
    """The seeded server and its people."""

    env: Any
    bot: ForumBridge
    guild: Any
    general: Any
    modqueue: Any
    moderators: Any
    admin: Any
    mod: Any
    alice: Any
    newbie: Any
    helper: Any
    commands: dict[str, Any]

    def open_to_everyone(self, name: str) -> None:
        """Show a command to every member, as an admin could by mistake: the server-side check still refuses."""
        self.guild.set_command_permissions(self.commands[name], {self.guild.default_role: True, self.moderators: True})

    def cards(self) -> list[discord.Message]:
        """The bot's cards in the moderator channel, oldest first."""
        return [m for m in self.modqueue.history() if m.embeds and (m.embeds[0].footer.text or "").startswith("Item #")]

    def bot_posts(self, channel: Any) -> list[discord.Message]:
        """What the bot posted in a channel that is not a card, oldest first."""
        return [m for m in channel.history() if m.author.id == self.bot.user.id and m not in self.cards()]  # type: ignore[union-attr]

    def pinged_roles(self, message: discord.Message) -> list[int]:
        """The roles SimCord actually pinged with a message (after its allowed mentions)."""
        return list(self.env.backend.get_message(message.channel.id, message.id).ping_role_ids)

    def pinged_users(self, message: discord.Message) -> list[int]:
        """The users SimCord actually pinged with a message."""
        return list(self.env.backend.get_message(message.channel.id, message.id).ping_user_ids)


@pytest.fixture
async def server(simcord_env: Any, simcord_bot: ForumBridge) -> Server:
    """A spine-and-arthritis server: moderators by role, an admin by Manage Server, a trainee who can see the queue."""
    env = simcord_env
    guild = env.create_guild("Spine & Arthritis Community")
    moderators = guild.create_role("Moderators")
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True, manage_messages=True))
    admin = guild.add_member(env.create_user("ada_admin", global_name="Ada"), roles=[admins])
    mod = guild.add_member(env.create_user("maria_mod", global_name="Maria (mod)"), roles=[moderators])
    alice = guild.add_member(env.create_user("alice", global_name="Alice"))
    newbie = guild.add_member(env.create_user("newbie", global_name="Nora New"))
    helper = guild.add_member(env.create_user("helen_helper", global_name="Helen"))
    general = guild.create_text_channel("general")
    modqueue = guild.create_text_channel(
        "mod-queue",
        overwrites={
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            moderators: discord.PermissionOverwrite(view_channel=True),
            admins: discord.PermissionOverwrite(view_channel=True),
            helper: discord.PermissionOverwrite(view_channel=True),
            guild.me: discord.PermissionOverwrite(view_channel=True),
        },
    )
    community = simcord_bot.community
    await community.set_moderation(guild.id, channel_id=modqueue.id, role_id=moderators.id)
    await community.update_member(guild.id, alice.id, approved=5)
    synced = {command.name: command for command in await simcord_bot.tree.sync()}
    # What an admin does in Server Settings > Integrations: show the moderator commands to the moderator role.
    for name in ("queue", "welcome"):
        guild.set_command_permissions(synced[name], {moderators: True})
    await env.settle()
    return Server(env, simcord_bot, guild, general, modqueue, moderators, admin, mod, alice, newbie, helper, synced)
