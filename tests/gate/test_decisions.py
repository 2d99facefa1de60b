"""Decisions: each recorded exactly once, with what follows it (SimCord, real SQLite)."""

from __future__ import annotations

import asyncio

import discord

from bot.gate.words import COMMON_REJECT_REASONS
from bot.models import Decision, ItemState
from tests.gate.conftest import World, cards, dms, item_id_of, posts, reposts


async def test_approve_and_allow_domain_lets_the_next_link_through(world: World) -> None:
    await world.alice.send(world.general, "Good stretches at backblog.net/stretches")
    [card] = cards(world)
    await world.mod.click(card, label="Approve & allow domain")
    assert await world.bot.store.guilds.allowed_domains(world.guild.id) == {"backblog.net"}
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
    item = await world.bot.store.items.get(item_id_of(card))
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
    item = await world.bot.store.items.get(item_id_of(card))
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
    item = await world.bot.store.items.get(item_id_of(cards(world)[0]))
    assert item is not None
    assert item.decision_reason == "We don't allow selling here, sorry."
    assert "We don't allow selling here, sorry." in dms(world.newbie)[-1].content


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
