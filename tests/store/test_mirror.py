"""The mirror repository: the mapping and each guild's sync state, on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.mirror.model import ChannelKind, MirrorRecord, MirrorState
from bot.mirror.source import tree_from_json, tree_to_json
from bot.store import Store
from tests.mirror.fake import cat, heading

GUILD = 900


async def test_records_are_written_replaced_and_kept_per_guild(store: Store) -> None:
    assert await store.mirror.records(GUILD) == []
    await store.mirror.put_record(GUILD, MirrorRecord(20, 5001, ChannelKind.TEXT))
    await store.mirror.put_record(GUILD, MirrorRecord(2, 5000, ChannelKind.CATEGORY))
    await store.mirror.put_record(GUILD + 1, MirrorRecord(20, 6001, ChannelKind.FORUM))
    await store.mirror.put_record(GUILD, MirrorRecord(20, 5002, ChannelKind.TEXT, archived=True))
    assert await store.mirror.records(GUILD) == [
        MirrorRecord(2, 5000, ChannelKind.CATEGORY),
        MirrorRecord(20, 5002, ChannelKind.TEXT, archived=True),
    ]
    assert await store.mirror.records(GUILD + 1) == [MirrorRecord(20, 6001, ChannelKind.FORUM)]


async def test_what_an_archive_changed_is_kept_until_the_channel_is_restored(store: Store) -> None:
    assert await store.mirror.archive_undo(GUILD, 21) is None
    undo = {"send_messages": None, "create_public_threads": True}
    await store.mirror.put_record(GUILD, MirrorRecord(21, 5003, ChannelKind.TEXT, archived=True), archive_undo=undo)
    assert await store.mirror.archive_undo(GUILD, 21) == undo
    await store.mirror.put_record(GUILD, MirrorRecord(21, 5003, ChannelKind.TEXT))
    assert await store.mirror.archive_undo(GUILD, 21) is None


async def test_sync_state_and_the_last_tree(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bridge.db")
    try:
        await _record_a_sync(store)
    finally:
        await store.close()
    # It all survives a restart.
    again = await Store.open(tmp_path / "bridge.db")
    try:
        assert tree_from_json((await again.mirror.state(GUILD)).last_tree_json or "") == TREE
        assert await again.mirror.guilds() == [GUILD]
    finally:
        await again.close()


TREE = (heading(1, "Treatment"), cat(20, "Back Surgery and Neck Surgery", parent=1))


async def _record_a_sync(store: Store) -> None:
    assert await store.mirror.state(GUILD) == MirrorState(GUILD)
    assert await store.mirror.guilds() == []
    await store.mirror.set_archive_category(GUILD, 7000)
    assert await store.mirror.guilds() == []  # an archive alone is not a sync
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    await store.mirror.record_sync(
        GUILD, source="data/forum.toml", summary="2 changes", tree_json=tree_to_json(TREE), at=at
    )
    state = await store.mirror.state(GUILD)
    assert state == MirrorState(GUILD, 7000, at, "data/forum.toml", "2 changes", tree_to_json(TREE))
    assert await store.mirror.guilds() == [GUILD]
