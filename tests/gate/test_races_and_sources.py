"""A reaction that loses a race, and what is screened beyond a member's own messages (webhooks, forwards)."""

from __future__ import annotations

from typing import Any

import discord
import simcord

from bot.models import Decision, ItemState
from bot.rules import Reason
from tests.gate.conftest import World, cards, item_id_of
from tests.gate.test_outbox import drain, group_cards, group_id_of, spammer


def notices(world: World) -> list[discord.Message]:
    """The bot's plain messages in the moderator channel (no card, no embed)."""
    me = world.bot.user
    assert me is not None
    return [m for m in world.modqueue.history() if m.author.id == me.id and not m.embeds]


def reactions_by(card: discord.Message, emoji: str) -> int:
    """How many reactions with this emoji the card has now."""
    return sum(r.count for r in card.reactions if str(r.emoji) == emoji)


def last_send(world: World, channel_id: int) -> Any:
    """The bot's last message request to a channel."""
    return [r for r in world.env.http_requests if r.method == "POST" and r.path == f"/channels/{channel_id}/messages"][
        -1
    ]


# --- a reaction that loses a race ---------------------------------------------------------------


async def test_a_reaction_that_loses_to_a_click_is_told_who_decided_first(world: World) -> None:
    await world.newbie.send(world.general, "hello")
    [card] = cards(world)
    approved = await world.mod2.click(card, label="Approve")  # Sam's click lands first
    assert approved.acknowledged
    await world.mod.react(cards(world)[0], "❌")  # Maria's reaction, a moment later
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert (item.state, item.decided_by) == (ItemState.APPROVED, world.mod2.id)
    [notice] = notices(world)
    assert notice.content.startswith(world.mod.mention)
    assert f"Item #{item.id} was already decided: Approved by Sam (mod)" in notice.content
    # Only the moderator who reacted is pinged, and their reaction no longer sits on the decided card.
    assert last_send(world, world.modqueue.id).json["allowed_mentions"] == {
        "parse": [],
        "users": [world.mod.id],
    }
    assert reactions_by(cards(world)[0], "❌") == 0
    await world.env.advance_time(31)
    assert notices(world) == []  # it deleted itself


async def test_a_reaction_that_wins_says_nothing(world: World) -> None:
    await world.newbie.send(world.general, "hello")
    await world.mod.react(cards(world)[0], "✅")
    assert notices(world) == []
    assert reactions_by(cards(world)[0], "✅") == 1


async def test_a_reaction_on_a_grouped_card_decided_first_is_told_too(world: World) -> None:
    world.bot.gate.outbox.pause()
    spam = await spammer(world)
    for n in range(4):
        await spam.send(world.general, f"cheap meds {n}: cheap-pills.net/deal{n}")
    await drain(world)
    [group] = group_cards(world)
    moderator = world.mod2.member
    assert isinstance(moderator, discord.Member)
    await world.bot.gate.decide_group(group_id_of(group), Decision.REJECT, moderator, reason="spam")
    await drain(world)
    await world.mod.react(group_cards(world)[0], "✅")
    await drain(world)
    assert {i.state for i in await world.bot.store.items.of_card_group(group_id_of(group))} == {ItemState.REJECTED}
    [notice] = notices(world)
    assert notice.content.startswith(world.mod.mention)
    assert f"Grouped card #{group_id_of(group)} was already decided: Rejected by Sam (mod)" in notice.content
    assert reactions_by(group_cards(world)[0], "✅") == 0


# --- forwarded messages ---------------------------------------------------------------------------


def reposts(world: World) -> list[discord.Message]:
    """Messages published through a webhook in the general channel."""
    return [m for m in world.general.history() if m.webhook_id is not None]


async def test_a_forwarded_medical_link_is_blocked(world: World) -> None:
    source = await world.mod.send(world.general, "for the team: https://www.mayoclinic.org/back-pain")
    forward = await world.alice.forward(source, world.general)
    assert forward.content == ""  # the text is in the snapshot, as on Discord
    assert [m.id for m in world.general.history()] == [source.id]  # the forward is removed
    [card] = cards(world)
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert item.state is ItemState.BLOCKED
    assert [link.domain for link in item.links] == ["mayoclinic.org"]
    assert "mayoclinic.org/back-pain" in item.content
    assert item.reply_to_url is None  # a forward's reference is not a reply


async def test_a_forwarded_invite_is_held(world: World) -> None:
    source = await world.mod.send(world.general, "our other server: discord.gg/abcdef")
    await world.alice.forward(source, world.general)
    [card] = cards(world)
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert (item.state, item.reasons) == (ItemState.PENDING, (Reason.INVITE,))


async def test_an_approved_forward_is_reposted_with_its_text_marked_as_forwarded(world: World) -> None:
    source = await world.mod.send(world.general, "write to jane.doe@gmail.com\nshe runs the group")
    await world.alice.forward(source, world.general)
    [card] = cards(world)
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert item.reasons == (Reason.EMAIL,)
    await world.mod.click(card, label="Approve")
    [repost] = reposts(world)
    assert repost.content == "↱ *Forwarded*\n> write to jane.doe@gmail.com\n> she runs the group"
    assert "discord.com/channels" not in repost.content  # no jump link, as for a reply


async def test_a_clean_forward_is_left_alone(world: World) -> None:
    source = await world.bob.send(world.general, "Walking helped me more than anything")
    forward = await world.alice.forward(source, world.general)
    assert forward.id in [m.id for m in world.general.history()]
    assert cards(world) == []


# --- webhooks the bot does not own ------------------------------------------------------------------


def foreign_webhook(world: World, name: str, creator: Any) -> Any:
    """A webhook someone else made in the general channel (an integration, or someone posing as the bot)."""
    hook = world.env.backend.create_webhook(world.general.id, name, creator.id)
    return simcord.builders.WebhookHandle(world.env, hook)


def assert_never_dmed(world: World, user_id: int) -> None:
    """What Discord would refuse: a webhook's messages are authored by the webhook, which is no user to DM.

    (SimCord registers a user under the webhook's id, so it would accept the DM; on Discord a DM channel is
    opened with a user's id, discord-api-docs Resources/User, Create DM: recipient_id.)
    """
    opened = [r for r in world.env.http_requests if r.method == "POST" and r.path == "/users/@me/channels"]
    assert all(int(r.json["recipient_id"]) != user_id for r in opened)


async def test_a_webhook_named_like_the_bot_is_screened_and_its_card_names_the_webhook(world: World) -> None:
    hook = foreign_webhook(world, "Forum Bridge", world.alice)
    posted = await hook.send("Official: https://www.mayoclinic.org/back-pain and write to jane.doe@gmail.com")
    assert posted.id not in [m.id for m in world.general.history()]  # removed
    [card] = cards(world)
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert (item.state, item.reasons) == (ItemState.BLOCKED, (Reason.MEDICAL_SITE, Reason.EMAIL))
    assert (item.author_id, item.webhook_id, item.webhook_name) == (hook.id, hook.id, "Forum Bridge")
    author = card.embeds[0].fields[0].value or ""
    assert f"Posted through webhook **Forum Bridge** (`{hook.id}`)" in author
    assert "not a member" in author
    assert "Approved posts" not in author  # a webhook holds no member record
    assert "Member since" not in author
    assert_never_dmed(world, hook.id)
    assert (await world.bot.store.members.get(world.guild.id, hook.id)).held_posts == 0


async def test_a_webhook_posing_as_a_member_is_held_and_its_approval_tells_no_one(world: World) -> None:
    hook = foreign_webhook(world, "Integrations", world.alice)
    await hook.send("mail me: jane.doe@gmail.com", username="Maria (mod)")
    [card] = cards(world)
    author = card.embeds[0].fields[0].value or ""
    assert f"Posted through webhook **Integrations** (`{hook.id}`) as “Maria (mod)”" in author
    view = [c.label for row in card.components for c in getattr(row, "children", [])]
    assert "Approve & trust member" not in view  # there is no member to trust
    await world.mod.click(card, label="Approve")
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert item.state is ItemState.APPROVED
    assert item.repost_message_id is not None
    assert_never_dmed(world, hook.id)
    assert await world.bot.store.items.unfinished() == []  # nothing left to tell: a restart does not retry a DM


async def test_a_clean_webhook_message_is_left_alone(world: World) -> None:
    hook = foreign_webhook(world, "Calendar", world.alice)
    posted = await hook.send("Support group meets Thursday at 7pm")
    assert [m.id for m in world.general.history()] == [posted.id]
    assert cards(world) == []


async def test_the_bots_own_webhook_is_known_after_a_restart(world: World) -> None:
    await world.newbie.send(world.general, "hello")
    await world.mod.click(cards(world)[0], label="Approve")
    [repost] = reposts(world)
    assert repost.webhook_id is not None
    world.bot.gate.publisher.forget(world.general.id)  # a restart: no webhook is cached
    ours = simcord.builders.WebhookHandle(world.env, world.env.backend.get_webhook(repost.webhook_id))
    posted = await ours.send("published before: https://www.mayoclinic.org/x", username="Nora New")
    assert posted.id in [m.id for m in world.general.history()]  # a repost of ours is never screened
    assert len(cards(world)) == 1
    # Known from Discord (who made the webhook), once: a second message asks no more.
    lookups = [r for r in world.env.http_requests if r.method == "GET" and r.path == f"/webhooks/{repost.webhook_id}"]
    assert len(lookups) == 1
    await ours.send("and again: https://www.mayoclinic.org/y", username="Nora New")
    assert len([r for r in world.env.http_requests if r.path == f"/webhooks/{repost.webhook_id}"]) == 1
    assert len(cards(world)) == 1


async def test_another_bots_own_message_is_not_screened(world: World) -> None:
    other = world.guild.add_member(world.env.create_user("helperbot", bot=True))
    posted = await other.send(world.general, "see https://www.mayoclinic.org/x")
    assert [m.id for m in world.general.history()] == [posted.id]
    assert cards(world) == []


async def test_a_webhooks_edit_that_adds_a_medical_link_is_screened(world: World) -> None:
    hook = foreign_webhook(world, "Calendar", world.alice)
    posted = await hook.send("Support group meets Thursday at 7pm")
    # A webhook edits its own messages with its token (discord-api-docs Resources/Webhook, Edit Webhook Message).
    world.env.backend.edit_message(world.general.id, posted.id, {"content": "Details: https://www.mayoclinic.org/x"})
    await world.env.settle()
    assert posted.id not in [m.id for m in world.general.history()]
    [card] = cards(world)
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert (item.state, item.edited, item.webhook_id) == (ItemState.BLOCKED, True, hook.id)


async def test_a_forwards_attachments_are_kept_and_reposted(world: World) -> None:
    source = await world.mod.send(
        world.general, "my exercise sheet, from example.org/sheet", attachments=[("sheet.txt", b"walk 10 min\n")]
    )
    await world.alice.forward(source, world.general)
    [card] = cards(world)
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert item.attachment_names == ("sheet.txt",)
    assert [a.data for a in await world.bot.store.items.attachments(item.id)] == [b"walk 10 min\n"]
    await world.mod.click(card, label="Approve")
    [repost] = reposts(world)
    assert [a.filename for a in repost.attachments] == ["sheet.txt"]
    assert repost.content.startswith("↱ *Forwarded*\n> my exercise sheet")
