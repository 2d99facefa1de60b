"""/policy show | set | test | export | import, end to end in SimCord, and their effect on screening."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands

from bot.checks import NotAdmin
from bot.gate.cards import RAID_MARKER
from bot.models import ItemState
from tests.admin.conftest import Server, open_command_to

NOT_ADMIN = "Only admins (Manage Server) can change Forum Bridge's configuration."
NOT_MODERATOR = "Only moderators (the moderator role or Manage Messages) can use this command."


async def export(server: Server) -> bytes:
    """/policy export as the admin: the attached file's bytes."""
    result = await server.admin.slash(server.general, "policy export")
    assert result.ephemeral
    [attachment] = result.response.attachments
    assert attachment.filename == f"policy-{server.guild.id}.toml"
    return await attachment.read()


async def import_file(server: Server, data: bytes, actor: object | None = None) -> str:
    """/policy import of a file; the reply."""
    result = await (actor or server.admin).slash(server.general, "policy-admin import", file=("policy.toml", data))  # type: ignore[attr-defined]
    assert result.ephemeral
    return result.response.content


# --- who may run what ----------------------------------------------------------------------------


async def test_members_are_not_shown_the_groups_and_moderators_are(server: Server) -> None:
    assert not [name for name in server.alice.available_commands(server.general) if name.startswith("policy")]
    moderator, admin = {"policy show", "policy test", "policy export"}, {"policy-admin set", "policy-admin import"}
    for actor in (server.admin, server.mod, server.janitor):
        assert moderator <= set(actor.available_commands(server.general))
    assert admin <= set(server.admin.available_commands(server.general))
    # The admin commands have their own top-level command: moderators are not shown what they may not run.
    for actor in (server.mod, server.janitor):
        assert not admin & set(actor.available_commands(server.general))


@pytest.mark.parametrize(
    ("command", "options"),
    [("policy show", {}), ("policy test", {"text": "hi"}), ("policy export", {})],
)
async def test_a_member_let_in_by_an_override_is_refused_moderator_commands(
    server: Server, command: str, options: dict[str, object]
) -> None:
    await open_command_to(server, command, server.alice)
    result = await server.alice.slash(server.general, command, **options)
    assert result.ephemeral
    assert result.response.content == NOT_MODERATOR
    assert isinstance(server.env.errors[-1], app_commands.CheckFailure)


@pytest.mark.parametrize("actor_name", ["mod", "janitor"])
async def test_moderators_are_refused_the_admin_commands(server: Server, actor_name: str) -> None:
    actor = getattr(server, actor_name)
    assert not [name for name in actor.available_commands(server.general) if name.startswith("policy-admin")]
    # Shown to them anyway (an admin's override in Integrations): the server still refuses.
    await open_command_to(server, "policy-admin", actor)
    result = await actor.slash(server.general, "policy-admin set", new_member_posts=3)
    assert (result.ephemeral, result.response.content) == (True, NOT_ADMIN)
    assert await import_file(server, b"[new_members]\napproved_posts_required = 3\n", actor) == NOT_ADMIN
    assert (await server.community.policy(server.guild.id)).new_member_posts == 1
    assert [type(error) for error in server.env.errors] == [NotAdmin, NotAdmin]


# --- /policy show ----------------------------------------------------------------------------------


@pytest.mark.parametrize("actor_name", ["admin", "mod", "janitor"])
async def test_show_reads_the_policy(server: Server, actor_name: str) -> None:
    result = await getattr(server, actor_name).slash(server.general, "policy show")
    assert result.ephemeral
    text = result.response.content
    assert "New members: hold on: a member's posts wait for a moderator until they have 1 approved post(s)" in text
    assert "• medical (medical web sites): block" in text
    assert "• external (every other outside site): hold" in text
    assert "Email addresses: hold" in text
    assert "Not screened: none" in text
    assert "Raid mode: more than 5 new member(s) posting held links within 60 s; bulk deletes on" in text


# --- /policy set -----------------------------------------------------------------------------------


async def test_hold_count_two_holds_the_second_post_too(server: Server) -> None:
    result = await server.admin.slash(server.general, "policy-admin set", new_member_posts=2)
    assert result.ephemeral
    assert result.response.content == "Policy changed:\n• new_members.approved_posts_required: 1 → 2"
    assert not await server.posted(server.newbie, "Hello, first post here")
    [card] = server.cards()
    await server.mod.click(card, label="Approve")
    assert (await server.community.member(server.guild.id, server.newbie.id)).approved_posts == 1
    # One approved post is no longer enough: the second waits too; a third after two approvals does not.
    assert not await server.posted(server.newbie, "And a second one")
    second = server.cards()[-1]
    await server.mod.click(second, label="Approve")
    assert await server.posted(server.newbie, "Third time, straight through")
    assert len(server.cards()) == 2


async def test_set_link_and_email_actions_change_screening(server: Server) -> None:
    assert not await server.posted(server.alice, "My physio's blog: backblog.net/exercises")
    result = await server.admin.slash(server.general, "policy-admin set", external_links="allow", emails="block")
    assert result.response.content.splitlines() == [
        "Policy changed:",
        "• links.actions.external: hold → allow",
        "• emails.action: hold → block",
        "Rules this turns off:",
        "• the review of links to every other outside site: they are published at once",
    ]
    assert await server.posted(server.alice, "My physio's blog: backblog.net/exercises")
    assert not await server.posted(server.alice, "write to me at alice@example.org")
    item = await server.store.items.get(len(server.cards()))
    assert item is not None
    assert item.state is ItemState.BLOCKED


async def test_set_hold_off_lets_new_members_post(server: Server) -> None:
    result = await server.admin.slash(server.general, "policy-admin set", hold_new_members=False)
    assert result.response.content.splitlines() == [
        "Policy changed:",
        "• new_members.hold: on → off",
        "Rules this turns off:",
        "• the new-member rule: new members' posts are no longer held for a moderator",
    ]
    show = await server.mod.slash(server.general, "policy show")
    assert "New members: hold off: new members' posts are not held for being new" in show.response.content
    assert await server.posted(server.newbie, "Hi all!")


async def test_set_a_channel_unscreened_and_screened_again(server: Server) -> None:
    result = await server.admin.slash(server.general, "policy-admin set", channel=server.offtopic, screened=False)
    assert result.response.content.splitlines() == [
        "Policy changed:",
        f"• screening.unscreened_channels: none → [{server.offtopic.id}]",
        "Rules this turns off:",
        f"• screening in <#{server.offtopic.id}>: nothing posted there is checked",
    ]
    assert await server.posted(server.newbie, "Hi all!", server.offtopic)
    assert not await server.posted(server.newbie, "Hi all!")  # elsewhere, still screened
    show = await server.mod.slash(server.general, "policy show")
    assert f"Not screened: <#{server.offtopic.id}>" in show.response.content
    await server.admin.slash(server.general, "policy-admin set", channel=server.offtopic, screened=True)
    assert not await server.posted(server.newbie, "Hi again!", server.offtopic)


@pytest.mark.parametrize(
    ("options", "reply"),
    [
        ({}, "Nothing to change: give at least one option (see /policy show for the current policy)."),
        ({"screened": False}, "Give `channel` and `screened` together: which channel, and whether to screen it."),
        ("channel", "Give `channel` and `screened` together: which channel, and whether to screen it."),
        (
            {"new_member_posts": -1},
            "Nothing was changed:\n• new_members.approved_posts_required must be between 0 and 1000",
        ),
        (
            {"new_member_posts": 5000, "external_links": "allow"},
            "Nothing was changed:\n• new_members.approved_posts_required must be between 0 and 1000",
        ),
        ("modqueue", "The moderator channel is never screened; choose another channel."),
        ({"raid_members": 0}, "Nothing was changed:\n• raid.new_members must be between 1 and 10000, not 0"),
        (
            {"raid_window": 4, "raid_bulk_delete": False},
            "Nothing was changed:\n• raid.window_seconds must be between 5 and 86400 (a day), not 4",
        ),
        (
            {"raid_members": 20_000, "raid_window": 90_000},
            "Nothing was changed:\n• raid.new_members must be between 1 and 10000, not 20000\n"
            "• raid.window_seconds must be between 5 and 86400 (a day), not 90000",
        ),
    ],
)
async def test_set_refuses_bad_arguments_and_changes_nothing(
    server: Server, options: dict[str, object] | str, reply: str
) -> None:
    if options == "channel":
        options = {"channel": server.offtopic}
    elif options == "modqueue":
        options = {"channel": server.modqueue, "screened": False}
    assert isinstance(options, dict)
    result = await server.admin.slash(server.general, "policy-admin set", **options)
    assert result.ephemeral
    assert result.response.content == reply
    assert await server.store.guilds.policy_overrides(server.guild.id) == {}
    assert (await server.community.settings(server.guild.id)).unscreened_channel_ids == frozenset()


def raid_cards(server: Server) -> list[discord.Message]:
    """The raid cards in the moderator channel."""
    return [
        m for m in server.modqueue.history() if m.embeds and (m.embeds[0].footer.text or "").startswith(RAID_MARKER)
    ]


@pytest.mark.parametrize("raid_members", [None, 2])
async def test_set_raid_members_makes_a_smaller_wave_a_raid(server: Server, raid_members: int | None) -> None:
    if raid_members is not None:
        result = await server.admin.slash(server.general, "policy-admin set", raid_members=raid_members)
        assert (result.ephemeral, result.response.content) == (True, "Policy changed:\n• raid.new_members: 5 → 2")
        show = await server.mod.slash(server.general, "policy show")
        assert "Raid mode: more than 2 new member(s) posting held links within 60 s; bulk deletes on" in (
            show.response.content
        )
    for n in range(3):
        raider = server.guild.add_member(server.env.create_user(f"raider{n}", global_name=f"Raider {n}"))
        await raider.send(server.general, f"join us: cheap-pills.net/{n}")
    await server.bot.gate.outbox.idle()
    await server.env.settle()
    assert server.message_ids() == []  # held either way
    assert len(await server.store.items.open(server.guild.id)) == 3
    if raid_members is None:
        assert raid_cards(server) == []  # the shipped setting: a raid is more than 5
    else:
        [card] = raid_cards(server)
        assert "3 new members posted held links within 60 s (more than 2)" in (card.embeds[0].description or "")
    # Another server keeps the shipped settings.
    assert (await server.community.raid(server.guild.id + 1)).new_members == 5


async def test_set_raid_window_and_bulk_deletes(server: Server) -> None:
    result = await server.admin.slash(server.general, "policy-admin set", raid_window=300, raid_bulk_delete=False)
    assert result.response.content.splitlines() == [
        "Policy changed:",
        "• raid.window_seconds: 60 → 300",
        "• raid.bulk_delete: on → off",
    ]
    assert await server.store.guilds.policy_overrides(server.guild.id) == {
        "raid": {"window_seconds": 300, "bulk_delete": False}
    }
    show = await server.mod.slash(server.general, "policy show")
    assert "within 300 s; bulk deletes off" in show.response.content


async def test_set_to_the_current_value_says_so(server: Server) -> None:
    result = await server.admin.slash(server.general, "policy-admin set", medical_links="block")
    assert result.response.content == "That is already the policy: nothing changed."


# --- /policy test ----------------------------------------------------------------------------------


async def test_test_explains_the_verdict_as_each_member_gets_it(server: Server) -> None:
    text = "see backblog.net/exercises and www.webmd.com/back"
    as_new = await server.mod.slash(server.general, "policy test", text=text)
    assert as_new.ephemeral
    lines = as_new.response.content.splitlines()
    assert lines[0].startswith("As a new member would get it, this message would be **blocked")
    assert "• First post from a new member" in lines
    assert "• Link to backblog.net" in lines
    assert "• Medical site: webmd.com — not permitted" in lines
    assert "• backblog.net: external" in lines
    assert lines[-1] == "(A test: nothing was posted or stored.)"

    as_alice = await server.mod.slash(server.general, "policy test", text="see backblog.net", member=server.alice)
    assert as_alice.response.content.startswith(f"As <@{server.alice.id}> would get it, this message would be **held")
    assert "First post from a new member" not in as_alice.response.content

    as_mod = await server.janitor.slash(server.general, "policy test", text=text, member=server.mod)
    assert "would be **allowed" in as_mod.response.content
    assert "Moderators are exempt from every rule." in as_mod.response.content


async def test_test_posts_and_stores_nothing(server: Server) -> None:
    before = server.env.http_requests[:]
    result = await server.mod.slash(
        server.general, "policy test", text="hi from alice@example.org", member=server.newbie
    )
    assert "Reasons:\n• First post from a new member\n• Email address" in result.response.content
    calls = [r for r in server.env.http_requests[len(before) :] if r.method != "GET"]
    assert all("/interactions/" in r.path or "/webhooks/" in r.path for r in calls)  # only the reply itself
    assert server.message_ids() == []
    assert server.cards() == []
    assert await server.store.items.open(server.guild.id) == []
    assert [m.user_id for m in await server.store.members.all(server.guild.id)] == [server.alice.id]
    assert await server.store.decisions.audit_entries(server.guild.id) == []


async def test_test_refuses_blank_text(server: Server) -> None:
    result = await server.mod.slash(server.general, "policy test", text="   ")
    assert (result.ephemeral, result.response.content) == (True, "Give some text to test.")


# --- /policy export and import -----------------------------------------------------------------------


async def test_export_import_round_trips_exactly(server: Server) -> None:
    await server.admin.slash(
        server.general, "policy-admin set", new_member_posts=3, external_links="allow", emails="block"
    )
    await server.admin.slash(server.general, "policy-admin set", raid_members=2, raid_window=30)
    await server.admin.slash(server.general, "policy-admin set", channel=server.offtopic, screened=False)
    await server.mod.slash(server.general, "links allow", domain="backblog.net")
    exported = await export(server)
    text = exported.decode()
    assert "approved_posts_required = 3\n" in text
    assert 'allowed_domains = ["backblog.net"]\n' in text
    assert f"unscreened_channels = [{server.offtopic.id}]\n" in text
    assert "\n[raid]\n" in text
    assert "new_members = 2\nwindow_seconds = 30\nbulk_delete = true\n" in text
    policy = await server.community.policy(server.guild.id)
    raid = await server.community.raid(server.guild.id)

    # Back to the shipped defaults (an empty file), then the export again.
    reply = await import_file(server, b"")
    assert "links.actions.external: allow → hold" in reply
    assert "raid.window_seconds: 30 → 60" in reply
    assert (await server.community.policy(server.guild.id)).new_member_posts == 1
    assert (await server.community.raid(server.guild.id)).new_members == 5
    assert await server.store.guilds.allowed_domains(server.guild.id) == frozenset()
    reply = await import_file(server, exported)
    assert reply.startswith("Imported. Changes:")
    assert "raid.new_members: 5 → 2" in reply
    assert await export(server) == exported
    assert await server.community.policy(server.guild.id) == policy
    assert await server.community.raid(server.guild.id) == raid
    assert (await server.community.settings(server.guild.id)).unscreened_channel_ids == {server.offtopic.id}
    # The same file again changes nothing.
    assert await import_file(server, exported) == "Imported: the file matches the current policy, so nothing changed."
    assert await export(server) == exported


async def test_an_export_naming_a_deleted_channel_imports_back(server: Server) -> None:
    await server.admin.slash(server.general, "policy-admin set", channel=server.offtopic, screened=False)
    server.env.backend.delete_channel(server.offtopic.id)
    await server.env.settle()
    exported = await export(server)
    assert f"unscreened_channels = [{server.offtopic.id}]\n" in exported.decode()
    # The admin edits the hold count in that file and loads it back: the old id is no reason to refuse it.
    edited = exported.replace(b"approved_posts_required = 1\n", b"approved_posts_required = 2\n")
    assert await import_file(server, edited) == ("Imported. Changes:\n• new_members.approved_posts_required: 1 → 2")
    # A channel that was never this server's is still refused.
    reply = await import_file(server, b"[screening]\nunscreened_channels = [12345]\n")
    assert reply.endswith("• screening.unscreened_channels: 12345 is not a channel, forum or category in this server")


async def test_import_changes_screening(server: Server) -> None:
    reply = await import_file(server, b'[new_members]\nhold = false\n[links]\nallowed_domains = ["backblog.net"]\n')
    assert reply.splitlines() == [
        "Imported. Changes:",
        "• new_members.hold: on → off",
        "• links.allowed_domains: none → [backblog.net]",
        "Rules this turns off:",
        "• the new-member rule: new members' posts are no longer held for a moderator",
    ]
    assert await server.posted(server.newbie, "Hi! my blog: backblog.net/me")
    # The imported domain is on the guild's own list, so /links disallow takes it off.
    await server.mod.slash(server.general, "links disallow", domain="backblog.net")
    assert not await server.posted(server.newbie, "my blog again: backblog.net/me")


async def test_import_lists_every_error_with_its_key_and_applies_nothing(server: Server) -> None:
    before = await export(server)
    bad = b"""
[new_members]
hold = "yes"
approved_posts_required = 2
colour = "blue"

[links]
allowed_domains = ["backblog.net", "co.uk"]
medical_list = "my_list.txt"

[links.actions]
external = "maybe"
rumours = "block"

[emails]
action = "allow"

[screening]
unscreened_channels = [12345]

[raid]
window_seconds = 3

[extras]
"""
    reply = await import_file(server, bad)
    assert sorted(reply.splitlines()) == sorted(
        [
            "Nothing was imported: the file has 9 problem(s).",
            "• links.medical_list cannot be changed here: every server uses the shipped list ('medical_domains.txt')",
            "• links.allowed_domains: co.uk is a public suffix shared by many unrelated sites; give one site's "
            "domain, such as example.co.uk",
            "• unknown section [extras]",
            "• unknown key new_members.colour",
            "• new_members.hold must be true or false, not 'yes'",
            "• unknown link class links.actions.rumours (one of: internal, allowed, medical, shortener, invite, "
            "external)",
            "• links.actions.external must be one of allow, hold, block, not 'maybe'",
            "• screening.unscreened_channels: 12345 is not a channel, forum or category in this server",
            "• raid.window_seconds must be between 5 and 86400 (a day), not 3",
        ]
    )
    assert await export(server) == before
    assert await server.store.guilds.allowed_domains(server.guild.id) == frozenset()


@pytest.mark.parametrize(
    ("data", "reply"),
    [
        (
            b"[new_members\nhold = true\n",
            "Nothing was imported: the file has 1 problem(s).\n• the file is not valid TOML:",
        ),
        (b"\xff\xfe\x00bad", "Nothing was imported: the file has 1 problem(s).\n• the file is not UTF-8 text"),
        (
            b"[screening]\nunscreened_channels = ['general']\n",
            "Nothing was imported: the file has 1 problem(s).\n"
            "• screening.unscreened_channels must be a list of channel ids (whole numbers)",
        ),
    ],
)
async def test_import_refuses_unreadable_files(server: Server, data: bytes, reply: str) -> None:
    assert (await import_file(server, data)).startswith(reply)
    assert await server.store.guilds.policy_overrides(server.guild.id) == {}


async def test_import_refuses_a_file_too_big(server: Server) -> None:
    reply = await import_file(server, b"#" * (256 * 1024 + 1))
    assert reply == "Nothing was imported: policy.toml is 262,145 bytes; a policy file is at most 262,144."


async def test_every_group_is_shown_to_manage_messages_by_default(server: Server) -> None:
    synced = {command.name: command for command in await server.bot.tree.fetch_commands()}
    for name in ("policy", "links", "member"):
        assert synced[name].default_member_permissions == discord.Permissions(manage_messages=True)
        assert not synced[name].dm_permission
    # The admin subcommands are a top-level command of their own, as Discord syncs it: shown to Manage Server.
    assert synced["policy-admin"].default_member_permissions == discord.Permissions(manage_guild=True)
    assert not synced["policy-admin"].dm_permission


async def test_test_spends_no_preapproval(server: Server) -> None:
    await server.mod.slash(server.general, "links preapprove", member=server.alice, domain="backblog.net", uses=1)
    result = await server.mod.slash(server.general, "policy test", text="see backblog.net/x", member=server.alice)
    assert "would be **allowed" in result.response.content
    [grant] = await server.store.members.preapprovals(server.guild.id, server.alice.id)
    assert grant.uses_left == 1
    assert await server.posted(server.alice, "see backblog.net/x")  # the use is still there for a real post


# --- a rule switched off, and the contradiction that only looked like one ------------------------------

HOLDS_NOTHING_IMPORT = (
    "new_members: approved_posts_required = 0 with hold = true holds nothing while the rule reads as on; "
    "to turn the new-member rule off, set hold = false"
)
HOLDS_NOTHING_SET = (
    "Nothing was changed: 0 approved posts with the new-member hold on would hold nothing while the rule reads "
    "as on. To turn the new-member rule off, use hold_new_members:False."
)


@pytest.mark.parametrize("hold", [b"", b"hold = true\n"])
async def test_import_of_zero_posts_with_the_hold_on_is_refused_saying_hold_false_turns_it_off(
    server: Server, hold: bytes
) -> None:
    reply = await import_file(server, b"[new_members]\n" + hold + b"approved_posts_required = 0\n")
    assert reply == f"Nothing was imported: the file has 1 problem(s).\n• {HOLDS_NOTHING_IMPORT}"
    assert (await server.community.policy(server.guild.id)).new_member_posts == 1
    assert not await server.posted(server.newbie, "Hi all!")  # still held for being new


@pytest.mark.parametrize("options", [{"new_member_posts": 0}, {"new_member_posts": 0, "hold_new_members": True}])
async def test_set_of_zero_posts_with_the_hold_on_is_refused_saying_how_to_turn_it_off(
    server: Server, options: dict[str, object]
) -> None:
    result = await server.admin.slash(server.general, "policy-admin set", **options)
    assert (result.ephemeral, result.response.content) == (True, HOLDS_NOTHING_SET)
    assert (await server.community.policy(server.guild.id)).new_member_posts == 1
    assert [row["action"] for row in await server.store.decisions.audit_entries(server.guild.id)] == []


async def test_hold_back_on_over_zero_posts_is_refused_too(server: Server) -> None:
    result = await server.admin.slash(server.general, "policy-admin set", hold_new_members=False, new_member_posts=0)
    assert result.response.content.splitlines()[-1] == (
        "• the new-member rule: new members' posts are no longer held for a moderator"
    )
    result = await server.admin.slash(server.general, "policy-admin set", hold_new_members=True)
    assert result.response.content == HOLDS_NOTHING_SET
    assert not (await server.community.policy(server.guild.id)).new_member_hold


async def test_an_import_that_switches_rules_off_says_so(server: Server) -> None:
    await server.admin.slash(server.general, "policy-admin set", emails="block")
    data = (
        b"""[new_members]
hold = false
[links.actions]
medical = "allow"
[emails]
action = "allow"
[screening]
unscreened_channels = [%d]
"""
        % server.offtopic.id
    )
    lines = (await import_file(server, data)).splitlines()
    off = lines[lines.index("Rules this turns off:") + 1 :]
    assert off == [
        "• the new-member rule: new members' posts are no longer held for a moderator",
        "• the review of links to medical web sites: they are published at once",
        "• the review of email addresses: they are published at once",
        f"• screening in <#{server.offtopic.id}>: nothing posted there is checked",
    ]
    # Turning a rule back on is no news: the reply lists the change alone.
    reply = await import_file(server, b"")
    assert "Rules this turns off:" not in reply
