"""Channel messages: send (JSON or multipart), read, edit, delete, bulk-delete, reactions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import discord

from .. import limits, payloads
from ..api import ApiError, Call, Router, UploadedFile, missing_access, missing_permissions
from ..world import DM, THREAD_TYPES, Channel, StoredMessage, snowflake_ms, snowflake_time

if TYPE_CHECKING:
    from ..server import LocalDiscord

router = Router()
P = discord.Permissions


def require_view(local: LocalDiscord, ch: Channel) -> None:
    """Missing Access unless the bot can see the channel."""
    if not local.world.bot_can(ch, P(view_channel=True)):
        raise missing_access()


def require_send(local: LocalDiscord, ch: Channel, *, with_files: bool = False) -> None:
    """Raise what Discord answers when the bot may not post in this channel."""
    world = local.world
    if ch.type == DM:
        recipient = world.user(ch.recipient_id or 0)
        if recipient.dms_closed or recipient.bot:
            raise ApiError(403, 50007, "Cannot send messages to this user")
        return
    if ch.type not in (0, 5, *THREAD_TYPES):
        raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
    require_view(local, ch)
    send = P(send_messages_in_threads=True) if ch.is_thread else P(send_messages=True)
    if not world.bot_can(ch, send) or (with_files and not world.bot_can(ch, P(attach_files=True))):
        raise missing_permissions()


def check_reference(local: LocalDiscord, ch: Channel, body: Mapping[str, Any]) -> None:
    """A reply to an unknown message fails unless fail_if_not_exists is false."""
    ref = body.get("message_reference") or {}
    if not ref.get("message_id") or ref.get("fail_if_not_exists") is False:
        return
    if int(ref["message_id"]) not in local.world.messages.get(int(ref.get("channel_id") or ch.id), {}):
        raise ApiError(400, 50035, "Invalid Form Body")


def require_content(body: Mapping[str, Any], files: list[UploadedFile]) -> None:
    """Discord refuses a message with nothing in it.

    discord-api-docs, Resources/Message, Create Message: "at least one of content, embeds, sticker_ids,
    components, files[n], or poll" is required (Execute Webhook likewise, without stickers); else 400 / 50006.
    """
    keys = ("content", "embeds", "components", "sticker_ids", "poll")
    if not (files or any(body.get(key) for key in keys)):
        raise ApiError(400, 50006, "Cannot send an empty message")


MIB = 1024 * 1024
# discord-api-docs, Reference, "Uploading Files": "The file upload size limit applies to each file in a request.
# The default limit is 10 MiB for all users, but may be higher ... by the server's Boost Tier" (the tiers as
# discord.py 2.7.1 has them, Guild._PREMIUM_GUILD_LIMITS: 10, 10, 50 and 100 MiB). Resources/Message, Create
# Message, Limitations: "The maximum request size when sending a message is 25 MiB". Over either, Discord answers
# 413 with JSON error code 40005 (Topics/Opcodes and Status Codes, JSON Error Codes: "Request entity too large").
UPLOAD_LIMITS = {0: 10 * MIB, 1: 10 * MIB, 2: 50 * MIB, 3: 100 * MIB}
REQUEST_LIMIT = 25 * MIB


def require_fits(local: LocalDiscord, channel_id: int, body: Mapping[str, Any], files: list[UploadedFile]) -> None:
    """413 / 40005 when a file is over the server's upload limit or the request over 25 MiB."""
    if not files:
        return
    guild_id = local.world.channel(channel_id).guild_id
    tier = local.world.guilds[guild_id].premium_tier if guild_id is not None else 0
    size = len(json.dumps(body).encode()) + sum(len(upload.data) for upload in files)
    if any(len(upload.data) > UPLOAD_LIMITS[tier] for upload in files) or size > REQUEST_LIMIT:
        raise ApiError(413, 40005, "Request entity too large")


def apply_edit(local: LocalDiscord, stored: StoredMessage, body: Mapping[str, Any], files: list[UploadedFile]) -> None:
    """Apply an edit-message body: content, embeds, components, flags, and which attachments stay."""
    require_fits(local, stored.channel_id, body, files)
    limits.check_message(body)  # Resources/Message, Edit Message: the same limits as Create Message
    data = stored.payload
    for key in ("content", "components", "flags"):
        if key in body:
            data[key] = body[key] if body[key] is not None else ("" if key == "content" else [])
    if "content" in body:
        data.update(payloads.mentions(local.world, data["content"]))
    if "embeds" in body:
        data["embeds"] = [{"type": "rich", **e} for e in body["embeds"] or []]
    if "attachments" in body or files:
        keep = {str(a.get("id")) for a in body.get("attachments") or []}
        kept = [a for a in data["attachments"] if a["id"] in keep]
        data["attachments"] = kept + local.store_uploads(stored.channel_id, body, files)
    if "allowed_mentions" in body:
        stored.allowed_mentions = body["allowed_mentions"]
    data["edited_timestamp"] = snowflake_time(local.world.next_id())


@router.route("POST", "/channels/{channel_id}/messages")
async def create_message(local: LocalDiscord, call: Call) -> Any:
    """The bot posts a message, with files when multipart."""
    world = local.world
    ch = world.channel(call.id("channel_id"))
    require_send(local, ch, with_files=bool(call.files))
    require_content(call.body, call.files)
    require_fits(local, ch.id, call.body, call.files)
    limits.check_message(call.body)
    check_reference(local, ch, call.body)
    repeat = _same_nonce(local, ch, call.body)
    if repeat is not None:
        # Discord answers a repeated nonce with the message it already made (enforce_nonce).
        local.nonce_repeats += 1
        return payloads.rendered(world, repeat)
    attachments = local.store_uploads(ch.id, call.body, call.files)
    stored = payloads.message(world, ch, payloads.user(world.bot), call.body, attachments)
    await local.post_message(stored)
    if isinstance(call.body.get("nonce"), str):
        local.bot_nonces.setdefault(call.body["nonce"], []).append(stored)
    return payloads.rendered(world, stored)


def _same_nonce(local: LocalDiscord, ch: Channel, body: Mapping[str, Any]) -> StoredMessage | None:
    """The bot's recent message made with the same nonce, when the body enforces it.

    discord-api-docs, Resources/Message, Create Message, JSON/Form Params, enforce_nonce: "If true and nonce
    is present, it will be checked for uniqueness in the past few minutes. If another message was created by
    the same author with the same nonce, that message will be returned" — only in the past few minutes
    (local.nonce_window_s of Discord's clock): an older message with that nonce does not stop a new one.
    """
    nonce = body.get("nonce")
    if nonce is None or not body.get("enforce_nonce"):
        return None
    world = local.world
    since_ms = world.now_ms() - local.nonce_window_s * 1000
    # Looked up by nonce (a scan of every stored message made each send cost O(messages): the gate bench's
    # 20,000 clean messages added ~50 ms to every card); a message deleted since no longer counts.
    for stored in reversed(local.bot_nonces.get(nonce, [])):
        if snowflake_ms(stored.id) >= since_ms and stored.id in world.messages.get(stored.channel_id, {}):
            return stored
    return None


@router.route("GET", "/channels/{channel_id}/messages")
async def list_messages(local: LocalDiscord, call: Call) -> Any:
    """Channel history, newest first, honouring limit/before/after/around."""
    world = local.world
    ch = world.channel(call.id("channel_id"))
    require_view(local, ch)
    if not world.bot_can(ch, P(read_message_history=True)):
        return []
    query = call.request.query
    # discord-api-docs, Resources/Message, Get Channel Messages, Query String Params: "limit: max number of
    # messages to return (1-100)", default 50; `after` gets the messages right after that id (paging forward),
    # and the answer is newest first whichever of before/after/around is given.
    limit = int(query.get("limit") or 50)
    if not 1 <= limit <= 100:
        raise ApiError(400, 50035, "Invalid Form Body (limit: must be between 1 and 100)")
    found = sorted(world.messages.get(ch.id, {}).values(), key=lambda m: m.id)
    if "before" in query:
        found = [m for m in found if m.id < int(query["before"])][-limit:]
    elif "after" in query:
        found = [m for m in found if m.id > int(query["after"])][:limit]
    elif "around" in query:
        pivot = int(query["around"])
        older = [m for m in found if m.id <= pivot][-((limit + 1) // 2) :]
        found = older + [m for m in found if m.id > pivot][: limit - len(older)]
    else:
        found = found[-limit:]
    return [payloads.rendered(world, m) for m in reversed(found)]


@router.route("GET", "/channels/{channel_id}/messages/{message_id}")
async def get_message(local: LocalDiscord, call: Call) -> Any:
    """One message."""
    ch = local.world.channel(call.id("channel_id"))
    require_view(local, ch)
    return payloads.rendered(local.world, local.world.message(ch.id, call.id("message_id")))


@router.route("PATCH", "/channels/{channel_id}/messages/{message_id}")
async def edit_message(local: LocalDiscord, call: Call) -> Any:
    """The bot edits one of its own messages."""
    world = local.world
    stored = world.message(call.id("channel_id"), call.id("message_id"))
    if stored.author_id != world.bot.id:
        raise ApiError(403, 50005, "Cannot edit a message authored by another user")
    apply_edit(local, stored, call.body, call.files)
    await local.echo("MESSAGE_UPDATE", local.message_event(stored))
    return payloads.rendered(world, stored)


@router.route("DELETE", "/channels/{channel_id}/messages/{message_id}")
async def delete_message(local: LocalDiscord, call: Call) -> Any:
    """Delete a message: someone else's needs Manage Messages (and is impossible in DMs)."""
    world = local.world
    ch = world.channel(call.id("channel_id"))
    stored = world.message(ch.id, call.id("message_id"))
    if stored.author_id != world.bot.id:
        if ch.type == DM:
            raise ApiError(403, 50003, "Cannot execute action on a DM channel")
        require_view(local, ch)
        if not world.bot_can(ch, P(manage_messages=True)):
            raise missing_permissions()
    # Deleting a thread's starter message leaves the thread (a forum post keeps its title and replies):
    # discord-api-docs, Topics/Threads, "Public & Private Threads" ("can be 'orphaned' if that message is
    # deleted") and "Forums" (forum threads behave as text channel threads unless noted otherwise).
    world.drop_message(ch.id, stored.id)
    await local.echo("MESSAGE_DELETE", payloads.deleted(stored.payload))
    return None


@router.route("POST", "/channels/{channel_id}/messages/bulk-delete")
async def bulk_delete(local: LocalDiscord, call: Call) -> Any:
    """Delete 2 to 100 messages at once (needs Manage Messages)."""
    world = local.world
    ch = world.channel(call.id("channel_id"))
    require_view(local, ch)
    if not world.bot_can(ch, P(manage_messages=True)):
        raise missing_permissions()
    ids = limits.check_bulk_delete(call.body.get("messages") or [], world.now_ms())
    present = [m for m in ids if m in world.messages.get(ch.id, {})]
    for message_id in present:
        world.drop_message(ch.id, message_id)
    event: dict[str, Any] = {"ids": [str(m) for m in present], "channel_id": str(ch.id)}
    if ch.guild_id is not None:
        event["guild_id"] = str(ch.guild_id)
    await local.echo("MESSAGE_DELETE_BULK", event)
    return None


@router.route("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
async def add_reaction(local: LocalDiscord, call: Call) -> Any:
    """The bot reacts."""
    world = local.world
    ch = world.channel(call.id("channel_id"))
    stored = world.message(ch.id, call.id("message_id"))
    require_view(local, ch)
    if not world.bot_can(ch, P(add_reactions=True, read_message_history=True)):
        raise missing_permissions()
    users = world.reactions.setdefault(stored.id, {}).setdefault(call.params["emoji"], [])
    if world.bot.id not in users:
        users.append(world.bot.id)
        event = payloads.reaction_event(world, stored, world.bot.id, call.params["emoji"], added=True)
        await local.echo("MESSAGE_REACTION_ADD", event)
    return None


@router.route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
@router.route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}")
async def remove_reaction(local: LocalDiscord, call: Call) -> Any:
    """Remove the bot's reaction, or (with Manage Messages) someone else's."""
    world = local.world
    ch = world.channel(call.id("channel_id"))
    stored = world.message(ch.id, call.id("message_id"))
    user_id = call.id("user_id") if "user_id" in call.params else world.bot.id
    if user_id != world.bot.id and not world.bot_can(ch, P(manage_messages=True)):
        raise missing_permissions()
    users = world.reactions.get(stored.id, {}).get(call.params["emoji"], [])
    if user_id in users:
        users.remove(user_id)
        event = payloads.reaction_event(world, stored, user_id, call.params["emoji"], added=False)
        await local.echo("MESSAGE_REACTION_REMOVE", event)
    return None
