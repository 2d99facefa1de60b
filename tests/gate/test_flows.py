"""Every gate flow, end to end: the real bot in SimCord over a real SQLite store."""

from __future__ import annotations

import logging

import discord
import pytest

from bot.models import ItemState
from bot.rules import Reason
from tests.gate.conftest import World, cards, dms, forum_post, item_id_of, posts, reposts


async def test_first_post_is_held_then_approved_under_the_authors_name(world: World) -> None:
    original = await world.newbie.send(world.general, "Hi all, I had an L4/5 fusion last month. Any tips?")
    assert [m.id for m in posts(world)] == []  # removed from the channel
    [card] = cards(world)
    embed = card.embeds[0]
    assert "First post from a new member" in (embed.fields[2].value or "")
    assert "Any tips?" in (embed.description or "")
    assert embed.author.name == "Nora New"
    item = await world.bot.store.items.get(item_id_of(card))
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
    decided = await world.bot.store.items.get(item.id)
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
    audit = await world.bot.store.decisions.audit_entries(world.guild.id)
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
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert (item.is_forum_post, item.thread_name, item.channel_id) == (True, "Newly diagnosed with RA", world.forum.id)
    assert thread.id not in world.env.backend.channels  # the thread went with its starter


async def test_a_link_in_a_forum_posts_title_is_caught(world: World) -> None:
    await forum_post(world, world.alice, "Great deals at cheap-pills.net/buy", "see title")
    [card] = cards(world)
    assert "cheap-pills.net" in (card.embeds[0].fields[2].value or "")


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
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert [a.data for a in await world.bot.store.items.attachments(item.id)] == [image, b"L4/5"]
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


async def test_missing_manage_webhooks_leaves_the_item_approved_and_unpublished(world: World) -> None:
    locked = world.guild.create_text_channel(
        "no-webhooks", overwrites={world.guild.me: discord.PermissionOverwrite(manage_webhooks=False)}
    )
    await world.newbie.send(locked, "hello there")
    result = await world.mod.click(cards(world)[0], label="Approve")
    assert any("could not publish" in f.content and "Manage Webhooks" in f.content for f in result.followups)
    item = await world.bot.store.items.get(item_id_of(cards(world)[0]))
    assert item is not None
    assert (item.state, item.repost_message_id, item.author_notified) == (ItemState.APPROVED, None, False)
    [why] = [f.value or "" for f in cards(world)[0].embeds[0].fields if f.name == "⚠️ Not published yet"]
    assert "Manage Webhooks" in why  # Discord's 403, as the failed repost recorded it
    assert [row["action"] for row in await world.bot.store.decisions.audit_entries(world.guild.id)] == [
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
    [item] = await world.bot.store.items.open(guild.id)
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
    stored = await world.bot.store.items.get(item.id)
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
    [item] = await world.bot.store.items.open(world.guild.id)
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
    stored = await world.bot.store.items.get(item.id)
    assert stored is not None
    assert stored.card_channel_id == settings.moderator_channel_id
    assert stored.card_message_id is not None
