"""The world rendered as Discord's JSON objects, and messages built from request bodies."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .world import (
    DM,
    THREAD_TYPES,
    Channel,
    Guild,
    Member,
    Role,
    StoredMessage,
    User,
    Webhook,
    World,
    snowflake_time,
)

_USER_MENTION = re.compile(r"<@!?(\d{15,20})>")
_ROLE_MENTION = re.compile(r"<@&(\d{15,20})>")


def user(u: User) -> dict[str, Any]:
    """A user object."""
    return {
        "id": str(u.id),
        "username": u.username,
        "global_name": u.global_name,
        "discriminator": "0",
        "avatar": u.avatar,
        "bot": u.bot,
        "public_flags": 0,
        "flags": 0,
    }


def role(r: Role) -> dict[str, Any]:
    """A role object."""
    data: dict[str, Any] = {
        "id": str(r.id),
        "name": r.name,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.managed,
        "mentionable": r.mentionable,
        "flags": 0,
    }
    if r.bot_id is not None:
        data["tags"] = {"bot_id": str(r.bot_id)}
    return data


def member(world: World, m: Member, *, permissions: int | None = None, with_user: bool = True) -> dict[str, Any]:
    """A guild member object; `permissions` is set in interactions, `with_user` is off in message `member` fields."""
    data: dict[str, Any] = {
        "roles": [str(r) for r in m.roles],
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "joined_at": m.joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": m.communication_disabled_until,
    }
    if with_user:
        data["user"] = user(world.user(m.user_id))
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def overwrites(ch: Channel) -> list[dict[str, Any]]:
    """A channel's permission overwrites."""
    return [{"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)} for o in ch.overwrites]


def channel(world: World, ch: Channel) -> dict[str, Any]:
    """A channel object of whichever type."""
    if ch.type == DM:
        return {
            "id": str(ch.id),
            "type": DM,
            "last_message_id": _opt_id(ch.last_message_id),
            "recipients": [user(world.user(ch.recipient_id or 0))],
            "flags": 0,
        }
    data: dict[str, Any] = {
        "id": str(ch.id),
        "type": ch.type,
        "guild_id": _opt_id(ch.guild_id),
        "name": ch.name,
        "parent_id": _opt_id(ch.parent_id),
        "position": ch.position,
        "flags": ch.flags,
        "nsfw": ch.nsfw,
        "rate_limit_per_user": ch.rate_limit_per_user,
        "last_message_id": _opt_id(ch.last_message_id),
    }
    if ch.type in THREAD_TYPES:
        data.update(
            owner_id=_opt_id(ch.owner_id),
            message_count=ch.message_count,
            total_message_sent=ch.message_count,
            member_count=1,
            applied_tags=[str(t) for t in ch.applied_tags],
            thread_metadata={
                "archived": ch.archived,
                "locked": ch.locked,
                "auto_archive_duration": ch.auto_archive_duration,
                "archive_timestamp": snowflake_time(ch.id),
                "create_timestamp": snowflake_time(ch.id),
            },
        )
        return data
    data.update(topic=ch.topic, permission_overwrites=overwrites(ch))
    if ch.type == 15:
        data.update(
            available_tags=ch.available_tags,
            default_reaction_emoji=None,
            default_sort_order=None,
            default_forum_layout=0,
            default_thread_rate_limit_per_user=0,
            default_auto_archive_duration=1440,
        )
    return data


def guild_create(world: World, g: Guild) -> dict[str, Any]:
    """The full GUILD_CREATE payload: roles, channels, active threads and every member."""
    chans = [world.channels[c] for c in g.channels]
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(g.owner_id),
        "roles": [role(r) for r in g.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": [],
        "member_count": len(g.members),
        "members": [member(world, m) for m in g.members.values()],
        "channels": [channel(world, c) for c in chans if not c.is_thread],
        "threads": [channel(world, c) for c in chans if c.is_thread and not c.archived],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "joined_at": g.members[world.bot.id].joined_at if world.bot.id in g.members else None,
        "large": False,
        "unavailable": False,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": g.premium_tier,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "system_channel_id": None,
        "system_channel_flags": 0,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "vanity_url_code": None,
        "application_id": None,
    }


def application(world: World) -> dict[str, Any]:
    """The application object GET /applications/@me returns."""
    return {
        "id": str(world.application_id),
        "name": world.bot.username,
        "icon": None,
        "description": "",
        "summary": "",
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "owner": user(world.owner),
        "team": None,
        "flags": 0,
        "bot": user(world.bot),
        "interactions_endpoint_url": None,
        "redirect_uris": [],
    }


def webhook(world: World, hook: Webhook) -> dict[str, Any]:
    """An incoming webhook object, token included."""
    return {
        "id": str(hook.id),
        "type": 1,
        "guild_id": str(hook.guild_id),
        "channel_id": str(hook.channel_id),
        "name": hook.name,
        "avatar": hook.avatar,
        "token": hook.token,
        "application_id": _opt_id(hook.application_id),
        "user": user(world.user(hook.creator_id)),
    }


def emoji(key: str) -> dict[str, Any]:
    """A reaction emoji from its route form: a unicode emoji, or name:id for a custom one."""
    name, _, emoji_id = key.partition(":")
    return {"id": emoji_id or None, "name": name, "animated": False}


def reactions(world: World, message_id: int) -> list[dict[str, Any]]:
    """A message's reaction summary as the bot sees it."""
    out = []
    for key, users in world.reactions.get(message_id, {}).items():
        if users:
            out.append(
                {
                    "emoji": emoji(key),
                    "count": len(users),
                    "count_details": {"burst": 0, "normal": len(users)},
                    "me": world.bot.id in users,
                    "me_burst": False,
                    "burst_colors": [],
                }
            )
    return out


def attachment(attachment_id: int, filename: str, size: int, url: str, content_type: str | None) -> dict[str, Any]:
    """An attachment object whose url points at the local CDN."""
    data: dict[str, Any] = {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
    }
    if content_type:
        data["content_type"] = content_type
    return data


def mentions(world: World, content: str) -> dict[str, Any]:
    """The mention fields Discord derives from a message's text."""
    return {
        "mention_everyone": "@everyone" in content or "@here" in content,
        "mentions": [user(world.users[int(u)]) for u in _USER_MENTION.findall(content) if int(u) in world.users],
        "mention_roles": _ROLE_MENTION.findall(content),
    }


def message(
    world: World,
    ch: Channel,
    author: dict[str, Any],
    body: dict[str, Any],
    attachments: Sequence[dict[str, Any]] = (),
    *,
    message_id: int | None = None,
    webhook_id: int | None = None,
) -> StoredMessage:
    """A new message from a create-message body (content, embeds, components, flags, message_reference...)."""
    mid = message_id if message_id is not None else world.next_id()
    content = str(body.get("content") or "")
    payload: dict[str, Any] = {
        "id": str(mid),
        "channel_id": str(ch.id),
        "type": 0,
        "author": author,
        "content": content,
        "timestamp": snowflake_time(mid),
        "edited_timestamp": None,
        "tts": bool(body.get("tts", False)),
        **mentions(world, content),
        "attachments": list(attachments),
        "embeds": [{"type": "rich", **e} for e in body.get("embeds") or []],
        "components": list(body.get("components") or []),
        "pinned": False,
        "flags": int(body.get("flags") or 0),
    }
    if ch.guild_id is not None:
        payload["guild_id"] = str(ch.guild_id)
    if webhook_id is not None:
        payload["webhook_id"] = str(webhook_id)
    if body.get("nonce") is not None:
        payload["nonce"] = body["nonce"]
    reference = body.get("message_reference")
    if reference and reference.get("message_id"):
        ref_id = int(reference["message_id"])
        ref_channel = int(reference.get("channel_id") or ch.id)
        payload["type"] = 19  # a reply
        payload["message_reference"] = {
            "type": 0,
            "message_id": str(ref_id),
            "channel_id": str(ref_channel),
            "guild_id": _opt_id(ch.guild_id),
        }
        referenced = world.messages.get(ref_channel, {}).get(ref_id)
        payload["referenced_message"] = referenced.payload if referenced else None
    return StoredMessage(payload, allowed_mentions=body.get("allowed_mentions"))


def rendered(world: World, stored: StoredMessage) -> dict[str, Any]:
    """A stored message as REST returns it now: with its current reactions."""
    found = reactions(world, stored.id)
    return {**stored.payload, "reactions": found} if found else stored.payload


def deleted(payload: dict[str, Any]) -> dict[str, Any]:
    """The MESSAGE_DELETE payload for a message."""
    event = {"id": payload["id"], "channel_id": payload["channel_id"]}
    if "guild_id" in payload:
        event["guild_id"] = payload["guild_id"]
    return event


def reaction_event(world: World, stored: StoredMessage, user_id: int, key: str, *, added: bool) -> dict[str, Any]:
    """The MESSAGE_REACTION_ADD / _REMOVE payload."""
    event: dict[str, Any] = {
        "user_id": str(user_id),
        "channel_id": str(stored.channel_id),
        "message_id": str(stored.id),
        "emoji": emoji(key),
        "burst": False,
        "type": 0,
    }
    guild_id = stored.payload.get("guild_id")
    if guild_id is not None:
        event["guild_id"] = guild_id
    if added:
        event.update(message_author_id=str(stored.author_id), burst_colors=[])
        guild = world.guilds.get(int(guild_id)) if guild_id is not None else None
        if guild is not None and user_id in guild.members:
            event["member"] = member(world, guild.members[user_id])
    return event


def _opt_id(value: int | None) -> str | None:
    return None if value is None else str(value)
