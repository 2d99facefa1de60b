"""A set-up spine-and-arthritis server in SimCord, shared by the command suites (admin, queue, welcome)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.client import ForumBridge
from bot.community import Community
from bot.store import Store


@dataclass
class Server:
    """The seeded server: an admin, two kinds of moderator, a trainee, members, channels, synced commands."""

    env: Any
    bot: ForumBridge
    guild: Any
    general: Any
    offtopic: Any
    modqueue: Any
    moderators: Any
    admin: Any  # Manage Server (and Manage Messages, so the moderator groups show for them too)
    mod: Any  # has the moderator role (no Discord permission)
    janitor: Any  # has Manage Messages (no moderator role)
    alice: Any  # established
    newbie: Any
    helper: Any  # can read the moderator channel (a trainee) without being a moderator
    commands: dict[str, Any]

    @property
    def community(self) -> Community:
        """The bot's community cache."""
        return self.bot.community

    @property
    def store(self) -> Store:
        """The bot's store."""
        return self.bot.store

    def message_ids(self, channel: Any | None = None) -> list[int]:
        """Ids of the messages members see in a channel (the general one by default)."""
        return [m.id for m in (channel or self.general).history()]

    def cards(self) -> list[discord.Message]:
        """The bot's cards in the moderator channel, oldest first."""
        return [m for m in self.modqueue.history() if m.embeds and (m.embeds[0].footer.text or "").startswith("Item #")]

    async def posted(self, actor: Any, text: str, channel: Any | None = None) -> bool:
        """Post as a member; True when the message stayed up (allowed), False when the gate took it."""
        where = channel or self.general
        message = await actor.send(where, text)
        return message.id in [m.id for m in where.history()]

    def open_to_everyone(self, name: str) -> None:
        """Show a command to every member, as an admin could by mistake: the server-side check still refuses."""
        self.guild.set_command_permissions(self.commands[name], {self.guild.default_role: True, self.moderators: True})

    def bot_posts(self, channel: Any) -> list[discord.Message]:
        """What the bot posted in a channel that is not a card, oldest first."""
        return [m for m in channel.history() if m.author.id == self.bot.user.id and m not in self.cards()]  # type: ignore[union-attr]

    def pinged_roles(self, message: discord.Message) -> list[int]:
        """The roles SimCord actually pinged with a message (after its allowed mentions)."""
        return list(self.env.backend.get_message(message.channel.id, message.id).ping_role_ids)

    def pinged_users(self, message: discord.Message) -> list[int]:
        """The users SimCord actually pinged with a message."""
        return list(self.env.backend.get_message(message.channel.id, message.id).ping_user_ids)


async def build_server(env: Any, bot: ForumBridge, *, general_name: str, open_groups: Sequence[str]) -> Server:
    """Seed the server, set moderation up, sync the commands and open `open_groups` to the moderator role."""
    guild = env.create_guild("Spine & Arthritis Community")
    moderators = guild.create_role("Moderators")
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True, manage_messages=True))
    cleaners = guild.create_role("Cleaners", permissions=discord.Permissions(manage_messages=True))
    admin = guild.add_member(env.create_user("ada_admin", global_name="Ada"), roles=[admins])
    mod = guild.add_member(env.create_user("maria_mod", global_name="Maria (mod)"), roles=[moderators])
    janitor = guild.add_member(env.create_user("jan", global_name="Jan"), roles=[cleaners])
    alice = guild.add_member(env.create_user("alice", global_name="Alice"))
    newbie = guild.add_member(env.create_user("newbie", global_name="Nora New"))
    helper = guild.add_member(env.create_user("helen_helper", global_name="Helen"))
    general = guild.create_text_channel(general_name)
    offtopic = guild.create_text_channel("off-topic")
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
    await bot.community.set_moderation(guild.id, channel_id=modqueue.id, role_id=moderators.id)
    await bot.community.update_member(guild.id, alice.id, approved=5)
    commands = {command.name: command for command in await bot.tree.sync()}
    # What an admin does in Server Settings > Integrations: show the moderator commands to the moderator role.
    for name in open_groups:
        guild.set_command_permissions(commands[name], {moderators: True})
    await env.settle()
    return Server(
        env, bot, guild, general, offtopic, modqueue, moderators, admin, mod, janitor, alice, newbie, helper, commands
    )


async def open_command_to(server: Server, command: str, actor: Any) -> None:
    """An admin opens a command group to someone in the server's Integrations settings."""
    server.guild.set_command_permissions(server.commands[command.split(maxsplit=1)[0]], {actor: True})
