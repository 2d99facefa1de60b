"""Every gate flow, end to end: the real bot in SimCord over a real SQLite store."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
import pytest

from bot.client import ForumBridge
from bot.community import Community
from bot.gate.holding import Holder
from bot.gate.words import COMMON_REJECT_REASONS, GENERIC_REJECT_REASON
from bot.models import Decision, ItemState
from bot.rules import Reason
from bot.store import Store
from tests.gate.conftest import World, cards, dms, forum_post, item_id_of


def posts(world: World, channel: Any | None = None) -> list[discord.Message]:
    """What members see in a channel (the general one by default)."""
    return list((channel or world.general).history())


def reposts(world: World, channel: Any | None = None) -> list[discord.Message]:
    """Messages published through a webhook."""
    return [m for m in posts(world, channel) if m.webhook_id is not None]


async def test_first_post_is_held_then_approved_under_the_authors_name(world: World) -> None:
    original = await world.newbie.send(world.general, "Hi all, I had an L4/5 fusion last month. Any tips?")
    assert [m.id for m in posts(world)] == []  # removed from the channel
    [card] = cards(world)
    embed = card.embeds[0]
    assert "First post from a new member" in (embed.fields[2].value or "")
    assert "Any tips?" in (embed.description or "")
    assert embed.author.name == "Nora New"
    item = await world.bot.store.item(item_id_of(card))
    assert item is not None
    assert (item.state, item.message_id, item.original_removed) == (ItemState.PENDING, original.id, True)
    [held_dm] = dms(world.newbie)
    assert "waiting for a moderator" in held_dm.content
    assert "Any tips?" in held_dm.content  # a copy of their text

    result = await world.mod.click(card, label="Approve")
    assert result.acknowledged

    [repost] = reposts(world)
    assert repost.content == "Hi all, I had an L4/5 fusion last month. Any tips?"
    assert repost.author.name == "Nora New"
    [execute] = [r for r in world.env.http_requests if r.method == "POST" and "/webhooks/" in r.path]
    assert "a1b2c3" in execute.json["avatar_url"]
    decided = await world.bot.store.item(item.id)
    assert decided is not None
    assert (decided.state, decided.decided_by, decided.repost_message_id) == (
        ItemState.APPROVED,
        world.mod.id,
        repost.id,
    )
    [card] = cards(world)
    assert card.components == []  # buttons gone
    assert "Approved by Maria (mod)" in (card.embeds[0].fields[-1].value or "")
    approved_dm = dms(world.newbie)[-1]
    assert "approved" in approved_dm.content
    assert f"/{world.guild.id}/{world.general.id}/{repost.id}" in approved_dm.content
    # Approved once, the member is established: the next post goes straight through.
    assert (await world.bot.community.member(world.guild.id, world.newbie.id)).approved_posts == 1
    second = await world.newbie.send(world.general, "Thanks everyone!")
    assert second.id in [m.id for m in posts(world)]
    assert len(cards(world)) == 1
    audit = await world.bot.store.audit_entries(world.guild.id)
    assert [(row["action"], row["actor_id"]) for row in audit] == [("approve", world.mod.id)]


async def test_external_link_is_held_with_its_domain(world: World) -> None:
    await world.alice.send(world.general, "My physio's blog has good exercises: backblog.net/exercises")
    [card] = cards(world)
    why = card.embeds[0].fields[2].value or ""
    assert "Link to backblog.net" in why
    assert "backblog\u200b.net" in (card.embeds[0].description or "")  # shown inert, no preview
    labels = [c.label for row in card.components for c in row.children]  # type: ignore[attr-defined]
    assert labels == ["Approve", "Approve & trust member", "Approve & allow domain", "Reject"]
    assert posts(world) == []


async def test_approve_and_allow_domain_lets_the_next_link_through(world: World) -> None:
    await world.alice.send(world.general, "Good stretches at backblog.net/stretches")
    [card] = cards(world)
    await world.mod.click(card, label="Approve & allow domain")
    assert await world.bot.store.allowed_domains(world.guild.id) == {"backblog.net"}
    later = await world.bob.send(world.general, "Another one: https://www.backblog.net/posture")
    assert later.id in [m.id for m in posts(world)]
    assert len(cards(world)) == 1


async def test_approve_and_trust_makes_a_new_member_established(world: World) -> None:
    await world.newbie.send(world.general, "Hello from Leeds")
    await world.mod.click(cards(world)[0], label="Approve & trust member")
    record = await world.bot.community.member(world.guild.id, world.newbie.id)
    assert record.trusted
    assert len(reposts(world)) == 1


async def test_medical_site_is_blocked_and_can_be_restored(world: World) -> None:
    await world.alice.send(world.general, "This explains it: https://www.webmd.com/back-pain/spinal-fusion")
    assert posts(world) == []
    [card] = cards(world)
    assert card.embeds[0].title == "Removed: link to a medical site"
    assert "Medical site: webmd.com — not permitted" in (card.embeds[0].fields[2].value or "")
    labels = [c.label for row in card.components for c in row.children]  # type: ignore[attr-defined]
    assert labels == ["Restore anyway"]
    assert "removed" in dms(world.alice)[-1].content
    await world.mod.click(card, label="Restore anyway")
    [repost] = reposts(world)
    assert "webmd.com" in repost.content
    item = await world.bot.store.item(item_id_of(card))
    assert item is not None
    assert item.state is ItemState.RESTORED


async def test_email_address_is_held_and_rejected_with_a_chosen_reason(world: World) -> None:
    await world.alice.send(world.general, "DM me or write to alice.smith@gmail.com")
    [card] = cards(world)
    assert "Email address" in (card.embeds[0].fields[2].value or "")
    picker = await world.mod.click(card, label="Reject")
    assert picker.ephemeral
    assert picker.response is not None
    await world.mod.select(picker.response, ["2"])
    item = await world.bot.store.item(item_id_of(card))
    assert item is not None
    assert (item.state, item.decision_reason) == (ItemState.REJECTED, COMMON_REJECT_REASONS[2])
    rejected_dm = dms(world.alice)[-1]
    assert COMMON_REJECT_REASONS[2] in rejected_dm.content
    assert "alice.smith@gmail.com" in rejected_dm.content  # their text back, to revise
    assert reposts(world) == []
    assert "Rejected by Maria (mod)" in (cards(world)[0].embeds[0].fields[-1].value or "")


async def test_reject_in_the_moderators_own_words(world: World) -> None:
    await world.newbie.send(world.general, "Buy my supplements!!")
    picker = await world.mod.click(cards(world)[0], label="Reject")
    assert picker.response is not None
    form = await world.mod.click(picker.response, label="Write a reason…")
    assert form.modal is not None
    await world.mod.submit_modal(form, {"reason": "We don't allow selling here, sorry."})
    item = await world.bot.store.item(item_id_of(cards(world)[0]))
    assert item is not None
    assert item.decision_reason == "We don't allow selling here, sorry."
    assert "We don't allow selling here, sorry." in dms(world.newbie)[-1].content


async def test_an_edit_that_adds_a_link_is_held(world: World) -> None:
    message = await world.alice.send(world.general, "Has anyone tried a TENS machine?")
    assert cards(world) == []
    await world.alice.edit(message, "Has anyone tried a TENS machine? I got mine at cheap-tens.shop/deal")
    [card] = cards(world)
    assert card.embeds[0].title == "Held: an edited message"
    assert posts(world) == []


async def test_an_edit_that_adds_nothing_flaggable_is_left_alone(world: World) -> None:
    message = await world.alice.send(world.general, "See spine-health.com/forum for the FAQ")
    await world.alice.edit(message, "See spine-health.com/forum for the FAQ (the pinned thread)")
    assert cards(world) == []
    assert [m.id for m in posts(world)] == [message.id]


async def test_an_approval_is_not_undone_by_an_edit_that_adds_nothing(world: World) -> None:
    await world.bot.community.update_member(world.guild.id, world.alice.id, links_preapproved=True)
    message = await world.alice.send(world.general, "My blog: backblog.net/me")
    assert cards(world) == []  # pre-approved links pass
    await world.alice.edit(message, "My blog: backblog.net/me (updated)")
    assert cards(world) == []


async def test_a_new_members_forum_post_is_held_whole(world: World) -> None:
    thread, _ = await forum_post(world, world.newbie, "Newly diagnosed with RA", "Hello, where do I start?")
    [card] = cards(world)
    assert card.embeds[0].title == "Held: a new forum post"
    assert "Newly diagnosed with RA" in (card.embeds[0].description or "")
    item = await world.bot.store.item(item_id_of(card))
    assert item is not None
    assert (item.is_forum_post, item.thread_name, item.channel_id) == (True, "Newly diagnosed with RA", world.forum.id)
    assert thread.id not in world.env.backend.channels  # the thread went with its starter


async def test_a_link_in_a_forum_posts_title_is_caught(world: World) -> None:
    await forum_post(world, world.alice, "Great deals at cheap-pills.net/buy", "see title")
    [card] = cards(world)
    assert "cheap-pills.net" in (card.embeds[0].fields[2].value or "")


async def test_a_non_moderator_cannot_click(world: World) -> None:
    await world.newbie.send(world.general, "first!")
    [card] = cards(world)
    refused = await world.helper.click(card, label="Approve")
    assert refused.ephemeral
    assert refused.response is not None
    assert "Only moderators" in refused.response.content
    item = await world.bot.store.item(item_id_of(card))
    assert item is not None
    assert item.state is ItemState.PENDING
    assert reposts(world) == []


async def test_a_non_moderators_reaction_is_removed_and_a_moderators_decides(world: World) -> None:
    await world.newbie.send(world.general, "first!")
    [card] = cards(world)
    await world.helper.react(card, "✅")
    assert not [r for r in cards(world)[0].reactions if r.count]
    item = await world.bot.store.item(item_id_of(card))
    assert item is not None
    assert item.state is ItemState.PENDING
    await world.mod.react(card, "✅")
    item = await world.bot.store.item(item_id_of(card))
    assert item is not None
    assert item.state is ItemState.APPROVED
    assert len(reposts(world)) == 1


async def test_a_moderators_cross_reaction_rejects_with_a_generic_reason(world: World) -> None:
    await world.newbie.send(world.general, "first!")
    await world.mod.react(cards(world)[0], "❌")
    item = await world.bot.store.item(item_id_of(cards(world)[0]))
    assert item is not None
    assert (item.state, item.decision_reason) == (ItemState.REJECTED, GENERIC_REJECT_REASON)


async def test_two_moderators_at_once_publish_once(world: World) -> None:
    await world.newbie.send(world.general, "Is swimming OK after ACDF?")
    item_id = item_id_of(cards(world)[0])
    members = [world.mod.member, world.mod2.member]
    assert all(isinstance(m, discord.Member) for m in members)
    outcomes = await asyncio.gather(
        *(world.bot.gate.decide(item_id, Decision.APPROVE, m) for m in members if m is not None)
    )
    await world.env.settle()
    assert sorted(o.won for o in outcomes) == [False, True]
    assert len(reposts(world)) == 1
    assert len([m for m in dms(world.newbie) if m.content.startswith("Good news")]) == 1


async def test_the_loser_of_a_race_is_told_who_decided_first(world: World) -> None:
    await world.newbie.send(world.general, "hello")
    [card] = cards(world)
    # Sam's decision lands in the store while Maria's screen still shows the buttons.
    await world.bot.store.decide(item_id_of(card), Decision.REJECT, moderator_id=world.mod2.id, moderator_name="Sam")
    result = await world.mod.click(card, label="Approve")
    [told] = result.followups
    assert "already decided: Rejected by Sam" in told.content
    assert reposts(world) == []


async def test_cards_keep_working_after_a_restart(world: World, store: Store) -> None:
    await world.newbie.send(world.general, "Posted before the restart")
    [card] = cards(world)
    again = await Store.open(store.path)
    try:
        fresh = ForumBridge(community=Community(again, world.bot.community.bundle))
        await world.env.restart_bot(fresh)
        await world.mod.click(card, label="Approve")
        [repost] = reposts(world)
        assert repost.content == "Posted before the restart"
        item = await again.item(item_id_of(card))
        assert item is not None
        assert item.state is ItemState.APPROVED
    finally:
        await world.env.restart_bot(world.bot)  # let the fixture's store close cleanly
        await again.close()


async def test_a_crash_between_storing_and_removing_is_finished_at_start_up(
    world: World, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(self: Holder, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("simulated crash after storing")

    monkeypatch.setattr(Holder, "remove_original", crash)
    original = await world.newbie.send(world.general, "Stored, then the bot died")
    assert [str(e) for e in world.env.errors] == ["simulated crash after storing"]
    assert [m.id for m in posts(world)] == [original.id]  # still there
    assert cards(world) == []
    monkeypatch.undo()

    again = await Store.open(store.path)
    try:
        await world.env.restart_bot(ForumBridge(community=Community(again, world.bot.community.bundle)))
        assert posts(world) == []  # removed at start-up
        [card] = cards(world)  # exactly one card
        item = await again.item(item_id_of(card))
        assert item is not None
        assert (item.message_id, item.original_removed) == (original.id, True)
        await world.env.restart_bot(ForumBridge(community=Community(again, world.bot.community.bundle)))
        assert len(cards(world)) == 1  # a second start posts nothing again
    finally:
        await world.env.restart_bot(world.bot)
        await again.close()


async def test_closed_dms_get_a_short_notice_in_the_channel(world: World) -> None:
    dm = world.newbie.user.dm_channel
    world.env.inject_error(
        "POST", f"/channels/{dm.id}/messages", status=403, code=50007, message="Cannot send messages to this user"
    )
    await world.newbie.send(world.general, "first post")
    [notice] = posts(world)
    assert notice.author.id == world.bot.user.id  # type: ignore[union-attr]
    assert world.newbie.mention in notice.content
    assert "waiting for a moderator" in notice.content
    await world.env.advance_time(16)
    assert posts(world) == []  # it deleted itself


async def test_attachments_are_kept_byte_for_byte(world: World) -> None:
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    await world.newbie.send(world.general, "my x-ray", attachments=[("xray.png", image), ("notes.txt", b"L4/5")])
    [card] = cards(world)
    assert [a.filename for a in card.attachments] == ["xray.png", "notes.txt"]
    assert await card.attachments[0].read() == image
    item = await world.bot.store.item(item_id_of(card))
    assert item is not None
    assert [a.data for a in await world.bot.store.attachments(item.id)] == [image, b"L4/5"]
    await world.mod.click(card, label="Approve")
    [repost] = reposts(world)
    assert [a.filename for a in repost.attachments] == ["xray.png", "notes.txt"]
    assert [await a.read() for a in repost.attachments] == [image, b"L4/5"]


async def test_reposts_never_ping_everyone_or_roles(world: World) -> None:
    text = f"@everyone @here {world.moderators_role.mention} look, and thanks {world.alice.mention}"
    await world.newbie.send(world.general, text)
    await world.mod.click(cards(world)[0], label="Approve")
    [repost] = reposts(world)
    assert repost.content == text
    assert not repost.mention_everyone
    executes = [r for r in world.env.http_requests if r.method == "POST" and "/webhooks/" in r.path]
    assert executes
    assert executes[-1].json["allowed_mentions"]["parse"] == ["users"]


async def test_a_reply_keeps_a_jump_link(world: World) -> None:
    first = await world.alice.send(world.general, "How long was your recovery?")
    await world.newbie.send(world.general, "About six weeks for me", reply_to=first)
    await world.mod.click(cards(world)[0], label="Approve")
    [repost] = reposts(world)
    assert repost.content.startswith(f"↪ https://discord.com/channels/{world.guild.id}/{world.general.id}/{first.id}")
    assert repost.content.endswith("About six weeks for me")


async def test_moderators_and_their_channel_are_not_screened(world: World) -> None:
    mine = await world.mod.send(world.general, "Official info: https://www.mayoclinic.org/x and bob@example.org")
    assert [m.id for m in posts(world)] == [mine.id]
    await world.mod.send(world.modqueue, "note to self: example.org")
    assert cards(world) == []


async def test_missing_manage_messages_is_said_on_the_card_and_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    locked = world.guild.create_text_channel(
        "locked", overwrites={world.guild.me: discord.PermissionOverwrite(manage_messages=False)}
    )
    caplog.set_level(logging.ERROR, logger="bot.gate.holding")
    original = await world.newbie.send(locked, "hello there")
    assert [m.id for m in locked.history()] == [original.id]
    [card] = cards(world)
    assert any(f.name == "⚠️ Original not removed" for f in card.embeds[0].fields)
    [record] = [r for r in caplog.records if "cannot remove held message" in r.getMessage()]
    assert f"guild={world.guild.id}" in record.getMessage()
    assert f"message={original.id}" in record.getMessage()


async def test_missing_manage_webhooks_leaves_the_item_approved_and_unpublished(world: World) -> None:
    locked = world.guild.create_text_channel(
        "no-webhooks", overwrites={world.guild.me: discord.PermissionOverwrite(manage_webhooks=False)}
    )
    await world.newbie.send(locked, "hello there")
    result = await world.mod.click(cards(world)[0], label="Approve")
    assert any("could not publish" in f.content for f in result.followups)
    item = await world.bot.store.item(item_id_of(cards(world)[0]))
    assert item is not None
    assert (item.state, item.repost_message_id, item.author_notified) == (ItemState.APPROVED, None, False)
    assert any(f.name == "⚠️ Not published yet" for f in cards(world)[0].embeds[0].fields)
    assert [row["action"] for row in await world.bot.store.audit_entries(world.guild.id)] == [
        "publish_failed",
        "approve",
    ]


async def test_verdict_log_lines_carry_ids_and_no_content(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.gate.screening")
    message = await world.alice.send(world.general, "secret text with backblog.net/x")
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("verdict")]
    assert f"guild={world.guild.id}" in line
    assert f"channel={world.general.id}" in line
    assert f"message={message.id}" in line
    assert f"reasons={Reason.EXTERNAL_LINK}" in line
    assert "secret text" not in line


async def test_a_server_without_a_moderator_channel_still_screens_and_holds(world: World) -> None:
    # Before /setup there is no moderator channel: held messages must still be held (and listed by /queue list),
    # not waved through because an unset channel id looked like "the moderator channel".
    env = world.env
    guild = env.create_guild("Not set up yet")
    newcomer = guild.add_member(env.create_user("first_timer", global_name="First Timer"))
    general = guild.create_text_channel("general")
    await env.settle()
    message = await newcomer.send(general, "Hello, my first post here")
    await env.settle()
    await world.bot.gate.outbox.idle()
    assert message.id not in {m.id for m in general.history()}
    [item] = await world.bot.store.open_items(guild.id)
    assert item.message_id == message.id
    # The admin runs /setup: the card that waited for a moderator channel goes out.
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(env.create_user("owner", global_name="Owner"), roles=[admins])
    await world.bot.tree.sync()
    await env.settle()
    await admin.slash(general, "setup")
    await env.settle()
    await world.bot.gate.outbox.idle()
    await env.settle()
    settings = await world.bot.community.settings(guild.id)
    stored = await world.bot.store.item(item.id)
    assert stored is not None
    assert stored.card_message_id is not None
    assert stored.card_channel_id == settings.moderator_channel_id


async def test_cards_that_failed_on_a_deleted_moderator_channel_go_to_the_new_one_after_setup(world: World) -> None:
    env = world.env
    env.backend.delete_channel(world.modqueue.id)  # someone deleted #mod-queue
    await env.settle()
    message = await world.newbie.send(world.general, "Hello, my first post here")
    await env.settle()
    await world.bot.gate.outbox.idle()
    [item] = await world.bot.store.open_items(world.guild.id)
    assert item.message_id == message.id
    assert item.card_message_id is None  # nowhere to post it: the card gave up
    admins = world.guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    admin = world.guild.add_member(env.create_user("owner", global_name="Owner"), roles=[admins])
    await world.bot.tree.sync()
    await env.settle()
    await admin.slash(world.general, "setup", role=world.moderators_role)
    await env.settle()
    await world.bot.gate.outbox.idle()
    await env.settle()
    settings = await world.bot.community.settings(world.guild.id)
    assert settings.moderator_channel_id not in (None, world.modqueue.id)
    stored = await world.bot.store.item(item.id)
    assert stored is not None
    assert stored.card_channel_id == settings.moderator_channel_id
    assert stored.card_message_id is not None
