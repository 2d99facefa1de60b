"""Row ↔ model mappers: how a stored row becomes a core record (``bot.models``), and JSON columns back."""

from __future__ import annotations

import json
from datetime import datetime

from bot.models import (
    AttachmentInfo,
    CardGroup,
    Decision,
    HeldItem,
    HeldPoll,
    ItemState,
    LinkPreapproval,
    MemberRecord,
    Notice,
    OutboxKind,
    OutboxRow,
    OutboxState,
    QueueEntry,
    StoredLink,
)
from bot.rules import Action, LinkClass, Reason
from bot.store.db import Row


def parse_time(text: str | None) -> datetime | None:
    """A stored moment, or None."""
    return datetime.fromisoformat(text) if text else None


def preapproval(row: Row) -> LinkPreapproval:
    """A link pre-approval row."""
    return LinkPreapproval(
        id=row["id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        domain=row["domain"],
        uses_left=row["uses_left"],
        granted_by=row["granted_by"],
        granted_at=datetime.fromisoformat(row["granted_at"]),
    )


def outbox_row(row: Row) -> OutboxRow:
    """An outbox row joined with its item."""
    return OutboxRow(
        id=row["id"],
        item_id=row["item_id"],
        kind=OutboxKind(row["kind"]),
        state=OutboxState(row["state"]),
        priority=row["priority"],
        guild_id=row["guild_id"],
        author_id=row["author_id"],
        channel_id=row["item_channel_id"],
        item_state=ItemState(row["item_state"]),
        attempts=row["attempts"],
        nonce=row["nonce"],
        group_id=row["group_id"],
        not_before=parse_time(row["not_before"]),
        repost_state=OutboxState(row["repost_state"]) if row["repost_state"] else None,
        card_state=OutboxState(row["card_state"]) if row["card_state"] else None,
        card_group_id=row["card_group_id"],
        updated_at=parse_time(row["updated_at"]),
        search_after=row["search_after"],
        error=row["error"],
    )


def notice(row: Row) -> Notice:
    """A notice row."""
    return Notice(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        author_id=row["author_id"],
        message_id=row["message_id"],
        content=row["content"],
        delete_at=datetime.fromisoformat(row["delete_at"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        search_after=row["search_after"],
    )


def card_group(row: Row) -> CardGroup:
    """A grouped card row."""
    return CardGroup(
        id=row["id"],
        guild_id=row["guild_id"],
        author_id=row["author_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        nonce=row["nonce"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def link_json(link: StoredLink) -> dict[str, str]:
    """A stored link as the JSON the links column keeps."""
    return {"url": link.url, "domain": link.domain, "class": link.link_class.value}


def external_domains(links_json: str) -> tuple[str, ...]:
    """Distinct domains of a links column's external links (what "allow domain" allows; see HeldItem)."""
    links = json.loads(links_json)
    return tuple(dict.fromkeys(str(d["domain"]) for d in links if d["class"] == LinkClass.EXTERNAL.value))


def member(row: Row) -> MemberRecord:
    """A member row."""
    return MemberRecord(
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        approved_posts=row["approved_posts"],
        held_posts=row["held_posts"],
        rejected_posts=row["rejected_posts"],
        trusted=bool(row["trusted"]),
        links_preapproved=bool(row["links_preapproved"]),
    )


def held_item(row: Row) -> HeldItem:
    """A held item row (with its files' names, sizes and whether their bytes were kept)."""
    files = [f for f in json.loads(row["attachment_names"] or "[]") if f is not None]
    return HeldItem(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        author_avatar_url=row["author_avatar_url"],
        content=row["content"],
        action=Action(row["action"]),
        reasons=tuple(Reason(code) for code in json.loads(row["reasons"])),
        links=tuple(StoredLink(d["url"], d["domain"], LinkClass(d["class"])) for d in json.loads(row["links"])),
        state=ItemState(row["state"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        thread_id=row["thread_id"],
        thread_name=row["thread_name"],
        is_forum_post=bool(row["is_forum_post"]),
        reply_to_url=row["reply_to_url"],
        edited=bool(row["edited"]),
        original_removed=bool(row["original_removed"]),
        removal_error=row["removal_error"],
        card_channel_id=row["card_channel_id"],
        card_message_id=row["card_message_id"],
        decided_by=row["decided_by"],
        decided_by_name=row["decided_by_name"],
        decided_at=parse_time(row["decided_at"]),
        decision=Decision(row["decision"]) if row["decision"] else None,
        decision_reason=row["decision_reason"],
        repost_channel_id=row["repost_channel_id"],
        repost_message_id=row["repost_message_id"],
        author_notified=bool(row["author_notified"]),
        attachment_names=tuple(str(name) for name, _, _ in files),
        attachment_info=tuple(AttachmentInfo(str(name), int(size), bool(kept)) for name, size, kept in files),
        webhook_id=row["webhook_id"],
        webhook_name=row["webhook_name"],
        applied_tags=tuple(int(tag) for tag in json.loads(row["applied_tags"])),
        sticker_names=tuple(str(name) for name in json.loads(row["sticker_names"])),
        poll=poll(row["poll"]),
    )


def poll_json(poll: HeldPoll | None) -> str | None:
    """A held poll as the JSON the poll column keeps."""
    if poll is None:
        return None
    return json.dumps(
        {
            "question": poll.question,
            "answers": [list(answer) for answer in poll.answers],
            "multiple": poll.multiple,
            "hours": poll.hours,
        }
    )


def poll(text: str | None) -> HeldPoll | None:
    """A held poll from its JSON."""
    if not text:
        return None
    data = json.loads(text)
    answers = tuple((str(text), str(emoji) if emoji else None) for text, emoji in data["answers"])
    return HeldPoll(str(data["question"]), answers, bool(data["multiple"]), int(data["hours"]))


def queue_entry(row: Row) -> QueueEntry:
    """A pending item as the queue lists it."""
    return QueueEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        reasons=tuple(Reason(code) for code in json.loads(row["reasons"])),
        created_at=datetime.fromisoformat(row["created_at"]),
        reminded_at=parse_time(row["reminded_at"]),
        card_channel_id=row["card_channel_id"],
        card_message_id=row["card_message_id"],
    )
