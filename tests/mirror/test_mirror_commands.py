"""End to end in SimCord: /setup, /mirror preview | apply | status, renames, archives, refusals, the gate."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands
from simcord.backend.errors import BackendError

from bot.mirror.model import ChannelKind, MirrorRecord
from tests.mirror.conftest import BASE_URL, Place

# The forum ids of the small forum, and the names their channels get.
MIRRORED = {
    1: "Back Pain and Neck Pain",
    10: "lower-back-pain",
    11: "neck-pain",
    2: "Treatment",
    20: "back-surgery-and-neck-surgery",
    21: "injections",
    50: "introductions",
}


async def apply(place: Place) -> tuple[str, list[object]]:
    """Run /mirror apply as the admin; its reply and the channel calls it made."""
    start = len(place.env.http_requests)
    result = await place.admin.slash(place.general, "mirror apply")
    assert result.ephemeral
    return result.response.content, place.channel_calls(start)


async def set_up(place: Place) -> discord.TextChannel:
    """Run /setup with the moderator role; the moderator channel it made."""
    await place.admin.slash(place.general, "setup", role=place.moderators)
    channel = place.channel("mod-queue")
    assert isinstance(channel, discord.TextChannel)
    return channel


# --- /setup -------------------------------------------------------------------------------------


async def test_setup_creates_the_private_moderator_channel_and_stores_the_settings(place: Place) -> None:
    result = await place.admin.slash(place.general, "setup", role=place.moderators)
    assert result.ephemeral
    text = result.response.content
    channel = place.channel("mod-queue")
    assert f"Moderator channel: {channel.mention} (created)" in text
    assert f"Moderator role: <@&{place.moderators.id}>" in text
    assert "Nothing is missing" in text
    guild = place.discord_guild()
    assert not channel.permissions_for(guild.default_role).view_channel
    assert not channel.permissions_for(place.member_of(place.member)).view_channel
    assert not channel.permissions_for(place.member_of(place.newbie)).view_channel
    assert channel.permissions_for(place.member_of(place.mod)).view_channel
    assert channel.permissions_for(guild.me).view_channel
    settings = await place.bot.store.guilds.settings(place.guild.id)
    assert (settings.moderator_channel_id, settings.moderator_role_id) == (channel.id, place.moderators.id)
    assert (await place.bot.community.settings(place.guild.id)).moderator_channel_id == channel.id
    [entry] = await place.bot.store.decisions.audit_entries(place.guild.id)
    assert (entry["action"], entry["actor_id"]) == ("setup", place.admin.id)


async def test_a_member_cannot_see_or_post_in_the_moderator_channel(place: Place) -> None:
    await set_up(place)
    handle = place.guild.channels["mod-queue"]
    with pytest.raises(BackendError, match="Missing"):
        await place.member.send(handle, "can anyone read this?")
    assert handle.history(viewer=place.mod) == []


async def test_setup_again_adopts_the_channel_and_changes_nothing(place: Place) -> None:
    first = await set_up(place)
    start = len(place.env.http_requests)
    result = await place.admin.slash(place.general, "setup")
    assert "(already private)" in result.response.content
    assert f"<@&{place.moderators.id}>" in result.response.content  # the stored role is kept
    assert place.channel_calls(start) == []
    assert place.channel("mod-queue").id == first.id


async def test_setup_adopts_a_given_public_channel_and_makes_it_private(place: Place) -> None:
    staff = place.guild.create_text_channel("staff-room")
    await place.env.settle()
    result = await place.admin.slash(place.general, "setup", role=place.moderators, channel=staff)
    assert "(adopted and made private)" in result.response.content
    channel = place.channel("staff-room")
    assert not channel.permissions_for(place.member_of(place.member)).view_channel
    assert channel.permissions_for(place.member_of(place.mod)).view_channel
    settings = await place.bot.community.settings(place.guild.id)
    assert settings.moderator_channel_id == staff.id
    assert "mod-queue" not in [c.name for c in place.discord_guild().channels]


async def test_setup_says_what_is_still_missing(place: Place) -> None:
    place.take_from_bot(manage_webhooks=False, manage_threads=False)
    await place.env.settle()
    result = await place.admin.slash(place.general, "setup")
    text = result.response.content
    assert "Still missing:" in text
    assert "a moderator role: run /setup with the role option" in text
    assert "my Manage Webhooks permission (to publish approved messages under their author's name)" in text
    assert "my Manage Threads permission" in text
    assert "Manage Messages permission" not in text


async def test_setup_without_manage_channels_says_so_and_sets_no_channel(place: Place) -> None:
    place.take_from_bot(manage_channels=False)
    await place.env.settle()
    result = await place.admin.slash(place.general, "setup", role=place.moderators)
    text = result.response.content
    assert "Moderator channel: not set" in text
    assert "my Manage Channels permission" in text
    settings = await place.bot.store.guilds.settings(place.guild.id)
    assert (settings.moderator_channel_id, settings.moderator_role_id) == (None, place.moderators.id)


async def test_setup_says_how_to_show_the_moderator_commands_to_a_role_without_manage_messages(place: Place) -> None:
    helpers = place.guild.create_role("Helpers")
    await place.env.settle()
    text = (await place.admin.slash(place.general, "setup", role=helpers)).response.content
    assert "Server Settings → Integrations → Forum Bridge" in text
    assert "/policy, /links, /member, /queue, /welcome" in text
    # The fixture's moderator role has Manage Messages: Discord shows it the commands already.
    text = (await place.admin.slash(place.general, "setup", role=place.moderators)).response.content
    assert "Integrations" not in text


async def test_everyone_cannot_be_the_moderator_role(place: Place) -> None:
    result = await place.admin.slash(place.general, "setup", role=place.guild.default_role)
    assert "@everyone cannot be the moderator role" in result.response.content
    assert (await place.bot.store.guilds.settings(place.guild.id)).moderator_role_id is None


# --- refusals -------------------------------------------------------------------------------------


async def test_members_do_not_get_the_admin_commands(place: Place) -> None:
    offered = place.member.available_commands(place.general)
    assert not any(name.startswith(("mirror", "setup")) for name in offered)
    assert {"mirror preview", "mirror apply", "mirror status", "setup"} <= set(
        place.admin.available_commands(place.general)
    )


@pytest.mark.parametrize("command", ["mirror apply", "mirror preview", "mirror status", "setup"])
async def test_a_non_admin_let_in_by_a_server_override_is_still_refused(place: Place, command: str) -> None:
    # Server admins can open a command to anyone in Integrations settings; the bot checks for itself.
    [synced] = [c for c in await place.bot.tree.fetch_commands() if c.name == command.split(maxsplit=1)[0]]
    place.guild.set_command_permissions(synced, {place.member: True})
    start = len(place.env.http_requests)
    result = await place.member.slash(place.general, command)
    assert result.ephemeral
    assert result.response.content == "You are missing Manage Server permission(s) to run this command."
    [error] = place.env.errors
    assert isinstance(error, app_commands.MissingPermissions)
    assert place.channel_calls(start) == []
    assert await place.bot.store.mirror.records(place.guild.id) == []


# --- /mirror ---------------------------------------------------------------------------------------


async def test_preview_shows_the_plan_and_changes_nothing(place: Place) -> None:
    start = len(place.env.http_requests)
    result = await place.admin.slash(place.general, "mirror preview")
    assert result.ephemeral
    text = result.response.content
    assert f"Forum categories from {place.forum.path}: 2 categories, 5 text channels." in text
    assert "7 changes (7 Discord calls):" in text
    assert '1. create category "Back Pain and Neck Pain"' in text
    assert '5. create #back-surgery-and-neck-surgery in "Treatment"' in text
    assert "7. create #introductions at the top (no category)" in text
    assert place.channel_calls(start) == []
    assert await place.bot.store.mirror.records(place.guild.id) == []


async def test_apply_makes_one_call_per_change_and_a_second_apply_none(place: Place) -> None:
    text, calls = await apply(place)
    assert text.splitlines() == [
        "Applied 7 changes: 7 done, 0 failed.",
        '✓ create category "Back Pain and Neck Pain"',
        '✓ create category "Treatment"',
        '✓ create #lower-back-pain in "Back Pain and Neck Pain"',
        '✓ create #neck-pain in "Back Pain and Neck Pain"',
        '✓ create #back-surgery-and-neck-surgery in "Treatment"',
        '✓ create #injections in "Treatment"',
        "✓ create #introductions at the top (no category)",
    ]
    assert [(c.method, c.path) for c in calls] == [("POST", f"/guilds/{place.guild.id}/channels")] * 7
    surgery = place.channel("back-surgery-and-neck-surgery")
    assert isinstance(surgery, discord.TextChannel)
    assert surgery.category is not None
    assert surgery.category.name == "Treatment"
    assert surgery.topic == (
        f"Preparing for surgery and recovering from it.\n{BASE_URL}/categories/back-surgery-and-neck-surgery"
    )
    introductions = place.channel("introductions")
    assert introductions.category is None
    guild = place.discord_guild()
    assert [c.name for c in guild.categories] == ["Back Pain and Neck Pain", "Treatment"]
    pain = place.channel("Back Pain and Neck Pain")
    assert isinstance(pain, discord.CategoryChannel)
    assert [c.name for c in pain.channels] == ["lower-back-pain", "neck-pain"]
    records = await place.bot.store.mirror.records(place.guild.id)
    assert {r.forum_id: r.channel_id for r in records} == {
        forum_id: place.channel(name).id for forum_id, name in MIRRORED.items()
    }

    text, calls = await apply(place)
    assert calls == []
    assert text == "Discord already matched the forum: nothing was changed."


async def test_a_forum_rename_renames_the_channel_in_one_call(place: Place) -> None:
    await apply(place)
    before = place.channel("back-surgery-and-neck-surgery")
    place.forum.change(20, name="Spine Surgery", urlcode="spine-surgery")
    text, calls = await apply(place)
    assert text.splitlines() == [
        "Applied 1 change: 1 done, 0 failed.",
        "✓ #back-surgery-and-neck-surgery: rename to #spine-surgery, set topic",
    ]
    assert [(c.method, c.path) for c in calls] == [("PATCH", f"/channels/{before.id}")]
    assert calls[0].json["name"] == "spine-surgery"
    renamed = place.channel("spine-surgery")
    assert renamed.id == before.id
    assert isinstance(renamed, discord.TextChannel)
    assert renamed.topic is not None
    assert renamed.topic.endswith(f"{BASE_URL}/categories/spine-surgery")
    assert (await apply(place))[1] == []


async def test_a_category_gone_from_the_forum_is_archived_read_only(place: Place) -> None:
    await set_up(place)
    await apply(place)
    injections = place.channel("injections")
    place.forum.remove(21)
    text, calls = await apply(place)
    assert text.splitlines() == [
        "Applied 2 changes: 2 done, 0 failed.",
        '✓ create category "Archived" for archived channels',
        "✓ archive #injections: move to the archive, read-only for members",
    ]
    assert [(c.method, c.path) for c in calls] == [
        ("POST", f"/guilds/{place.guild.id}/channels"),
        ("PATCH", f"/channels/{injections.id}"),
    ]
    archived = place.channel("injections")
    assert archived.id == injections.id  # never deleted
    assert archived.category is not None
    assert archived.category.name == "Archived"
    member = place.member_of(place.member)
    assert archived.permissions_for(member).read_messages
    assert not archived.permissions_for(member).send_messages
    assert not archived.permissions_for(member).create_public_threads
    assert MirrorRecord(21, injections.id, ChannelKind.TEXT, archived=True) in await place.bot.store.mirror.records(
        place.guild.id
    )
    with pytest.raises(BackendError, match="Missing"):
        await place.member.send(place.guild.channels["injections"], "hello?")
    assert (await apply(place))[1] == []

    # Back on the forum: back in its category, writable again, in one call.
    place.forum.add(id=21, name="Injections", urlcode="injections", parent=2)
    text, calls = await apply(place)
    assert [(c.method, c.path) for c in calls] == [("PATCH", f"/channels/{injections.id}")]
    restored = place.channel("injections")
    assert restored.category is not None
    assert restored.category.name == "Treatment"
    assert restored.permissions_for(member).send_messages


async def test_restoring_from_the_archive_keeps_an_admins_own_read_only_settings(place: Place) -> None:
    await apply(place)
    guild = place.discord_guild()
    injections = place.channel("injections")
    surgery = place.channel("back-surgery-and-neck-surgery")
    assert isinstance(injections, discord.TextChannel)
    assert isinstance(surgery, discord.TextChannel)
    # An admin makes #injections an announcements-only channel: no one writes, threads are still allowed.
    await injections.set_permissions(guild.default_role, send_messages=False, create_public_threads=True)
    await place.env.settle()
    place.forum.remove(21)
    place.forum.remove(20)
    await apply(place)
    place.forum.add(id=20, name="Back Surgery and Neck Surgery", urlcode="back-surgery-and-neck-surgery", parent=2)
    place.forum.add(id=21, name="Injections", urlcode="injections", parent=2)
    text, _ = await apply(place)
    assert "✓ #injections: bring back from the archive" in text
    member = place.member_of(place.member)
    restored = place.channel("injections")
    assert not restored.permissions_for(member).send_messages  # the admin's denial, older than the archive
    assert restored.permissions_for(member).create_public_threads  # the admin's allow, back as it was
    assert restored.permissions_for(member).send_messages_in_threads  # the archive's own denial, taken back
    assert restored.overwrites_for(guild.default_role) == discord.PermissionOverwrite(
        send_messages=False, create_public_threads=True
    )
    assert guild.default_role not in place.channel("back-surgery-and-neck-surgery").overwrites  # as it was


async def test_a_new_members_post_in_a_mirrored_channel_is_held(place: Place) -> None:
    modqueue = await set_up(place)
    await apply(place)
    surgery = place.guild.channels["back-surgery-and-neck-surgery"]
    await place.newbie.send(surgery, "Hi, I have my fusion next week. Any tips?")
    assert [m for m in surgery.history() if m.author.id == place.newbie.id] == []
    cards = [m for m in place.guild.channels["mod-queue"].history() if m.embeds]
    assert len(cards) == 1
    assert "Any tips?" in (cards[0].embeds[0].description or "")
    assert cards[0].channel.id == modqueue.id


async def test_reordering_on_the_forum_is_one_call(place: Place) -> None:
    await apply(place)
    place.forum.change(10, order=99)  # Lower Back Pain after Neck Pain
    _, calls = await apply(place)
    assert [(c.method, c.path) for c in calls] == [("PATCH", f"/guilds/{place.guild.id}/channels")]
    pain = place.channel("Back Pain and Neck Pain")
    assert isinstance(pain, discord.CategoryChannel)
    assert [c.name for c in pain.channels] == ["neck-pain", "lower-back-pain"]
    assert (await apply(place))[1] == []


async def test_a_channel_deleted_by_hand_is_recreated(place: Place) -> None:
    await apply(place)
    lost = place.channel("neck-pain")
    place.env.backend.delete_channel(lost.id)
    await place.env.settle()
    _, calls = await apply(place)
    assert [(c.method, c.json["name"]) for c in calls] == [("POST", "neck-pain")]
    assert place.channel("neck-pain").id != lost.id


async def test_existing_channels_with_the_right_names_are_adopted(place: Place) -> None:
    place.guild.create_text_channel("introductions")
    await place.env.settle()
    existing = place.channel("introductions")
    text, calls = await apply(place)
    assert text.splitlines()[-2:] == [
        "Recorded 1 existing channel without a Discord call:",
        "• adopt the existing #introductions (no change on Discord)",
    ]
    assert len(calls) == 7  # six made, and the adopted one gets its topic
    assert place.channel("introductions").id == existing.id


async def test_an_interrupted_apply_resumes_without_duplicates(place: Place) -> None:
    place.env.inject_error("POST", f"/guilds/{place.guild.id}/channels", status=500, times=1)
    text, calls = await apply(place)
    assert text.startswith("Applied 7 changes: 4 done, 3 failed.")
    assert '✗ create category "Back Pain and Neck Pain": Discord error 500' in text
    assert '✗ create #lower-back-pain in "Back Pain and Neck Pain": its Discord category' in text
    assert len(calls) == 5  # the two channels whose category failed were never attempted
    text, calls = await apply(place)
    assert text.splitlines()[0] == "Applied 3 changes: 3 done, 0 failed."
    names = [c.name for c in place.discord_guild().channels]
    assert sorted(names) == sorted(["general", *MIRRORED.values()])


async def test_missing_permissions_are_reported_per_action(place: Place) -> None:
    place.take_from_bot(manage_channels=False)
    await place.env.settle()
    text, calls = await apply(place)
    assert text.startswith("Applied 7 changes: 0 done, 7 failed.")
    assert '✗ create category "Treatment": missing permission: I need Manage Channels' in text
    assert len(calls) == 3  # the categories and the top-level channel tried; the channels inside them skipped


async def test_an_unreadable_source_changes_nothing(place: Place) -> None:
    await apply(place)
    place.forum.path.write_text("[[category]\n", encoding="utf-8")
    text, calls = await apply(place)
    assert text.startswith("I could not read the forum's categories, so nothing was changed:")
    assert f"{place.forum.path}: not valid TOML" in text
    assert calls == []


async def test_an_apply_that_outlasts_its_interaction_token_still_reports_in_its_own_message(
    place: Place, caplog: pytest.LogCaptureFixture
) -> None:
    place.expire_interaction_tokens()  # as if the apply took more than 15 minutes
    start = len(place.env.http_requests)
    result = await place.admin.slash(place.general, "mirror apply")
    assert result.response is None or "Applied" not in (result.response.content or "")  # the follow-up was refused
    refused = [r for r in place.env.http_requests[start:] if r.path.startswith("/webhooks/")]
    assert refused  # it was tried, and Discord said 401 / 50027
    [report] = [m for m in place.general.history() if m.author.id == place.bot.user.id]  # type: ignore[union-attr]
    assert report.content.startswith(f"/mirror apply (by <@{place.admin.id}>): Applied 7 changes: 7 done, 0 failed.")
    assert '✓ create #injections in "Treatment"' in report.content
    assert len(place.channel_calls(start)) == 7  # the apply itself went through
    assert "Something went wrong" not in caplog.text  # no error escaped to the command's error handler
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_the_error_handler_survives_an_expired_interaction_token(
    place: Place, caplog: pytest.LogCaptureFixture
) -> None:
    await place.bot.store.close()  # an unexpected failure inside the command
    place.expire_interaction_tokens()
    await place.admin.slash(place.general, "mirror status")
    assert "command mirror status failed" in caplog.text  # logged, with the traceback
    assert "could not tell user" in caplog.text
    assert "(401, code 50027)" in caplog.text
    errors = place.env.errors  # what escaped into discord.py: the command's own failure, nothing more
    assert [type(e).__name__ for e in errors] == ["CommandInvokeError"]


async def test_an_apply_that_fails_unexpectedly_does_not_leave_its_message_saying_applying(place: Place) -> None:
    await place.bot.store.close()
    await place.admin.slash(place.general, "mirror apply")
    [message] = [m for m in place.general.history() if m.author.id == place.bot.user.id]  # type: ignore[union-attr]
    assert message.content == (
        f"/mirror apply (by <@{place.admin.id}>) stopped: something went wrong on my side; the logs have the details."
    )
    assert [type(e).__name__ for e in place.env.errors] == ["CommandInvokeError"]


async def test_a_forum_channel_with_a_mirrored_name_is_not_duplicated_by_a_text_one(place: Place) -> None:
    existing = place.guild.create_forum_channel("introductions")
    await place.env.settle()
    text, calls = await apply(place)
    assert "⚠️ #introductions already exists as a forum channel, and the mirror makes text channels" in text
    assert len(calls) == 6  # the seventh category, Introductions, is left out
    [introductions] = [c for c in place.discord_guild().channels if c.name == "introductions"]
    assert introductions.id == existing.id


async def test_a_parent_loop_in_the_file_is_an_error_and_archives_nothing(place: Place) -> None:
    await apply(place)
    place.forum.change(1, parent=10)  # the heading under one of its own categories: a typo
    text, calls = await apply(place)
    assert text.startswith("I could not read the forum's categories, so nothing was changed:")
    assert f"{place.forum.path}: categories 1, 10 are each other's parents" in text
    assert calls == []
    assert not any(r.archived for r in await place.bot.store.mirror.records(place.guild.id))


async def test_status_shows_the_mapping_the_last_sync_and_drift(place: Place) -> None:
    result = await place.admin.slash(place.general, "mirror status")
    assert "has not been mirrored here yet" in result.response.content
    await apply(place)
    text = (await place.admin.slash(place.general, "mirror status")).response.content
    assert "Mirrored: 7 forum categories → channels, 0 archived." in text
    assert f"from {place.forum.path}: 7 changes: 7 done, 0 failed" in text
    assert "Drift: none" in text
    surgery = place.channel("back-surgery-and-neck-surgery")
    assert f"• 20 «Back Surgery and Neck Surgery» → {surgery.mention}" in text.splitlines()
    # Someone renames a channel by hand: status shows what the next apply would undo.
    place.env.backend.edit_channel(place.channel("neck-pain").id, {"name": "neck-stuff"})
    await place.env.settle()
    start = len(place.env.http_requests)
    text = (await place.admin.slash(place.general, "mirror status")).response.content
    assert "Drift: 1 change(s) since the last sync" in text
    assert "• #neck-stuff: rename to #neck-pain" in text
    assert place.channel_calls(start) == []
    # And one deleted by hand, then the forum drops a category: the mapping says so.
    place.env.backend.delete_channel(surgery.id)
    place.forum.remove(21)
    await apply(place)
    text = (await place.admin.slash(place.general, "mirror status")).response.content
    assert "• 20 «Back Surgery and Neck Surgery» → <#" in text  # recreated by that apply
    assert f"• 21 «gone from the forum» → {place.channel('injections').mention} (archived)" in text


async def test_a_long_plan_comes_whole_as_a_file(place: Place) -> None:
    for n in range(60):
        place.forum.add(id=1000 + n, name=f"Support group {n}", urlcode=f"support-group-{n}", parent=2)
    result = await place.admin.slash(place.general, "mirror preview")
    response = result.response
    assert len(response.content) <= 2000
    assert response.content.endswith("… (the full text is attached)")
    [attachment] = response.attachments
    assert attachment.filename == "mirror-plan.txt"


async def test_forum_channels_when_configured(place: Place) -> None:
    from dataclasses import replace

    cog = place.bot.get_cog("Mirror")
    assert cog is not None
    service = cog.service  # type: ignore[attr-defined]
    forum_settings = replace(service.settings, channel_type="forum")
    from bot.mirror.service import MirrorService

    cog.service = MirrorService(place.bot, place.bot.community, forum_settings)  # type: ignore[attr-defined]
    await apply(place)
    assert isinstance(place.channel("back-surgery-and-neck-surgery"), discord.ForumChannel)
    assert (await apply(place))[1] == []
