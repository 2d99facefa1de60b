"""/member info | trust | untrust, end to end in SimCord, and their effect on screening."""

from __future__ import annotations

import pytest
from discord import app_commands

from bot.checks import NotModerator
from tests.admin.conftest import Server, open_command_to

NOT_MODERATOR = "Only moderators (the moderator role or Manage Messages) can use this command."


async def member(server: Server, actor_name: str, command: str, target: object) -> str:
    """Run a /member command about someone; its private reply."""
    result = await getattr(server, actor_name).slash(server.general, f"member {command}", member=target)
    assert result.ephemeral
    return str(result.response.content)


@pytest.mark.parametrize("command", ["info", "trust", "untrust"])
async def test_a_member_is_refused_every_member_command(server: Server, command: str) -> None:
    await open_command_to(server, f"member {command}", server.alice)
    assert await member(server, "alice", command, server.newbie) == NOT_MODERATOR
    assert [type(error) for error in server.env.errors] == [NotModerator]
    assert not (await server.store.members.get(server.guild.id, server.newbie.id)).trusted


async def test_members_are_not_shown_the_group(server: Server) -> None:
    assert not [name for name in server.alice.available_commands(server.general) if name.startswith("member")]


async def test_info_shows_counts_decisions_trust_and_preapprovals(server: Server) -> None:
    reply = await member(server, "mod", "info", server.newbie)
    assert reply.splitlines() == [
        f"**<@{server.newbie.id}>**",
        "Approved posts: 0 · held: 0 · rejected: 0",
        "Trusted: no",
        "Link pre-approvals: none",
        "Latest held messages: none",
    ]
    assert not await server.posted(server.newbie, "Hello all, first post")
    [card] = server.cards()
    await server.mod.click(card, label="Approve")
    assert not await server.posted(server.newbie, "my blog: backblog.net")
    await server.mod.slash(server.general, "links preapprove", member=server.newbie, domain="backblog.net", uses=3)
    reply = await member(server, "janitor", "info", server.newbie)
    lines = reply.splitlines()
    assert lines[1] == "Approved posts: 1 · held: 2 · rejected: 0"
    assert lines[3] == "Link pre-approvals: backblog.net (3 message(s) left)"
    assert lines[4] == "Latest held messages:"
    assert lines[5] == "• #2 pending (Link to backblog.net)"
    assert lines[6].startswith("• #1 approved by Maria (mod) <t:")
    assert lines[6].endswith(":d> (First post from a new member)")


async def test_info_about_a_moderator_says_they_are_never_screened(server: Server) -> None:
    assert "(moderator: never screened)" in (await member(server, "mod", "info", server.janitor)).splitlines()[0]


@pytest.mark.parametrize("actor_name", ["mod", "janitor", "admin"])
async def test_trust_skips_the_new_member_review_and_untrust_restores_it(server: Server, actor_name: str) -> None:
    reply = await member(server, actor_name, "trust", server.newbie)
    assert reply == (
        f"<@{server.newbie.id}> is now trusted: their posts skip the new-member review (links are still screened)."
    )
    assert await server.posted(server.newbie, "Hello all, first post")
    assert not await server.posted(server.newbie, "my blog: backblog.net")  # links are still screened
    assert "Trusted: yes" in await member(server, actor_name, "info", server.newbie)
    assert await member(server, actor_name, "trust", server.newbie) == (
        f"<@{server.newbie.id}> is already trusted: nothing changed."
    )
    reply = await member(server, actor_name, "untrust", server.newbie)
    assert reply.startswith(f"<@{server.newbie.id}> is no longer trusted")
    assert not await server.posted(server.newbie, "Hello again")
    assert await member(server, actor_name, "untrust", server.newbie) == (
        f"<@{server.newbie.id}> is not trusted: nothing changed."
    )
    actions = [row["action"] for row in await server.store.decisions.audit_entries(server.guild.id)]
    assert actions.count("trust") == 1
    assert actions.count("untrust") == 1


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("member trust", {}),
        ("member untrust", {}),
        ("links preapprove", {}),
        ("policy test", {"text": "hello"}),
    ],
)
async def test_a_bot_is_refused_as_the_member(server: Server, command: str, options: dict[str, object]) -> None:
    other_bot = server.guild.add_member(server.env.create_user("helperbot", bot=True))
    await server.env.settle()
    result = await server.mod.slash(server.general, command, member=other_bot, **options)
    assert result.ephemeral
    assert result.response.content == f"<@{other_bot.id}> is a bot: bots' messages are never screened."
    assert await server.store.members.all(server.guild.id) == [
        await server.store.members.get(server.guild.id, server.alice.id)
    ]


async def test_info_about_someone_who_left_shows_their_record(server: Server) -> None:
    # A spammer often leaves once held: the moderators still want their record.
    spammer_user = server.env.create_user("spammer", global_name="Cheap Pills")
    spammer = server.guild.add_member(spammer_user)
    assert not await server.posted(spammer, "best deals: pills-cheap.example/buy")
    server.guild.remove_member(spammer)
    await server.env.settle()
    reply = await member(server, "mod", "info", spammer_user)
    lines = reply.splitlines()
    assert lines[0] == f"**<@{spammer.id}>** (not in this server now)"
    assert lines[1] == "Approved posts: 0 · held: 1 · rejected: 0"
    assert lines[-1].startswith("• #1 pending (")


@pytest.mark.parametrize(
    ("command", "options"),
    [("member trust", {}), ("member untrust", {}), ("links preapprove", {"domain": "backblog.net"})],
)
async def test_a_command_about_someone_who_left_says_so(
    server: Server, command: str, options: dict[str, object]
) -> None:
    gone = server.env.create_user("gone", global_name="Gone Away")
    server.guild.add_member(gone)
    server.guild.remove_member(gone)
    await server.env.settle()
    result = await server.mod.slash(server.general, command, member=gone, **options)
    assert result.ephemeral
    assert result.response.content == f"<@{gone.id}> is not a member of this server (any more): nothing changed."
    assert (await server.store.members.get(server.guild.id, gone.id)).preapprovals == ()
    assert [type(error) for error in server.env.errors] == [app_commands.TransformerError]


@pytest.mark.parametrize("command", ["trust", "untrust"])
@pytest.mark.parametrize("target_name", ["mod", "janitor", "admin"])
async def test_trust_on_a_moderator_says_they_are_never_screened_and_changes_nothing(
    server: Server, command: str, target_name: str
) -> None:
    # Moderators are never screened: storing trust for one would change nothing, and saying their posts will
    # (or will not) skip review would be untrue.
    target = getattr(server, target_name)
    reply = await member(server, "admin", command, target)
    assert reply == f"<@{target.id}> is a moderator: moderators' posts are never screened, so trust changes nothing."
    assert not (await server.store.members.get(server.guild.id, target.id)).trusted
    assert [row["action"] for row in await server.store.decisions.audit_entries(server.guild.id)] == []
