"""What the author is told (issues 11 and 16): their whole text back, the decision with DMs closed, notices that go
away even across a restart, and DM limits that are not closed DMs (SimCord, real SQLite)."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.app import build_bot
from bot.gate.words import COMMON_REJECT_REASONS, FULL_TEXT_FILENAME
from bot.models import Decision
from bot.store import Store
from bot.store.notices import NoticeRepo
from tests.gate.conftest import World, cards, dms

# As in issue 11: more words than a DM quotes (it quotes at most 1,500 characters), within a member's 2,000.
LONG_STORY = " ".join(f"w{n}" for n in range(400)) + " the end."


def posts(world: World) -> list[discord.Message]:
    """What members see in the general channel."""
    return list(world.general.history())


def close_dms(world: World, actor: Any) -> None:
    """The member's DMs are closed for the rest of the test: Discord answers 50007."""
    dm = actor.user.dm_channel
    world.env.inject_error(
        "POST",
        f"/channels/{dm.id}/messages",
        status=403,
        code=50007,
        message="Cannot send messages to this user",
        times=None,
    )


async def reject(world: World, item_id: int, reason: str = "Please shorten this.") -> None:
    moderator = world.mod.member
    assert isinstance(moderator, discord.Member)
    outcome = await world.bot.gate.decide(item_id, Decision.REJECT, moderator, reason=reason)
    assert outcome.won


async def test_a_rejected_long_message_comes_back_whole_as_a_file(world: World) -> None:
    assert 1500 < len(LONG_STORY) <= 2000
    await world.newbie.send(world.general, LONG_STORY)
    [item] = await world.bot.store.items.open(world.guild.id)
    await reject(world, item.id)
    [told] = [m for m in dms(world.newbie) if m.content.startswith("A moderator decided not to publish")]
    assert len(told.content) <= 2000
    assert FULL_TEXT_FILENAME in told.content  # the DM says where the rest is
    [file] = told.attachments
    assert file.filename == FULL_TEXT_FILENAME
    assert (await file.read()).decode("utf-8") == LONG_STORY  # all 481 words


async def test_a_short_rejected_message_is_quoted_whole_without_a_file(world: World) -> None:
    await world.newbie.send(world.general, "my short story, see cheap-pills.net")
    [item] = await world.bot.store.items.open(world.guild.id)
    await reject(world, item.id)
    [told] = [m for m in dms(world.newbie) if m.content.startswith("A moderator decided not to publish")]
    assert "> my short story, see cheap-pills.net" in told.content
    assert told.attachments == []
    assert FULL_TEXT_FILENAME not in told.content


async def test_one_dm_for_several_long_rejections_carries_every_text_whole(world: World) -> None:
    world.bot.gate.outbox.pause()
    await world.newbie.send(world.general, "first " + LONG_STORY[:900])
    await world.newbie.send(world.general, "second " + LONG_STORY[:900])
    first, second = await world.bot.store.items.open(world.guild.id)
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    world.bot.gate.outbox.pause()  # both decisions are told in one DM
    await reject(world, first.id)
    await reject(world, second.id)
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    [told] = [m for m in dms(world.newbie) if m.content.startswith("A moderator decided not to publish")]
    [file] = told.attachments
    body = (await file.read()).decode("utf-8")
    assert "first " + LONG_STORY[:900] in body
    assert "second " + LONG_STORY[:900] in body


# --- closed DMs: the notice in the channel -------------------------------------------------------


def notice_requests(world: World) -> list[Any]:
    """The bot's posts in the general channel, as sent (their allowed_mentions included)."""
    path = f"/channels/{world.general.id}/messages"
    return [r for r in world.env.http_requests if r.method == "POST" and r.path == path]


def assert_pings_only(world: World, request: Any, author: Any) -> None:
    """What Discord would let the notice ping: the author, and no one else."""
    allowed = request.json["allowed_mentions"]
    assert allowed.get("parse", []) == []  # no @everyone, no roles, no user the text happens to name
    assert allowed["users"] == [str(author.id)] or allowed["users"] == [author.id]


async def test_with_dms_closed_a_rejection_is_told_in_the_channel_without_the_text(world: World) -> None:
    close_dms(world, world.newbie)
    await world.newbie.send(world.general, "my private story, see cheap-pills.net")
    [card] = cards(world)
    await world.env.advance_time(16)  # the hold's notice has gone
    assert posts(world) == []
    picker = await world.mod.click(card, label="Reject")
    assert picker.response is not None
    await world.mod.select(picker.response, ["0"])
    [notice] = posts(world)
    assert notice.author.id == world.bot.user.id  # type: ignore[union-attr]
    assert notice.content.startswith(world.newbie.mention)
    assert "decided not to publish" in notice.content
    assert "private story" not in notice.content  # never their text in public
    assert COMMON_REJECT_REASONS[0] not in notice.content  # nor the moderator's reason
    assert_pings_only(world, notice_requests(world)[-1], world.newbie)
    await world.env.advance_time(16)
    assert posts(world) == []  # it deleted itself


async def test_with_dms_closed_an_approval_is_told_in_the_channel(world: World) -> None:
    close_dms(world, world.newbie)
    await world.newbie.send(world.general, "hello everyone, first post here")
    [card] = cards(world)
    await world.env.advance_time(16)
    await world.mod.click(card, label="Approve")
    [repost, notice] = posts(world)
    assert repost.webhook_id is not None
    assert notice.content.startswith(world.newbie.mention)
    assert "approved your message" in notice.content
    assert "first post here" not in notice.content
    assert_pings_only(world, notice_requests(world)[-1], world.newbie)
    await world.env.advance_time(16)
    assert [m.id for m in posts(world)] == [repost.id]


async def test_a_notice_is_deleted_after_a_restart_too(world: World, store: Store) -> None:
    close_dms(world, world.newbie)
    await world.newbie.send(world.general, "first post")
    [notice] = posts(world)
    assert_pings_only(world, notice_requests(world)[-1], world.newbie)
    again = await Store.open(store.path)
    try:
        # The process stops before the notice's 15 s are up: its in-memory timer dies with it.
        await world.env.restart_bot(build_bot(again, world.bot.community.bundle))
        assert [m.id for m in posts(world)] == [notice.id]
        await world.env.advance_time(16)
        assert posts(world) == []
        assert await again.notices.all() == []
    finally:
        await world.env.restart_bot(world.bot)
        await again.close()


async def test_a_notice_due_while_the_bot_was_down_is_deleted_at_start_up(world: World, store: Store) -> None:
    close_dms(world, world.newbie)
    await world.newbie.send(world.general, "first post")
    [notice] = posts(world)
    [row] = await store.notices.all()
    assert row.message_id == notice.id
    # Down for a minute: the notice was due long ago when the bot comes back.
    await store.db.connection.execute("UPDATE notices SET delete_at = '2000-01-01T00:00:00+00:00'")
    again = await Store.open(store.path)
    try:
        await world.env.restart_bot(build_bot(again, world.bot.community.bundle))
        assert posts(world) == []
        assert await again.notices.all() == []
    finally:
        await world.env.restart_bot(world.bot)
        await again.close()


# --- DM limits are not closed DMs (issue 16) --------------------------------------------------------

TOO_FAST = "You are opening direct messages too fast"


def opens_dms_too_fast(world: World, times: int = 1) -> None:
    """Discord refuses to open the next DM channels: 40003, a limit on the bot (see tests/localdiscord)."""
    world.env.inject_error("POST", "/users/@me/channels", status=403, code=40003, message=TOO_FAST, times=times)


async def test_a_dm_limit_is_not_closed_dms_the_hold_dm_goes_later(world: World) -> None:
    opens_dms_too_fast(world)
    await world.newbie.send(world.general, "first post")
    assert any(r.path == "/users/@me/channels" for r in world.env.http_requests)  # it was refused once
    assert posts(world) == []  # no public "your DMs are closed"
    assert dms(world.newbie) == []
    await world.env.advance_time(16)
    [held] = dms(world.newbie)
    assert "waiting for a moderator" in held.content
    assert posts(world) == []
    assert await world.bot.store.notices.all() == []


async def test_a_dm_limit_holds_back_every_dm_until_the_wait_is_over(world: World) -> None:
    spammer = world.guild.add_member(world.env.create_user("pills4u", global_name="Pills4u"))
    await world.env.settle()
    opens_dms_too_fast(world)
    await world.newbie.send(world.general, "first post")
    await spammer.send(world.general, "buy at cheap-pills.net")
    # Only the first DM was tried: the next waits for the limit to pass instead of spending a request on it.
    assert len([r for r in world.env.http_requests if r.path == "/users/@me/channels"]) == 1
    assert dms(world.newbie) == []
    assert dms(spammer) == []
    await world.env.advance_time(16)
    assert ["waiting for a moderator" in m.content for m in dms(world.newbie)] == [True]
    assert ["waiting for a moderator" in m.content for m in dms(spammer)] == [True]
    assert posts(world) == []  # no one was told in public that their DMs are closed


async def test_a_notice_whose_send_a_crash_left_unrecorded_is_found_and_deleted(
    world: World, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(self: NoticeRepo, notice_id: int, message_id: int) -> None:
        raise RuntimeError("simulated crash after posting the notice")

    monkeypatch.setattr(NoticeRepo, "set_message", crash)
    close_dms(world, world.newbie)
    await world.newbie.send(world.general, "first post")
    [notice] = posts(world)  # it reached Discord, unrecorded
    [row] = await store.notices.all()
    assert row.message_id is None
    monkeypatch.undo()
    # The process died there: the failure handler never ran, the hold DM's row stays as _send_dm recorded it.
    await store.db.connection.execute("UPDATE outbox SET state = 'done' WHERE kind = 'hold_dm'")
    again = await Store.open(store.path)
    try:
        await world.env.restart_bot(build_bot(again, world.bot.community.bundle))
        assert [m.id for m in posts(world)] == [notice.id]  # found again, and timed
        await world.env.advance_time(16)
        assert posts(world) == []
        assert await again.notices.all() == []
    finally:
        await world.env.restart_bot(world.bot)
        await again.close()
