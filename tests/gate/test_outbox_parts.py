"""The outbox's parts on their own: the store's outbox section, lane buckets, the raid watch, the [raid] policy."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.gate.outbox import BUCKETS_KEPT, LaneBucket, OutboxWorker
from bot.gate.raid import BulkDeleter, RaidWatch
from bot.models import Decision, ItemState, NewHeldItem, OutboxKind, OutboxState, StoredLink
from bot.policy import DATA_DIR, PolicyError, RaidSettings, load_policy_file, raid_settings
from bot.rules import Action, LinkClass, Reason
from bot.store import Store

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def held(message_id: int, author_id: int = 7) -> NewHeldItem:
    """A new member's held link."""
    return NewHeldItem(
        guild_id=1,
        channel_id=10,
        message_id=message_id,
        author_id=author_id,
        author_name="Jane",
        author_avatar_url=None,
        content="deals: cheap-pills.net",
        action=Action.HOLD,
        reasons=(Reason.NEW_MEMBER, Reason.EXTERNAL_LINK),
        links=(StoredLink("cheap-pills.net", "cheap-pills.net", LinkClass.EXTERNAL),),
        created_at=NOW,
    )


async def rows_of(store: Store, item_id: int) -> dict[OutboxKind, OutboxState]:
    """An item's outbox rows, kind to state."""
    return {row.kind: row.state for row in await store.outbox.rows(tuple(OutboxState), item_id=item_id)}


# --- the store ------------------------------------------------------------------------------


async def test_a_hold_stores_its_card_and_dm_rows_waiting_until_released(store: Store) -> None:
    item, _ = await store.items.add(held(100))
    assert await rows_of(store, item.id) == {
        OutboxKind.CARD: OutboxState.WAITING,
        OutboxKind.HOLD_DM: OutboxState.WAITING,
    }
    assert await store.outbox.rows() == []  # nothing may go before the original is dealt with
    await store.outbox.release(item.id)
    assert [row.kind for row in await store.outbox.rows()] == [OutboxKind.CARD, OutboxKind.HOLD_DM]
    _, created = await store.items.add(held(100))
    assert not created
    assert len(await store.outbox.rows(tuple(OutboxState))) == 2  # a repeated delivery adds no rows


async def test_a_send_is_marked_then_recorded_with_its_message(store: Store) -> None:
    item, _ = await store.items.add(held(100))
    await store.outbox.release(item.id)
    [card, _dm] = await store.outbox.rows()
    await store.outbox.mark_sending([card.id], "fbc1")
    [sending] = await store.outbox.rows((OutboxState.SENDING,))
    assert (sending.id, sending.nonce, sending.attempts) == (card.id, "fbc1", 1)
    await store.outbox.mark_done([card.id], 555, 9001)
    fresh = await store.items.get(item.id)
    assert fresh is not None
    assert (fresh.card_channel_id, fresh.card_message_id) == (555, 9001)
    assert await store.items.by_card(9001) == fresh


async def test_failures_retry_later_or_wait_for_the_next_start(store: Store) -> None:
    item, _ = await store.items.add(held(100))
    await store.outbox.release(item.id)
    [card, dm] = await store.outbox.rows()
    later = datetime(2099, 1, 1, tzinfo=UTC)
    await store.outbox.mark_failed([card.id], "503 busy", retry_at=later)
    await store.outbox.mark_failed([dm.id], "403 closed")
    [queued] = await store.outbox.rows()
    assert (queued.id, queued.not_before) == (card.id, later)
    assert await rows_of(store, item.id) == {
        OutboxKind.CARD: OutboxState.QUEUED,
        OutboxKind.HOLD_DM: OutboxState.FAILED,
    }
    assert await store.outbox.requeue_failed() == 1
    assert (await rows_of(store, item.id))[OutboxKind.HOLD_DM] is OutboxState.QUEUED


async def test_decide_many_decides_each_once_and_queues_what_follows(store: Store) -> None:
    first, _ = await store.items.add(held(100))
    second, _ = await store.items.add(held(101))
    await store.decisions.decide(second.id, Decision.REJECT, moderator_id=5, moderator_name="Sam")
    outcomes = await store.decisions.decide_many(
        [first.id, second.id], Decision.APPROVE, moderator_id=4, moderator_name="Maria"
    )
    assert [(o.item.id, o.won, o.item.state) for o in outcomes] == [
        (first.id, True, ItemState.APPROVED),
        (second.id, False, ItemState.REJECTED),
    ]
    assert set(await rows_of(store, first.id)) == {
        OutboxKind.CARD,
        OutboxKind.HOLD_DM,
        OutboxKind.REPOST,
        OutboxKind.CARD_UPDATE,
        OutboxKind.DECISION_DM,
    }
    assert set(await rows_of(store, second.id)) == {
        OutboxKind.CARD,
        OutboxKind.HOLD_DM,
        OutboxKind.CARD_UPDATE,
        OutboxKind.DECISION_DM,
    }
    assert (await store.members.get(1, 7)).approved_posts == 1


async def test_a_done_decision_dm_marks_the_author_notified_and_a_repost_records_where(store: Store) -> None:
    item, _ = await store.items.add(held(100))
    await store.decisions.decide(item.id, Decision.APPROVE, moderator_id=4, moderator_name="Maria")
    rows = {row.kind: row for row in await store.outbox.rows(tuple(OutboxState), item_id=item.id)}
    await store.outbox.mark_done([rows[OutboxKind.REPOST].id], 10, 777)
    await store.outbox.mark_done([rows[OutboxKind.DECISION_DM].id], 99, 888)
    fresh = await store.items.get(item.id)
    assert fresh is not None
    assert (fresh.repost_channel_id, fresh.repost_message_id, fresh.author_notified) == (10, 777, True)
    assert await store.items.unfinished() == []  # published and told: nothing left for start-up
    # A card update that already went can be queued again (the card must show a later change).
    await store.outbox.mark_done([rows[OutboxKind.CARD_UPDATE].id], None, None)
    await store.outbox.rearm(item.id, OutboxKind.CARD_UPDATE)
    assert (await rows_of(store, item.id))[OutboxKind.CARD_UPDATE] is OutboxState.QUEUED


async def test_a_grouped_card_knows_its_items(store: Store) -> None:
    items = [(await store.items.add(held(100 + n)))[0] for n in range(3)]
    for item in items:
        await store.outbox.release(item.id)
    cards = [row for row in await store.outbox.rows() if row.kind is OutboxKind.CARD]
    group = await store.outbox.create_card_group(1, 7, 555, "fbg1")
    await store.outbox.mark_sending([row.id for row in cards], group.nonce, group_id=group.id)
    await store.outbox.set_card_group_message(group.id, 4242)
    await store.outbox.mark_done([row.id for row in cards], 555, 4242)
    assert [i.id for i in await store.items.of_card_group(group.id)] == [i.id for i in items]
    found = await store.outbox.card_group_by_message(4242)
    assert found is not None
    assert found.id == group.id
    assert await store.outbox.card_group_of(items[1].id) == group.id
    assert await store.outbox.counts() == {"done": 3, "queued": 3}


async def test_the_migration_chain_ends_with_the_outbox(store: Store) -> None:
    assert await store.schema_version() >= 4


# --- lane buckets --------------------------------------------------------------------------


def test_a_lane_bucket_allows_a_burst_then_spaces_sends_within_its_window() -> None:
    bucket = LaneBucket(5, 5.0)
    now = 0.0
    times = []
    for _ in range(8):
        wait = bucket.wait(now)
        now += wait
        bucket.take(now)
        times.append(now)
    assert times[:2] == [0.0, 0.0]  # a burst of two
    assert times[2:5] == [1.0, 2.0, 3.0]  # then evenly spaced
    for start in times:
        assert sum(1 for t in times if start <= t < start + 5.0) <= 5  # never more than 5 in 5 s


async def test_idle_lane_buckets_are_dropped_once_there_are_many_and_busy_ones_kept() -> None:
    worker = OutboxWorker(lambda: None, None)  # type: ignore[arg-type, return-value]  # buckets only
    busy = worker._bucket(("dm", 1), 0.0)
    busy.take(100.0)
    for member in range(2, BUCKETS_KEPT + 1):
        worker._bucket(("dm", member), 0.0).take(0.0)
    assert len(worker._buckets) == BUCKETS_KEPT
    # At 101 s every DM lane but the first is idle (its window is 5 s): they go, the busy one stays.
    fresh = worker._bucket(("dm", 99_999), 101.0)
    assert set(worker._buckets) == {("dm", 1), ("dm", 99_999)}
    assert worker._bucket(("dm", 1), 101.0) is busy
    assert fresh.idle(101.0)
    assert not busy.idle(101.0)


# --- the raid watch ------------------------------------------------------------------------


class Clock:
    """A clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_raid_starts_past_the_threshold_of_distinct_new_members_and_ends_with_the_window() -> None:
    clock = Clock()
    settings = RaidSettings(new_members=3, window_seconds=60)
    watch = RaidWatch(clock=clock)
    assert [watch.note(1, author, ("cheap-pills.net",), settings) for author in (1, 1, 2, 3)] == [False] * 4
    assert not watch.active(1)
    assert watch.note(1, 4, ("cheap-pills.net",), settings)  # the fourth member: more than 3
    assert not watch.note(1, 5, ("pills-now.shop",), settings)  # a raid starts once
    assert watch.active(1)
    assert not watch.active(2)  # per guild
    assert "5 new members posted held links within 60 s (more than 3)" in watch.describe(1)
    assert "cheap-pills.net (5)" in watch.describe(1).replace("\u200b", "")
    clock.now = 61
    assert not watch.active(1)
    assert not watch.bulk_delete(1, settings)


def test_bulk_deletes_follow_the_policy() -> None:
    settings = RaidSettings(new_members=1, window_seconds=60, bulk_delete=False)
    watch = RaidWatch(clock=Clock())
    watch.note(1, 1, (), settings)
    watch.note(1, 2, (), settings)
    assert watch.active(1)
    assert not watch.bulk_delete(1, settings)
    assert watch.bulk_delete(1, RaidSettings(new_members=1, window_seconds=60, bulk_delete=True))


def test_each_guild_counts_under_its_own_settings() -> None:
    clock = Clock()
    watch = RaidWatch(clock=clock)
    strict, shipped = RaidSettings(new_members=1, window_seconds=10), RaidSettings()
    assert [watch.note(1, author, (), strict) for author in (1, 2)] == [False, True]
    assert [watch.note(2, author, (), shipped) for author in (1, 2)] == [False, False]
    assert watch.active(1)
    assert not watch.active(2)
    assert "within 10 s (more than 1)" in watch.describe(1)
    clock.now = 11  # guild 1's window (10 s) has passed; the settings noted last are the ones that count
    assert not watch.active(1)
    # A looser setting given mid-raid ends it at once.
    assert [watch.note(3, author, (), strict) for author in (1, 2)] == [False, True]
    assert not watch.active(3, RaidSettings(new_members=5))


# --- the [raid] policy ---------------------------------------------------------------------


def test_the_shipped_raid_settings() -> None:
    assert raid_settings(load_policy_file().raw) == RaidSettings(new_members=5, window_seconds=60, bulk_delete=True)


def _policy_file(tmp_path: Path, raid: str) -> Path:
    for name in ("medical_domains.txt", "shorteners.txt"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    path = tmp_path / "policy.toml"
    path.write_text(f"[raid]\n{raid}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("raid", "error"),
    [
        ("new_members = 0", "raid.new_members must be between 1 and 10000, not 0"),
        ("new_members = true", "raid.new_members must be a whole number, not True"),
        ("window_seconds = 2", "raid.window_seconds must be between 5 and 86400 (a day), not 2"),
        ("window_seconds = '60'", "raid.window_seconds must be a whole number, not '60'"),
        ("bulk_delete = 1", "raid.bulk_delete must be true or false, not 1"),
        ("members = 5", "unknown key raid.members"),
    ],
)
def test_raid_mistakes_get_a_readable_error(tmp_path: Path, raid: str, error: str) -> None:
    with pytest.raises(PolicyError) as raised:
        load_policy_file(_policy_file(tmp_path, raid))
    assert error in str(raised.value)


def test_raid_overrides_are_read(tmp_path: Path) -> None:
    bundle = load_policy_file(_policy_file(tmp_path, "new_members = 12\nwindow_seconds = 30\nbulk_delete = false"))
    assert raid_settings(bundle.raw) == RaidSettings(new_members=12, window_seconds=30, bulk_delete=False)


# --- bulk deletes --------------------------------------------------------------------------


class FakeChannel:
    """Records what a BulkDeleter asks of a channel."""

    def __init__(self, channel_id: int = 10, fail: Exception | None = None) -> None:
        self.id = channel_id
        self.bulk: list[list[int]] = []
        self.single: list[int] = []
        self.fail = fail

    async def delete_messages(self, messages: list[Any]) -> None:
        if self.fail is not None:
            raise self.fail
        self.bulk.append([m.id for m in messages])

    def get_partial_message(self, message_id: int) -> Any:
        channel = self

        class Partial:
            async def delete(self) -> None:
                channel.single.append(message_id)

        return Partial()


def fresh_ids(count: int, start: int = 0) -> list[int]:
    """Snowflakes of messages made just now."""
    base = discord.utils.time_snowflake(datetime.now(UTC))
    return [base + start + n for n in range(count)]


async def test_removals_in_one_channel_go_together_in_bulk() -> None:
    deleter = BulkDeleter()
    channel = FakeChannel()
    ids = fresh_ids(3)
    await asyncio.gather(*(deleter.delete(channel, message_id) for message_id in ids))  # type: ignore[arg-type]
    assert channel.bulk == [ids]
    assert channel.single == []
    assert deleter.requests == 1
    # Alone in its flush, a message is deleted on its own (Discord's bulk delete needs two).
    [lone] = fresh_ids(1, start=10)
    await deleter.delete(channel, lone)  # type: ignore[arg-type]
    assert channel.single == [lone]


async def test_old_messages_are_deleted_one_by_one_and_errors_reach_every_caller() -> None:
    deleter = BulkDeleter()
    channel = FakeChannel()
    old = discord.utils.time_snowflake(datetime(2020, 1, 1, tzinfo=UTC))
    await deleter.delete(channel, old)  # type: ignore[arg-type]
    assert (channel.single, channel.bulk) == ([old], [])
    forbidden = discord.Forbidden(type("R", (), {"status": 403, "reason": "Forbidden"})(), "Missing Permissions")
    failing = FakeChannel(fail=forbidden)
    results = await asyncio.gather(
        *(deleter.delete(failing, message_id) for message_id in fresh_ids(2)),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    assert all(isinstance(result, discord.Forbidden) for result in results)
