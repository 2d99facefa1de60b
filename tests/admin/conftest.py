"""A server with admins, moderators and members, the real bot in SimCord, and its commands synced."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord
import pytest

from bot.client import ForumBridge
from bot.community import Community
from bot.store import Store


@dataclass
class Server:
    """The seeded server: an admin, two kinds of moderator, members, channels."""

    env: Any
    bot: ForumBridge
    guild: Any
    general: Any
    offtopic: Any
    modqueue: Any
    moderators: Any
    admin: Any
    mod: Any  # has the moderator role (no Discord permission)
    janitor: Any  # has Manage Messages (no moderator role)
    alice: Any  # established
    newbie: Any

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


@pytest.fixture
async def server(simcord_env: Any, simcord_bot: ForumBridge) -> Server:
    """A spine-and-arthritis server, set up, with its commands synced."""
    env = simcord_env
    guild = env.create_guild("Spine & Arthritis Community")
    # Admins moderate too (Manage Messages), so the moderator groups show for them by default.
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True, manage_messages=True))
    moderators = guild.create_role("Moderators")
    cleaners = guild.create_role("Cleaners", permissions=discord.Permissions(manage_messages=True))
    admin = guild.add_member(env.create_user("ada_admin", global_name="Ada"), roles=[admins])
    mod = guild.add_member(env.create_user("maria_mod", global_name="Maria (mod)"), roles=[moderators])
    janitor = guild.add_member(env.create_user("jan", global_name="Jan"), roles=[cleaners])
    alice = guild.add_member(env.create_user("alice", global_name="Alice"))
    newbie = guild.add_member(env.create_user("newbie", global_name="Nora New"))
    general = guild.create_text_channel("back-surgery-and-neck-surgery")
    offtopic = guild.create_text_channel("off-topic")
    modqueue = guild.create_text_channel(
        "mod-queue",
        overwrites={
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            moderators: discord.PermissionOverwrite(view_channel=True),
            admins: discord.PermissionOverwrite(view_channel=True),
            guild.me: discord.PermissionOverwrite(view_channel=True),
        },
    )
    community = simcord_bot.community
    await community.set_moderation(guild.id, channel_id=modqueue.id, role_id=moderators.id)
    await community.update_member(guild.id, alice.id, approved=5)
    await simcord_bot.tree.sync()
    # The moderator role has no Discord permission: an admin opens the groups to it in Integrations.
    for synced in await simcord_bot.tree.fetch_commands():
        if synced.name in ("policy", "links", "member"):
            guild.set_command_permissions(synced, {moderators: True})
    await env.settle()
    return Server(env, simcord_bot, guild, general, offtopic, modqueue, moderators, admin, mod, janitor, alice, newbie)


async def open_command_to(server: Server, command: str, actor: Any) -> None:
    """An admin opens a command group to someone in the server's Integrations settings."""
    [synced] = [c for c in await server.bot.tree.fetch_commands() if c.name == command.split(maxsplit=1)[0]]
    server.guild.set_command_permissions(synced, {actor: True})
