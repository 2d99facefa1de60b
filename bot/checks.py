"""Slash-command checks run on the server side, whatever the client was shown.

`app_commands.default_permissions` only hides a command in the Discord client, and a server
admin can change who sees it; these checks decide on every call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from bot.gate.facts import is_moderator

if TYPE_CHECKING:
    from bot.client import ForumBridge

T = TypeVar("T")

# What an admin command needs, for `default_permissions` and the check alike.
ADMIN_PERMISSIONS = discord.Permissions(manage_guild=True)
# What the client shows moderator commands to by default; the check also accepts the moderator role.
MODERATOR_PERMISSIONS = discord.Permissions(manage_messages=True)


class NotAdmin(app_commands.CheckFailure):
    """The user lacks Manage Server."""

    def __init__(self) -> None:
        super().__init__("Only admins (Manage Server) can change Forum Bridge's configuration.")


class NotModerator(app_commands.CheckFailure):
    """The user has neither the moderator role nor Manage Messages."""

    def __init__(self) -> None:
        super().__init__("Only moderators (the moderator role or Manage Messages) can use this command.")


class NotInGuild(app_commands.CheckFailure):
    """The command was used outside a server."""

    def __init__(self) -> None:
        super().__init__("This command works in a server, not in DMs.")


def _member(interaction: discord.Interaction[Any]) -> discord.Member:
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        raise NotInGuild()
    return interaction.user


async def user_is_admin(interaction: discord.Interaction[Any]) -> bool:
    """Manage Server (or Administrator) in this guild, as the interaction reports it."""
    permissions = _member(interaction).guild_permissions
    return permissions.manage_guild or permissions.administrator


async def user_is_moderator(interaction: discord.Interaction[ForumBridge]) -> bool:
    """The guild's moderator role, Manage Messages, or an admin."""
    member = _member(interaction)
    if await user_is_admin(interaction):
        return True
    settings = await interaction.client.community.settings(member.guild.id)
    return is_moderator(member, settings)


def admin_only() -> Callable[[T], T]:
    """Hide the command from non-admins in the client and refuse them on the server."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        if not await user_is_admin(interaction):
            raise NotAdmin()
        return True

    def decorator(func: T) -> T:
        func = app_commands.default_permissions(manage_guild=True)(func)
        func = app_commands.guild_only()(func)
        return app_commands.check(predicate)(func)

    return decorator


def moderator_only() -> Callable[[T], T]:
    """Show the command to Manage Messages by default; accept the moderator role too, on the server."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        if not await user_is_moderator(interaction):
            raise NotModerator()
        return True

    def decorator(func: T) -> T:
        func = app_commands.default_permissions(manage_messages=True)(func)
        func = app_commands.guild_only()(func)
        return app_commands.check(predicate)(func)

    return decorator
