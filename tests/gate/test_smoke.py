from __future__ import annotations

from tests.gate.conftest import World, cards


async def test_new_member_first_post_is_held_and_carded(world: World) -> None:
    message = await world.newbie.send(world.general, "Hi all, I had an L4/5 fusion last month.")
    history = world.general.history()
    assert all(m.id != message.id for m in history)
    posted = cards(world)
    assert len(posted) == 1
    print(posted[0].embeds[0].to_dict())
    print([c.to_dict() for c in posted[0].components])
