"""Held items in the store: what is kept, lookups, cards and files."""

from __future__ import annotations

from bot.models import AttachmentData, ItemState, StoredLink
from bot.rules import Action, LinkClass, Reason
from bot.store import Store
from tests.store.helpers import NOW, held


async def test_held_item_round_trip_keeps_everything(store: Store) -> None:
    new = held(thread_id=55, thread_name="My first post", is_forum_post=True, reply_to_url="https://discord.com/x")
    item, created = await store.items.add(new)
    assert created
    assert item.state is ItemState.PENDING
    assert item.reasons == (Reason.NEW_MEMBER, Reason.EXTERNAL_LINK)
    assert item.links == (StoredLink("example.org", "example.org", LinkClass.EXTERNAL),)
    assert item.attachment_names == ("x-ray.png", "notes.txt")
    assert (item.thread_id, item.thread_name, item.is_forum_post) == (55, "My first post", True)
    assert item.target_channel_id == 55
    assert item.created_at == NOW
    assert item.external_domains == ("example.org",)
    stored = await store.items.attachments(item.id)
    assert stored == list(new.attachments)  # byte for byte, with spoiler and description
    assert (await store.members.get(1, 7)).held_posts == 1


async def test_storing_the_same_message_twice_is_a_no_op(store: Store) -> None:
    first, created_first = await store.items.add(held())
    second, created_second = await store.items.add(held(content="different"))
    assert (created_first, created_second) == (True, False)
    assert second == first
    assert (await store.members.get(1, 7)).held_posts == 1


async def test_blocked_items_start_blocked(store: Store) -> None:
    item, _ = await store.items.add(held(action=Action.BLOCK))
    assert item.state is ItemState.BLOCKED
    assert item.is_open


async def test_card_removal_and_lookups(store: Store) -> None:
    item, _ = await store.items.add(held())
    assert [i.id for i in await store.items.unfinished()] == [item.id]
    await store.items.set_card(item.id, 900, 901)
    await store.holds.settle(item.id, removed=True)
    assert await store.items.unfinished() == []
    by_card = await store.items.by_card(901)
    assert by_card is not None
    assert by_card.original_removed
    assert (await store.items.by_message(100)) == by_card
    other, _ = await store.items.add(held(101))
    await store.holds.settle(other.id, removed=False, error="403 Missing Permissions")
    refreshed = await store.items.get(other.id)
    assert refreshed is not None
    assert refreshed.removal_error == "403 Missing Permissions"
    assert not refreshed.original_removed
    assert await store.items.get(12345) is None


async def test_a_file_too_large_to_keep_keeps_its_name_and_size(store: Store) -> None:
    big = AttachmentData("mri.dcm", "application/dicom", b"", size=80 * 1024 * 1024)
    item, _ = await store.items.add(held(attachments=(AttachmentData("a.txt", None, b"hi"), big)))
    assert await store.items.attachments(item.id) == [AttachmentData("a.txt", None, b"hi"), big]
    assert [(i.filename, i.size, i.kept) for i in item.attachment_info] == [
        ("a.txt", 2, True),
        ("mri.dcm", 80 * 1024 * 1024, False),
    ]
    await store.items.drop_attachment_bytes(item.id, [0])  # Discord refused it
    [dropped, _] = await store.items.attachments(item.id)
    assert (dropped.kept, dropped.byte_size, dropped.data) == (False, 2, b"")
    again = await store.items.get(item.id)
    assert again is not None
    assert [i.kept for i in again.attachment_info] == [False, False]
