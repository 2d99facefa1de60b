"""The store's screening memory: allowed messages' flaggables and channel marks, written in batches."""

from __future__ import annotations

from bot.models import AllowedMessage, ChannelMark
from bot.store import Store
from tests.store.helpers import held


async def test_marks_only_move_forward_and_allowed_messages_are_read_back(store: Store) -> None:
    await store.screening.save(
        [AllowedMessage(500, 1, 10, frozenset({"external:backblog.net", "email:a@b.org"}))],
        [ChannelMark(10, 1, 500), ChannelMark(11, 1, 300), ChannelMark(99, 2, 50)],
    )
    await store.screening.save([], [ChannelMark(10, 1, 400), ChannelMark(11, 1, 350)])
    assert await store.screening.channel_marks(1) == {10: 500, 11: 350}  # 10 kept its newer mark
    assert await store.screening.channel_marks(2) == {99: 50}
    assert await store.screening.allowed_flaggables(500) == {"external:backblog.net", "email:a@b.org"}
    assert await store.screening.allowed_flaggables(501) is None


async def test_screened_ids_are_the_held_and_the_remembered(store: Store) -> None:
    await store.items.add(held(700))
    await store.screening.save([AllowedMessage(701, 1, 10, frozenset({"external:x.org"}))], [])
    assert await store.screening.screened_message_ids([699, 700, 701, 702]) == {700, 701}
    assert await store.screening.screened_message_ids([]) == set()
    assert await store.screening.forget_allowed_before(701) == 0
    assert await store.screening.forget_allowed_before(702) == 1
    assert await store.screening.screened_message_ids([700, 701]) == {700}
