"""Channels and threads (forum posts included), and managing webhooks."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import discord

from .. import limits, payloads
from ..api import ApiError, Call, Router, missing_permissions
from ..world import FORUM, NEWS, NEWS_THREAD, PUBLIC_THREAD, THREAD_TYPES, Channel, Overwrite, Webhook
from .messages import require_content, require_fits, require_view

if TYPE_CHECKING:
    from ..server import LocalDiscord

router = Router()
P = discord.Permissions


def new_thread(
    local: LocalDiscord, parent: Channel, body: dict[str, Any], owner_id: int, *, thread_id: int | None = None
) -> Channel:
    """Create a thread under a channel (its id is the starter message's id for forum posts and message threads)."""
    world = local.world
    default_type = PUBLIC_THREAD if parent.type == FORUM or thread_id is not None else 12
    kind = int(body.get("type") or (NEWS_THREAD if parent.type == NEWS else default_type))
    thread = Channel(
        thread_id if thread_id is not None else world.next_id(),
        kind,
        str(body.get("name") or "thread"),
        parent.guild_id,
        parent_id=parent.id,
        owner_id=owner_id,
        auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
        rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
        applied_tags=[int(t) for t in body.get("applied_tags") or []],
    )
    world.channels[thread.id] = thread
    if parent.guild_id is not None:
        world.guild(parent.guild_id).channels.append(thread.id)
    return thread


async def announce_thread(local: LocalDiscord, thread: Channel) -> None:
    """Echo THREAD_CREATE for a thread the bot (or its webhook) created."""
    await local.echo("THREAD_CREATE", {**payloads.channel(local.world, thread), "newly_created": True})


@router.route("GET", "/channels/{channel_id}")
async def get_channel(local: LocalDiscord, call: Call) -> Any:
    """One channel, thread or DM."""
    ch = local.world.channel(call.id("channel_id"))
    require_view(local, ch)
    return payloads.channel(local.world, ch)


@router.route("PATCH", "/channels/{channel_id}")
async def edit_channel(local: LocalDiscord, call: Call) -> Any:
    """Edit a channel (Manage Channels) or a thread (its owner, or Manage Threads)."""
    world = local.world
    ch = world.channel(call.id("channel_id"))
    require_view(local, ch)
    allowed = ch.owner_id == world.bot.id or world.bot_can(ch, P(manage_threads=True))
    if not (allowed if ch.is_thread else world.bot_can(ch, P(manage_channels=True))):
        raise missing_permissions()
    body = call.body
    for key in ("name", "topic", "archived", "locked", "auto_archive_duration", "rate_limit_per_user", "nsfw"):
        if key in body:
            setattr(ch, key, body[key])
    if "position" in body:
        ch.position = int(body["position"])
    if "parent_id" in body:
        ch.parent_id = int(body["parent_id"]) if body["parent_id"] else None
    if "applied_tags" in body:
        ch.applied_tags = [int(t) for t in body["applied_tags"]]
    if "permission_overwrites" in body:
        ch.overwrites = [
            Overwrite(int(o["id"]), int(o["type"]), int(o.get("allow") or 0), int(o.get("deny") or 0))
            for o in body["permission_overwrites"]
        ]
    data = payloads.channel(world, ch)
    await local.echo("THREAD_UPDATE" if ch.is_thread else "CHANNEL_UPDATE", data)
    return data


@router.route("POST", "/channels/{channel_id}/threads")
async def create_thread(local: LocalDiscord, call: Call) -> Any:
    """A forum post (with its starter message, files allowed) or a thread without a message."""
    world = local.world
    parent = world.channel(call.id("channel_id"))
    require_view(local, parent)
    body = call.body
    if parent.type != FORUM:
        private = int(body.get("type") or 12) == 12
        needed = P(create_private_threads=True) if private else P(create_public_threads=True)
        if parent.type not in (0, NEWS) or not world.bot_can(parent, needed):
            raise (
                missing_permissions()
                if parent.type in (0, NEWS)
                else ApiError(400, 50024, "Cannot execute action on this channel type")
            )
        thread = new_thread(local, parent, body, world.bot.id)
        await announce_thread(local, thread)
        return payloads.channel(world, thread)
    if not world.bot_can(parent, P(send_messages=True)):
        raise missing_permissions()
    first = body.get("message") or {}
    require_content(first, call.files)
    require_fits(local, parent.id, first, call.files)
    limits.check_thread_name(body.get("name"))
    limits.check_message(first, where="message.")
    post_id = world.next_id()
    thread = new_thread(local, parent, body, world.bot.id, thread_id=post_id)
    attachments = local.store_uploads(thread.id, first, call.files)
    stored = payloads.message(world, thread, payloads.user(world.bot), first, attachments, message_id=post_id)
    await announce_thread(local, thread)
    await local.post_message(stored)
    return {**payloads.channel(world, thread), "message": payloads.rendered(world, stored)}


@router.route("POST", "/channels/{channel_id}/messages/{message_id}/threads")
async def thread_from_message(local: LocalDiscord, call: Call) -> Any:
    """A public thread started from a message; the thread's id is the message's."""
    world = local.world
    parent = world.channel(call.id("channel_id"))
    stored = world.message(parent.id, call.id("message_id"))
    require_view(local, parent)
    if not world.bot_can(parent, P(create_public_threads=True)):
        raise missing_permissions()
    if stored.id in world.channels:
        raise ApiError(400, 160004, "A thread has already been created for this message")
    thread = new_thread(local, parent, call.body, world.bot.id, thread_id=stored.id)
    await announce_thread(local, thread)
    return payloads.channel(world, thread)


@router.route("PUT", "/channels/{channel_id}/thread-members/@me")
async def join_thread(local: LocalDiscord, call: Call) -> Any:
    """The bot joins a thread (nothing to keep: every thread's events reach the bot here)."""
    ch = local.world.channel(call.id("channel_id"))
    if ch.type not in THREAD_TYPES:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    return None


@router.route("POST", "/channels/{channel_id}/webhooks")
async def create_webhook(local: LocalDiscord, call: Call) -> Any:
    """Create an incoming webhook (needs Manage Webhooks)."""
    world = local.world
    ch = world.channel(call.id("channel_id"))
    if ch.guild_id is None or ch.is_thread:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    require_view(local, ch)
    if not world.bot_can(ch, P(manage_webhooks=True)):
        raise missing_permissions()
    name = str(call.body.get("name") or "")
    if not name or "clyde" in name.lower() or "discord" in name.lower():
        raise ApiError(400, 50035, "Invalid Form Body")
    hook = Webhook(
        world.next_id(), secrets.token_urlsafe(48), ch.id, ch.guild_id, name, world.bot.id, world.application_id
    )
    world.webhooks[hook.id] = hook
    await local.echo("WEBHOOKS_UPDATE", {"guild_id": str(ch.guild_id), "channel_id": str(ch.id)})
    return payloads.webhook(world, hook)


@router.route("GET", "/channels/{channel_id}/webhooks")
async def channel_webhooks(local: LocalDiscord, call: Call) -> Any:
    """A channel's webhooks (needs Manage Webhooks)."""
    world = local.world
    ch = world.channel(call.id("channel_id"))
    require_view(local, ch)
    if not world.bot_can(ch, P(manage_webhooks=True)):
        raise missing_permissions()
    return [payloads.webhook(world, h) for h in world.webhooks.values() if h.channel_id == ch.id]


@router.route("GET", "/webhooks/{webhook_id}")
async def get_webhook(local: LocalDiscord, call: Call) -> Any:
    """One webhook."""
    return payloads.webhook(local.world, local.world.webhook(call.id("webhook_id")))


@router.route("DELETE", "/webhooks/{webhook_id}")
async def delete_webhook(local: LocalDiscord, call: Call) -> Any:
    """Delete a webhook."""
    hook = local.world.webhook(call.id("webhook_id"))
    del local.world.webhooks[hook.id]
    await local.echo("WEBHOOKS_UPDATE", {"guild_id": str(hook.guild_id), "channel_id": str(hook.channel_id)})
    return None
