"""A grouped card's "Review one by one" menu answers Discord before it reads the store (its 3-second deadline)."""

from __future__ import annotations

from tests.deadline import answered_before_the_database
from tests.gate.conftest import World
from tests.gate.test_outbox import _backlog, drain, group_cards, group_id_of, paused, spammer

__all__ = ["paused"]  # the fixture, used by name


async def test_opening_one_item_of_a_grouped_card_answers_before_reading_the_store(world: World, paused: None) -> None:
    await _backlog(world, await spammer(world), 4)
    await drain(world)
    [group] = group_cards(world)
    items = await world.bot.store.card_group_items(group_id_of(group))
    shown = await answered_before_the_database(
        world.env, world.bot.store, lambda: world.mod.select(group, [str(items[1].id)]), ephemeral=True
    )
    assert shown.ephemeral
    assert shown.response is not None
    assert shown.response.embeds[0].footer.text == f"Item #{items[1].id}"
