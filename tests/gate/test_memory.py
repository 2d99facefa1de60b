"""The screening memory's write-behind, over a real SQLite store."""

from __future__ import annotations

import asyncio

from bot.gate.memory import ScreeningMemory
from bot.models import AllowedMessage
from bot.store import Store


async def test_changes_wait_for_the_tick_or_a_full_batch_and_marks_never_go_back(store: Store) -> None:
    memory = ScreeningMemory(lambda: store, batch=4)
    memory.remember(AllowedMessage(10, 1, 5, frozenset({"external:backblog.net"})))
    memory.saw(1, 5, 10)
    memory.saw(1, 5, 9)  # an older message (the catch-up reads old ones): the mark stays
    assert await store.screening.allowed_flaggables(10) is None  # nothing written per message
    assert await store.screening.channel_marks(1) == {}
    assert await memory.carried(10) == {"external:backblog.net"}  # read from memory, not the database
    await memory.write()  # the loop's tick
    assert await store.screening.allowed_flaggables(10) == {"external:backblog.net"}
    assert await store.screening.channel_marks(1) == {5: 10}
    for channel in range(20, 24):  # a full batch goes without waiting for the tick
        memory.saw(1, channel, 100 + channel)
    await asyncio.sleep(0)
    await memory.flush()
    assert await store.screening.channel_marks(1) == {5: 10, 20: 120, 21: 121, 22: 122, 23: 123}
    assert memory.pending == 0


async def test_a_message_not_in_memory_is_read_from_the_store_once(store: Store) -> None:
    await store.screening.save([AllowedMessage(77, 1, 5, frozenset({"email:a@b.org"}))], [])
    memory = ScreeningMemory(lambda: store)
    assert memory.known(77) is None
    assert await memory.carried(77) == {"email:a@b.org"}
    assert memory.known(77) == {"email:a@b.org"}  # kept for the next edit
    assert await memory.carried(78) == frozenset()


async def test_held_marks_wait_while_allowed_messages_still_go(store: Store) -> None:
    memory = ScreeningMemory(lambda: store)
    memory.hold_marks()  # a catch-up is reading the stored marks
    memory.saw(1, 5, 10)
    memory.remember(AllowedMessage(10, 1, 5, frozenset({"external:x.org"})))
    await memory.write()
    assert await store.screening.channel_marks(1) == {}
    assert await store.screening.allowed_flaggables(10) == {"external:x.org"}
    memory.release_marks()
    await memory.write()
    assert await store.screening.channel_marks(1) == {5: 10}
