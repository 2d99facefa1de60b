"""Queue reminders on SimCord's virtual clock: not before the period, once per item per period, never once decided."""

from __future__ import annotations

import logging

import discord
import pytest

from tests.queue.conftest import Server

HOUR = 3600
# The reminder task wakes every 5 minutes, so a reminder is at most that late.
CHECK = 5 * 60
RETRY = 5 * 60  # the pause after a failed reminder


def reminders(server: Server) -> list[discord.Message]:
    """The bot's reminders in the moderator channel, oldest first."""
    return [m for m in server.modqueue.history() if m.content.startswith("⏰")]


async def test_an_item_is_reminded_once_per_period_and_never_after_its_decision(server: Server) -> None:
    await server.newbie.send(server.general, "Hi all, I had an L4/5 fusion last month.")
    [card] = server.cards()
    await server.env.advance_time(12 * HOUR - 1)
    assert reminders(server) == []  # not before the period

    await server.env.advance_time(1 + CHECK)
    [reminder] = reminders(server)
    assert reminder.content.startswith(f"⏰ <@&{server.moderators.id}> 1 held message has waited more than 12 hours:")
    assert card.jump_url in reminder.content
    assert server.pinged_roles(reminder) == [server.moderators.id]  # the moderator role, and only it
    assert server.pinged_users(reminder) == []

    await server.env.advance_time(6 * HOUR)
    assert len(reminders(server)) == 1  # once per period

    await server.env.advance_time(6 * HOUR + CHECK)
    assert len(reminders(server)) == 2  # still waiting a period later: reminded again
    assert card.jump_url in reminders(server)[1].content

    await server.mod.click(card, label="Approve")
    await server.env.advance_time(24 * HOUR + CHECK)
    assert len(reminders(server)) == 2  # decided: never again


async def test_all_due_items_of_a_guild_share_one_reminder(server: Server) -> None:
    await server.newbie.send(server.general, "first post")
    await server.env.advance_time(HOUR)
    await server.alice.send(server.general, "this helped me: https://example.org/stretches")
    await server.newbie.send(server.general, "second post")
    first, second, third = server.cards()
    await server.env.advance_time(11 * HOUR + CHECK)
    [reminder] = reminders(server)
    assert "1 held message has" in reminder.content  # only the first has waited 12 hours
    assert first.jump_url in reminder.content
    assert second.jump_url not in reminder.content
    await server.env.advance_time(HOUR)
    latest = reminders(server)[-1]
    assert len(reminders(server)) == 2
    assert "2 held messages have" in latest.content
    assert second.jump_url in latest.content
    assert third.jump_url in latest.content
    assert first.jump_url not in latest.content  # reminded an hour ago: not again yet


async def test_a_decided_item_is_never_reminded(server: Server) -> None:
    await server.newbie.send(server.general, "first post")
    await server.mod.react(server.cards()[0], "❌")
    await server.env.advance_time(13 * HOUR)
    assert reminders(server) == []


async def test_the_period_is_the_admins_and_zero_turns_reminders_off(server: Server) -> None:
    await server.admin.slash(server.general, "queue-admin reminders", hours=2)
    await server.newbie.send(server.general, "first post")
    await server.env.advance_time(2 * HOUR + CHECK)
    [reminder] = reminders(server)
    assert "waited more than 2 hours" in reminder.content
    await server.admin.slash(server.general, "queue-admin reminders", hours=0)
    await server.env.advance_time(24 * HOUR)
    assert len(reminders(server)) == 1


async def test_a_failed_reminder_is_logged_and_tried_again(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    await server.newbie.send(server.general, "first post")
    await server.env.advance_time(12 * HOUR - 1)
    server.env.inject_error(
        "POST", f"/channels/{server.modqueue.id}/messages", status=403, code=50013, message="Missing Permissions"
    )
    with caplog.at_level(logging.WARNING, logger="bot.queue.service"):
        await server.env.advance_time(CHECK)
    assert reminders(server) == []
    assert f"channel={server.modqueue.id}: could not post the queue reminder (403, code 50013)" in caplog.text
    await server.env.advance_time(RETRY + CHECK)
    assert len(reminders(server)) == 1  # tried again after a pause
    assert server.env.errors == []


async def test_no_moderator_role_means_a_reminder_that_pings_no_one(server: Server) -> None:
    await server.bot.store.guilds.set_moderation(server.guild.id, role_id=None)
    # Clear the stored role the way the data would look in a guild that never set one.
    await server.bot.store.db.connection.execute("UPDATE guild_settings SET moderator_role_id = NULL")
    server.bot.community._settings.clear()
    await server.newbie.send(server.general, "first post")
    await server.env.advance_time(12 * HOUR + CHECK)
    [reminder] = reminders(server)
    assert reminder.content.startswith("⏰ 1 held message has waited")
    assert server.pinged_roles(reminder) == []


async def test_a_missing_moderator_channel_is_logged_once_per_period(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    await server.newbie.send(server.general, "first post")
    server.env.backend.delete_channel(server.modqueue.id)
    await server.env.settle()
    warning = f"items are due a reminder but the moderator channel {server.modqueue.id} is not a text channel"
    with caplog.at_level(logging.WARNING, logger="bot.queue.service"):
        await server.env.advance_time(12 * HOUR + CHECK)
        assert caplog.text.count(warning) == 1
        await server.env.advance_time(6 * HOUR)
        assert caplog.text.count(warning) == 1  # not again every round
        await server.env.advance_time(6 * HOUR)
        assert caplog.text.count(warning) == 2  # once a period
    assert server.env.errors == []


async def test_a_reminder_of_many_items_with_long_names_fits_one_message(server: Server) -> None:
    # Real snowflakes make each card's jump link about 90 characters: fifteen lines of them, with
    # long display names, would pass Discord's 2000-character limit and the reminder would never go.
    # Reminders are off while the members post, so all sixteen fall due in the same round.
    await server.admin.slash(server.general, "queue-admin reminders", hours=0)
    for number in range(16):
        user = server.env.create_user(f"member{number}", global_name=f"Margaret Thompson-Whitfield {number:02d}")
        member = server.guild.add_member(user)
        await member.send(server.general, "Hello everyone, my first post here")
    assert len(server.cards()) == 16
    await server.env.advance_time(12 * HOUR)
    await server.admin.slash(server.general, "queue-admin reminders", hours=12)
    await server.env.advance_time(CHECK)
    [reminder] = reminders(server)
    assert len(reminder.content) <= 2000
    header = f"⏰ <@&{server.moderators.id}> 16 held messages have waited more than 12 hours:"
    assert reminder.content.startswith(header)
    listed = [line for line in reminder.content.splitlines() if line.startswith("• ")]
    assert listed
    assert server.cards()[0].jump_url in listed[0]
    assert reminder.content.splitlines()[-1] == f"…and {16 - len(listed)} more: see `/queue list`."
    assert server.env.errors == []
