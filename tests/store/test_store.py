"""The store on real SQLite files: migrations, every method, exactly-once decisions, concurrent writers."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.models import AttachmentData, Decision, ItemState, NewHeldItem, StoredLink
from bot.rules import Action, LinkClass, Reason
from bot.store import Store, StoreError, _migrations

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def held(message_id: int = 100, *, action: Action = Action.HOLD, author_id: int = 7, **changes: object) -> NewHeldItem:
    values: dict[str, object] = {
        "guild_id": 1,
        "channel_id": 10,
        "message_id": message_id,
        "author_id": author_id,
        "author_name": "Jane",
        "author_avatar_url": "https://cdn.example/avatar.png",
        "content": "my blog: example.org",
        "action": action,
        "reasons": (Reason.NEW_MEMBER, Reason.EXTERNAL_LINK),
        "links": (StoredLink("example.org", "example.org", LinkClass.EXTERNAL),),
        "created_at": NOW,
        "attachments": (
            AttachmentData("x-ray.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
            AttachmentData("notes.txt", "text/plain", b"hello", spoiler=True, description="my notes"),
        ),
    }
    values.update(changes)
    return NewHeldItem(**values)  # type: ignore[arg-type]


async def test_migrates_from_empty_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "bridge.db"
    first = await Store.open(path)
    assert await first.schema_version() == len(_migrations())
    item, created = await first.add_held_item(held())
    await first.close()

    again = await Store.open(path)
    assert await again.schema_version() == len(_migrations())
    assert await again.item(item.id) == item
    assert created
    await again.close()

    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"guild_settings", "members", "held_items", "held_attachments", "allowed_domains", "audit_log"} <= tables


async def test_refuses_a_database_from_newer_code(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 999")
    with pytest.raises(StoreError, match="newer than this code"):
        await Store.open(path)


async def test_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot use database"):
        await Store.open(path)


async def test_foreign_keys_are_enforced(store: Store) -> None:
    item, _ = await store.add_held_item(held())
    assert len(await store.attachments(item.id)) == 2
    with pytest.raises(sqlite3.IntegrityError):
        async with store._transaction() as db:
            await db.execute(
                "INSERT INTO held_attachments (item_id, position, filename, size, data) VALUES (999, 0, 'x', 1, x'00')"
            )


async def test_held_item_round_trip_keeps_everything(store: Store) -> None:
    new = held(thread_id=55, thread_name="My first post", is_forum_post=True, reply_to_url="https://discord.com/x")
    item, created = await store.add_held_item(new)
    assert created
    assert item.state is ItemState.PENDING
    assert item.reasons == (Reason.NEW_MEMBER, Reason.EXTERNAL_LINK)
    assert item.links == (StoredLink("example.org", "example.org", LinkClass.EXTERNAL),)
    assert item.attachment_names == ("x-ray.png", "notes.txt")
    assert (item.thread_id, item.thread_name, item.is_forum_post) == (55, "My first post", True)
    assert item.target_channel_id == 55
    assert item.created_at == NOW
    assert item.external_domains == ("example.org",)
    stored = await store.attachments(item.id)
    assert stored == list(new.attachments)  # byte for byte, with spoiler and description
    assert (await store.member(1, 7)).held_posts == 1


async def test_storing_the_same_message_twice_is_a_no_op(store: Store) -> None:
    first, created_first = await store.add_held_item(held())
    second, created_second = await store.add_held_item(held(content="different"))
    assert (created_first, created_second) == (True, False)
    assert second == first
    assert (await store.member(1, 7)).held_posts == 1


async def test_blocked_items_start_blocked(store: Store) -> None:
    item, _ = await store.add_held_item(held(action=Action.BLOCK))
    assert item.state is ItemState.BLOCKED
    assert item.is_open


async def test_card_removal_and_lookups(store: Store) -> None:
    item, _ = await store.add_held_item(held())
    assert [i.id for i in await store.unfinished_items()] == [item.id]
    await store.set_card(item.id, 900, 901)
    await store.mark_original_removed(item.id)
    assert await store.unfinished_items() == []
    by_card = await store.item_by_card(901)
    assert by_card is not None
    assert by_card.original_removed
    assert (await store.item_by_message(100)) == by_card
    other, _ = await store.add_held_item(held(101))
    await store.mark_original_removed(other.id, error="403 Missing Permissions")
    refreshed = await store.item(other.id)
    assert refreshed is not None
    assert refreshed.removal_error == "403 Missing Permissions"
    assert not refreshed.original_removed
    assert await store.item(12345) is None


async def test_decide_approve_counts_and_audits(store: Store) -> None:
    item, _ = await store.add_held_item(held())
    outcome = await store.decide(item.id, Decision.APPROVE_TRUST, moderator_id=3, moderator_name="Mod", now=NOW)
    assert outcome.won
    assert outcome.item.state is ItemState.APPROVED
    assert (outcome.item.decided_by, outcome.item.decided_by_name, outcome.item.decided_at) == (3, "Mod", NOW)
    member = await store.member(1, 7)
    assert (member.approved_posts, member.trusted) == (1, True)
    audit = await store.audit_entries(1)
    assert [(row["item_id"], row["actor_id"], row["action"]) for row in audit] == [(item.id, 3, "approve_trust")]
    # decided and not yet reposted or told: reconciliation picks it up
    assert [i.id for i in await store.unfinished_items()] == [item.id]
    await store.set_repost(item.id, 10, 555)
    await store.mark_author_notified(item.id)
    await store.set_card(item.id, 900, 901)
    await store.mark_original_removed(item.id)
    assert await store.unfinished_items() == []


async def test_decide_reject_keeps_the_reason(store: Store) -> None:
    item, _ = await store.add_held_item(held())
    outcome = await store.decide(item.id, Decision.REJECT, moderator_id=3, moderator_name="Mod", reason="Spam")
    assert outcome.item.state is ItemState.REJECTED
    assert outcome.item.decision_reason == "Spam"
    assert (await store.member(1, 7)).rejected_posts == 1


@pytest.mark.parametrize(
    ("action", "decision", "won", "state"),
    [
        (Action.HOLD, Decision.RESTORE, False, ItemState.PENDING),
        (Action.BLOCK, Decision.APPROVE, False, ItemState.BLOCKED),
        (Action.BLOCK, Decision.RESTORE, True, ItemState.RESTORED),
        (Action.HOLD, Decision.APPROVE_DOMAIN, True, ItemState.APPROVED),
    ],
)
async def test_decisions_apply_only_to_their_state(
    store: Store, action: Action, decision: Decision, won: bool, state: ItemState
) -> None:
    item, _ = await store.add_held_item(held(action=action))
    outcome = await store.decide(item.id, decision, moderator_id=3, moderator_name="Mod")
    assert outcome.won is won
    assert outcome.item.state is state


async def test_two_moderators_at_once_one_wins(store: Store) -> None:
    item, _ = await store.add_held_item(held())
    outcomes = await asyncio.gather(
        *(
            store.decide(item.id, decision, moderator_id=mod, moderator_name=f"mod{mod}")
            for mod, decision in ((1, Decision.APPROVE), (2, Decision.REJECT), (3, Decision.APPROVE))
        )
    )
    winners = [outcome for outcome in outcomes if outcome.won]
    assert len(winners) == 1
    losers = [outcome for outcome in outcomes if not outcome.won]
    assert all(loser.item.decided_by == winners[0].item.decided_by for loser in losers)
    assert len(await store.audit_entries(1)) == 1


async def test_two_processes_writing_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    first, second = await Store.open(path), await Store.open(path)
    try:
        await asyncio.gather(
            *(store.update_member(1, 7, approved=1) for store in (first, second) for _ in range(50)),
            *(store.add_held_item(held(1000 + n)) for n, store in enumerate([first, second] * 10)),
        )
        member = await first.member(1, 7)
        assert member.approved_posts == 100
        assert member.held_posts == 20
        assert len(await second.open_items(1)) == 20
    finally:
        await first.close()
        await second.close()


async def test_guild_settings_and_screening(store: Store) -> None:
    assert (await store.guild_settings(1)).moderator_channel_id is None
    await store.set_moderation(1, channel_id=50)
    settings = await store.set_moderation(1, role_id=60)
    assert (settings.moderator_channel_id, settings.moderator_role_id) == (50, 60)
    await store.set_channel_screened(1, 70, False)
    await store.set_channel_screened(1, 70, False)
    assert (await store.guild_settings(1)).unscreened_channel_ids == frozenset({70})
    await store.set_channel_screened(1, 70, True)
    assert (await store.guild_settings(1)).unscreened_channel_ids == frozenset()


async def test_policy_overrides_round_trip(store: Store) -> None:
    assert await store.policy_overrides(1) == {}
    overrides = {"new_members": {"approved_posts_required": 2}, "links": {"actions": {"external": "allow"}}}
    await store.set_policy_overrides(1, overrides)
    assert await store.policy_overrides(1) == overrides
    assert await store.policy_overrides(2) == {}


async def test_allowed_domains(store: Store) -> None:
    assert await store.allow_domains(1, ["example.org", "blog.net"], added_by=3) == {"example.org", "blog.net"}
    assert await store.allow_domains(1, ["example.org"], added_by=3) == frozenset()
    assert await store.allowed_domains(1) == {"example.org", "blog.net"}
    assert await store.allowed_domains(2) == frozenset()
    assert await store.disallow_domain(1, "blog.net")
    assert not await store.disallow_domain(1, "blog.net")
    assert await store.allowed_domains(1) == {"example.org"}


async def test_member_flags(store: Store) -> None:
    record = await store.update_member(1, 8, trusted=True, links_preapproved=True)
    assert (record.trusted, record.links_preapproved, record.approved_posts) == (True, True, 0)
    record = await store.update_member(1, 8, approved=2)
    assert (record.trusted, record.approved_posts) == (True, 2)
    record = await store.update_member(1, 8, trusted=False)
    assert (record.trusted, record.links_preapproved) == (False, True)
    assert [m.user_id for m in await store.members(1)] == [8]


async def test_a_file_too_large_to_keep_keeps_its_name_and_size(store: Store) -> None:
    big = AttachmentData("mri.dcm", "application/dicom", b"", size=80 * 1024 * 1024)
    item, _ = await store.add_held_item(held(attachments=(AttachmentData("a.txt", None, b"hi"), big)))
    assert await store.attachments(item.id) == [AttachmentData("a.txt", None, b"hi"), big]
    assert [(i.filename, i.size, i.kept) for i in item.attachment_info] == [
        ("a.txt", 2, True),
        ("mri.dcm", 80 * 1024 * 1024, False),
    ]
    await store.drop_attachment_bytes(item.id, [0])  # Discord refused it
    [dropped, _] = await store.attachments(item.id)
    assert (dropped.kept, dropped.byte_size, dropped.data) == (False, 2, b"")
    again = await store.item(item.id)
    assert again is not None
    assert [i.kept for i in again.attachment_info] == [False, False]
