"""The interaction layer: card clicks, reactions on cards, time-outs, and a grouped card's "Review one by one" menu
(which answers Discord before it reads the store, within its 3-second deadline)."""

from __future__ import annotations

from bot.gate.words import GENERIC_REJECT_REASON
from bot.models import Decision, ItemState
from tests.deadline import answered_before_the_database
from tests.gate.conftest import World, cards, item_id_of, reposts
from tests.gate.test_outbox import _backlog, drain, group_cards, group_id_of, paused, spammer

__all__ = ["paused"]  # the fixture, used by name


async def test_opening_one_item_of_a_grouped_card_answers_before_reading_the_store(world: World, paused: None) -> None:
    await _backlog(world, await spammer(world), 4)
    await drain(world)
    [group] = group_cards(world)
    items = await world.bot.store.items.of_card_group(group_id_of(group))
    shown = await answered_before_the_database(
        world.env, world.bot.store, lambda: world.mod.select(group, [str(items[1].id)]), ephemeral=True
    )
    assert shown.ephemeral
    assert shown.response is not None
    assert shown.response.embeds[0].footer.text == f"Item #{items[1].id}"


async def test_a_non_moderator_cannot_click(world: World) -> None:
    await world.newbie.send(world.general, "first!")
    [card] = cards(world)
    refused = await world.helper.click(card, label="Approve")
    assert refused.ephemeral
    assert refused.response is not None
    assert "Only moderators" in refused.response.content
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert item.state is ItemState.PENDING
    assert reposts(world) == []


async def test_a_non_moderators_reaction_is_removed_and_a_moderators_decides(world: World) -> None:
    await world.newbie.send(world.general, "first!")
    [card] = cards(world)
    await world.helper.react(card, "✅")
    assert not [r for r in cards(world)[0].reactions if r.count]
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert item.state is ItemState.PENDING
    await world.mod.react(card, "✅")
    item = await world.bot.store.items.get(item_id_of(card))
    assert item is not None
    assert item.state is ItemState.APPROVED
    assert len(reposts(world)) == 1


async def test_a_moderators_cross_reaction_rejects_with_a_generic_reason(world: World) -> None:
    await world.newbie.send(world.general, "first!")
    await world.mod.react(cards(world)[0], "❌")
    item = await world.bot.store.items.get(item_id_of(cards(world)[0]))
    assert item is not None
    assert (item.state, item.decision_reason) == (ItemState.REJECTED, GENERIC_REJECT_REASON)


async def test_the_loser_of_a_race_is_told_who_decided_first(world: World) -> None:
    await world.newbie.send(world.general, "hello")
    [card] = cards(world)
    # Sam's decision lands in the store while Maria's screen still shows the buttons.
    await world.bot.store.decisions.decide(
        item_id_of(card), Decision.REJECT, moderator_id=world.mod2.id, moderator_name="Sam"
    )
    result = await world.mod.click(card, label="Approve")
    [told] = result.followups
    assert "already decided: Rejected by Sam" in told.content
    assert reposts(world) == []


async def test_reject_all_and_time_out_spares_a_moderator(world: World) -> None:
    world.bot.gate.outbox.pause()
    author = world.guild.add_member(world.env.create_user("later_mod", global_name="Later Mod"))
    for n in range(5):
        await author.send(world.general, f"my links {n}: cheap-pills.net/deal{n}")
    # Before anyone decides, the author is made a moderator (a wave card can also hold several people).
    guild = world.bot.get_guild(world.guild.id)
    assert guild is not None
    member = guild.get_member(author.id)
    role = guild.get_role(world.moderators_role.id)
    assert member is not None
    assert role is not None
    await member.add_roles(role)
    world.bot.gate.outbox.resume()
    await world.bot.gate.outbox.idle()
    await world.env.settle()
    [group] = [m for m in world.modqueue.history() if m.components]
    result = await world.mod.click(group, label="Reject all & time out")
    [said] = result.followups
    assert "Rejected 5 items." in said.content
    assert "Timed out" not in said.content
    assert "moderator" in said.content
    fresh = guild.get_member(author.id)
    assert fresh is not None
    assert fresh.timed_out_until is None
