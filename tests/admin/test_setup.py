"""/setup in SimCord: the moderator role it accepts, and what it says is still missing."""

from __future__ import annotations

import discord
import pytest

from tests.admin.conftest import Server


async def setup_reply(server: Server, **options: object) -> str:
    """/setup as the admin; its private reply."""
    result = await server.admin.slash(server.general, "setup", **options)
    assert result.ephemeral
    texts = [message.content for message in [result.response, *result.followups] if message is not None]
    return "\n".join(text for text in texts if text)


@pytest.mark.parametrize("kind", ["bot", "booster"])
async def test_a_managed_role_is_refused_as_the_moderator_role_and_nothing_changes(server: Server, kind: str) -> None:
    # Discord hands managed roles out itself (the bot's own role, the Server Booster role, another app's role):
    # nobody can be made a moderator by giving it, and the bot's own role would make the bot its own moderator.
    if kind == "bot":
        [role] = [role for role in server.guild.roles.values() if role.name == server.bot.user.name]  # type: ignore[union-attr]
    else:
        role = server.guild.create_role("Server Booster", managed=True)
        await server.env.settle()
    overwrites_before = dict(server.bot.get_channel(server.modqueue.id).overwrites)  # type: ignore[union-attr]
    reply = await setup_reply(server, role=role)
    assert reply == (
        f"<@&{role.id}> is managed by Discord or an integration (a bot's own role, the Server Booster role or "
        "another app's): you cannot give it to moderators yourself, so it cannot be the moderator role. "
        "Pick a role you hand out; nothing was changed."
    )
    settings = await server.community.settings(server.guild.id)
    assert settings.moderator_role_id == server.moderators.id
    assert dict(server.bot.get_channel(server.modqueue.id).overwrites) == overwrites_before  # type: ignore[union-attr]
    assert [row["action"] for row in await server.store.decisions.audit_entries(server.guild.id)] == []


async def test_everyone_is_refused_as_the_moderator_role(server: Server) -> None:
    assert await setup_reply(server, role=server.guild.default_role) == (
        "@everyone cannot be the moderator role; pick a role."
    )
    assert (await server.community.settings(server.guild.id)).moderator_role_id == server.moderators.id


# What /setup asked for before it knew of time-outs, the archive's thread denials and reminders' pings.
OLD_LIST = discord.Permissions(
    view_channel=True,
    send_messages=True,
    read_message_history=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    manage_messages=True,
    manage_webhooks=True,
    manage_threads=True,
    manage_channels=True,
    manage_roles=True,
    use_application_commands=True,
)


def bot_role_permissions(server: Server, permissions: discord.Permissions) -> None:
    """The bot's own (managed) role gets exactly these permissions, as a narrower invite would give."""
    [bot_role] = [role for role in server.guild.roles.values() if role.name == server.bot.user.name]  # type: ignore[union-attr]
    server.env.backend.edit_role(server.guild.id, bot_role.id, {"permissions": permissions.value})
    # @everyone's permissions count for the bot too: keep them to what members need to talk.
    everyone = discord.Permissions(
        view_channel=True, send_messages=True, read_message_history=True, use_application_commands=True
    )
    server.env.backend.edit_role(server.guild.id, server.guild.id, {"permissions": everyone.value})


async def test_setup_names_every_permission_the_bot_still_needs(server: Server) -> None:
    bot_role_permissions(server, OLD_LIST)
    await server.env.settle()
    reply = await setup_reply(server, role=server.moderators)
    assert "Nothing is missing" not in reply
    missing = [line for line in reply.splitlines() if line.startswith("• my ")]
    assert missing == [
        '• my Moderate Members permission (to time members out ("Reject all & time out"))',
        "• my Send Messages in Threads permission (to make archived channels read-only)",
        "• my Create Public Threads permission (to make archived channels read-only)",
        "• my Create Private Threads permission (to make archived channels read-only)",
        "• my Mention Everyone permission (to ping the moderator role in queue reminders: it is not mentionable "
        "(or make it mentionable instead))",
    ]


async def test_a_mentionable_moderator_role_needs_no_mention_everyone(server: Server) -> None:
    bot_role_permissions(server, OLD_LIST | discord.Permissions(moderate_members=True, create_public_threads=True))
    server.env.backend.edit_role(server.guild.id, server.moderators.id, {"mentionable": True})
    await server.env.settle()
    reply = await setup_reply(server, role=server.moderators)
    assert [line for line in reply.splitlines() if line.startswith("• my ")] == [
        "• my Send Messages in Threads permission (to make archived channels read-only)",
        "• my Create Private Threads permission (to make archived channels read-only)",
    ]


async def test_a_managed_role_stored_before_is_dropped_and_asked_for_again(server: Server) -> None:
    # Stored before /setup refused them: boosters holding the Server Booster role would be moderators.
    boosters = server.guild.create_role("Server Booster", managed=True)
    booster = server.guild.add_member(server.env.create_user("bea_boost", global_name="Bea"), roles=[boosters])
    await server.env.settle()
    await server.community.set_moderation(server.guild.id, channel_id=server.modqueue.id, role_id=boosters.id)
    reply = await setup_reply(server)
    assert "• a moderator role: run /setup with the role option" in reply
    assert (await server.community.settings(server.guild.id)).moderator_role_id is None
    assert not await server.posted(booster, "Hello, my first post")  # screened like any new member again
