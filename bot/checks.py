"""Slash-command checks run on the server side, whatever the client was shown; and who the client shows them to.

`default_permissions` only hides a command in the Discord client, and a server admin can change who sees it;
these checks decide on every call. Discord applies `default_member_permissions` to a top-level command only
(discord-api-docs, Interactions/Application Commands, Application Command Object: it is a field of the command;
the option structure that carries subcommands and groups has none; discord.py: "Due to a Discord limitation,
this does not work on subcommands"). So a group's subcommands are all shown to whoever the group is shown to:
each group holds commands of one requirement only, and `command_group` gives it that requirement's permissions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

import discord
from discord import app_commands

from bot.auth import is_admin, is_moderator
from bot.community import Community


class _WithCommunity(Protocol):
    """The bot as a check needs it (the client type would tie the checks to everything the client builds)."""

    @property
    def community(self) -> Community: ...


T = TypeVar("T")

# What an admin command needs, for `default_permissions` and the check alike.
ADMIN_PERMISSIONS = discord.Permissions(manage_guild=True)
# What the client shows moderator commands to by default; the check also accepts the moderator role.
MODERATOR_PERMISSIONS = discord.Permissions(manage_messages=True)


@dataclass(frozen=True, slots=True)
class Requirement:
    """Who may run a command (checked on the server), and whom Discord shows it to by default."""

    name: str
    shown_to: discord.Permissions


ADMIN = Requirement("admin", ADMIN_PERMISSIONS)
MODERATOR = Requirement("moderator", MODERATOR_PERMISSIONS)


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
    """Manage Server (or Administrator) in this guild (bot/auth.py decides)."""
    return is_admin(_member(interaction))


async def user_is_moderator(interaction: discord.Interaction[Any]) -> bool:
    """The guild's moderator role, Manage Messages, or an admin (bot/auth.py decides)."""
    member = _member(interaction)
    if is_admin(member):
        return True  # no settings needed
    client = cast(_WithCommunity, interaction.client)
    settings = await client.community.settings(member.guild.id)
    return is_moderator(member, settings)


class _Check:
    """A server-side check that knows its requirement, so the command tree can be compared with who sees it."""

    def __init__(self, requirement: Requirement) -> None:
        self.requirement = requirement

    async def __call__(self, interaction: discord.Interaction[Any]) -> bool:
        if self.requirement is ADMIN:
            if not await user_is_admin(interaction):
                raise NotAdmin()
        elif not await user_is_moderator(interaction):
            raise NotModerator()
        return True


def requirement_of(command: app_commands.Command[Any, ..., Any]) -> Requirement | None:
    """The requirement admin_only or moderator_only put on a command, if either did."""
    for check in command.checks:
        if isinstance(check, _Check):
            return check.requirement
    return None


def command_group(name: str, description: str, requirement: Requirement) -> app_commands.Group:
    """A guild-only group shown by default to exactly whom its subcommands' checks admit."""
    return app_commands.Group(
        name=name, description=description, guild_only=True, default_permissions=requirement.shown_to
    )


def _requiring(requirement: Requirement) -> Callable[[T], T]:
    def decorator(func: T) -> T:
        # Effective on a top-level command only; a subcommand is shown as its group is (see command_group).
        func = app_commands.default_permissions(requirement.shown_to)(func)
        func = app_commands.guild_only()(func)
        return app_commands.check(_Check(requirement))(func)

    return decorator


def admin_only() -> Callable[[T], T]:
    """Refuse non-admins on the server (and, on a top-level command, hide it from them in the client)."""
    return _requiring(ADMIN)


def moderator_only() -> Callable[[T], T]:
    """Refuse non-moderators on the server; the client shows the command to Manage Messages by default."""
    return _requiring(MODERATOR)
