"""Who Discord shows each command to matches who its server-side check lets run it: a table over the bot's tree.

Discord applies `default_member_permissions` to a top-level command only (discord-api-docs, Interactions/
Application Commands: it is a field of the application command object; the option structure that carries
subcommands has none): every subcommand is shown to whoever its top-level command is shown to. So each top-level
command's `default_permissions` must be exactly what the server-side check of every subcommand in it demands.
"""

from __future__ import annotations

import inspect
from typing import Any

import discord
from discord import app_commands

from bot.checks import requirement_of
from tests.admin.conftest import Server


def leaves(command: Any) -> list[app_commands.Command[Any, ..., Any]]:
    """The commands a member can run under a top-level command (itself, if it has no subcommands)."""
    if isinstance(command, app_commands.Group):
        return [leaf for child in command.commands for leaf in leaves(child)]
    return [command]


def demanded(command: app_commands.Command[Any, ..., Any]) -> discord.Permissions | None:
    """The Discord permissions a command's server-side check demands (None: no permission check)."""
    requirement = requirement_of(command)
    if requirement is not None:
        return requirement.shown_to
    for check in command.checks:
        # discord.py's own app_commands.checks.has_permissions (/setup, /mirror) keeps its flags in its closure.
        if check.__qualname__.startswith("has_permissions."):
            return discord.Permissions(**inspect.getclosurevars(check).nonlocals["perms"])
    return None


def table(server: Server) -> list[tuple[str, str, discord.Permissions | None, discord.Permissions | None]]:
    """(top-level name, full name, default_permissions shown, permissions demanded) for every runnable command."""
    return [
        (top.name, leaf.qualified_name, top.default_permissions, demanded(leaf))
        for top in server.bot.tree.get_commands()
        for leaf in leaves(top)
    ]


async def test_each_top_level_command_is_shown_to_exactly_whom_every_subcommand_admits(server: Server) -> None:
    rows = table(server)
    assert {name for name, *_ in rows} >= {"policy", "links", "member", "queue", "welcome", "setup", "mirror"}
    unchecked = [full for _, full, _, needed in rows if needed is None]
    assert not unchecked, f"no server-side permission check: {unchecked}"
    mismatched = [(full, shown, needed) for _, full, shown, needed in rows if shown != needed]
    assert not mismatched, "shown to other members than may run them: " + ", ".join(
        f"/{full} (shown to {shown}, runs for {needed})" for full, shown, needed in mismatched
    )


async def test_an_admin_with_manage_server_alone_sees_every_admin_command(server: Server) -> None:
    # Issue #11: /policy set and /policy import were hidden from her until the group was opened under Integrations.
    owners = server.guild.create_role("Owners", permissions=discord.Permissions(manage_guild=True))
    owner = server.guild.add_member(server.env.create_user("olga_owner", global_name="Olga"), roles=[owners])
    await server.env.settle()
    admin_only = {full for _, full, _, needed in table(server) if needed == discord.Permissions(manage_guild=True)}
    assert {"setup", "mirror apply"} <= admin_only
    assert len(admin_only) >= 8  # /setup, /mirror's three, and the policy, reminder and welcome settings
    assert admin_only <= set(owner.available_commands(server.general))


async def test_a_manage_messages_moderator_sees_every_moderator_command_and_no_admin_one(server: Server) -> None:
    rows = table(server)
    moderator = {full for _, full, _, needed in rows if needed == discord.Permissions(manage_messages=True)}
    admin_only = {full for _, full, _, needed in rows if needed == discord.Permissions(manage_guild=True)}
    shown = set(server.janitor.available_commands(server.general))
    assert {"policy show", "links allow", "member info", "queue list", "welcome preview"} <= moderator <= shown
    assert not admin_only & shown
