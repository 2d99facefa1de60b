"""Users, gateway discovery, the application and its commands, guilds and members, DM channels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from .. import limits, payloads
from ..api import ApiError, Call, Router, missing_permissions
from ..world import ALL_PERMISSIONS

if TYPE_CHECKING:
    from ..server import LocalDiscord

router = Router()


@router.route("GET", "/users/@me")
async def get_me(local: LocalDiscord, call: Call) -> Any:
    """The bot user (what `Client.login` fetches)."""
    return {**payloads.user(local.world.bot), "verified": True, "mfa_enabled": False, "email": None}


@router.route("GET", "/users/{user_id}")
async def get_user(local: LocalDiscord, call: Call) -> Any:
    """Any user."""
    return payloads.user(local.world.user(call.id("user_id")))


@router.route("POST", "/users/@me/channels")
async def open_dm(local: LocalDiscord, call: Call) -> Any:
    """Open (or reuse) the DM channel with a user."""
    recipient = int(call.body.get("recipient_id") or 0)
    local.world.user(recipient)
    limit = local.dm_open_limit
    if limit is not None and recipient not in local.world.dm_channels and not limit.allow():
        # discord-api-docs, Topics/Opcodes and Status Codes, JSON Error Codes: 40003 "You are opening direct
        # messages too fast" (see ratelimits.DmOpenLimit). Reopening an existing DM channel is not a new one.
        raise ApiError(403, 40003, "You are opening direct messages too fast")
    return payloads.channel(local.world, local.dm_channel(recipient))


@router.route("GET", "/gateway")
async def get_gateway(local: LocalDiscord, call: Call) -> Any:
    """The gateway address."""
    return {"url": local.gateway_url}


@router.route("GET", "/gateway/bot")
async def get_gateway_bot(local: LocalDiscord, call: Call) -> Any:
    """The gateway address with a shard count (what AutoShardedClient asks)."""
    limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
    return {"url": local.gateway_url, "shards": 1, "session_start_limit": limit}


@router.route("GET", "/applications/@me")
@router.route("GET", "/oauth2/applications/@me")
async def get_application(local: LocalDiscord, call: Call) -> Any:
    """The bot's application (discord.py asks /oauth2/applications/@me at login)."""
    return payloads.application(local.world)


def _commands(local: LocalDiscord, call: Call) -> tuple[int | None, list[dict[str, Any]]]:
    if call.id("application_id") != local.world.application_id:
        raise ApiError(403, 20012, "You are not authorized to perform this action on this application")
    guild_id = call.id("guild_id") if "guild_id" in call.params else None
    if guild_id is not None:
        local.world.guild(guild_id)
    return guild_id, local.world.commands.setdefault(guild_id, [])


@router.route("PUT", "/applications/{application_id}/commands")
@router.route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
async def overwrite_commands(local: LocalDiscord, call: Call) -> Any:
    """Bulk-overwrite global or guild application commands (`CommandTree.sync`)."""
    guild_id, _ = _commands(local, call)
    world = local.world
    given = call.request.json if isinstance(call.request.json, list) else []
    stored = []
    for command in given:
        saved = {"type": 1, "description": "", "options": [], "default_member_permissions": None, "nsfw": False}
        saved.update(command)
        saved.update(id=str(world.next_id()), application_id=str(world.application_id), version=str(world.next_id()))
        if guild_id is not None:
            saved["guild_id"] = str(guild_id)
        stored.append(saved)
    world.commands[guild_id] = stored
    return stored


@router.route("GET", "/applications/{application_id}/commands")
@router.route("GET", "/applications/{application_id}/guilds/{guild_id}/commands")
async def list_commands(local: LocalDiscord, call: Call) -> Any:
    """Registered global or guild application commands."""
    return _commands(local, call)[1]


@router.route("GET", "/guilds/{guild_id}")
async def get_guild(local: LocalDiscord, call: Call) -> Any:
    """A guild (REST omits members, channels and threads)."""
    data = payloads.guild_create(local.world, local.world.guild(call.id("guild_id")))
    for key in ("members", "channels", "threads", "voice_states", "presences", "joined_at", "large"):
        data.pop(key, None)
    return data


@router.route("GET", "/guilds/{guild_id}/channels")
async def get_guild_channels(local: LocalDiscord, call: Call) -> Any:
    """A guild's channels, threads excluded."""
    world = local.world
    chans = (world.channels[c] for c in world.guild(call.id("guild_id")).channels)
    return [payloads.channel(world, c) for c in chans if not c.is_thread]


@router.route("GET", "/guilds/{guild_id}/roles")
async def get_roles(local: LocalDiscord, call: Call) -> Any:
    """A guild's roles."""
    return [payloads.role(r) for r in local.world.guild(call.id("guild_id")).roles.values()]


@router.route("GET", "/guilds/{guild_id}/members/{user_id}")
async def get_member(local: LocalDiscord, call: Call) -> Any:
    """One member."""
    world = local.world
    return payloads.member(world, world.member(call.id("guild_id"), call.id("user_id")))


@router.route("PATCH", "/guilds/{guild_id}/members/{user_id}")
async def modify_member(local: LocalDiscord, call: Call) -> Any:
    """Time a member out (or end it): communication_disabled_until, with Moderate Members, up to 28 days ahead."""
    world = local.world
    guild = world.guild(call.id("guild_id"))
    member = world.member(guild.id, call.id("user_id"))
    body = call.body
    if "communication_disabled_until" in body:
        if not world.permissions(guild.id, world.bot.id) & discord.Permissions(moderate_members=True).value:
            raise missing_permissions()
        # discord-api-docs, Resources/Guild, Modify Guild Member, JSON Params, communication_disabled_until:
        # "Will throw a 403 error if the user has the ADMINISTRATOR permission or is the owner of the guild".
        if member.user_id == guild.owner_id or world.permissions(guild.id, member.user_id) == ALL_PERMISSIONS:
            raise missing_permissions()
        until = body["communication_disabled_until"]
        limits.check_timeout(until, world.now_ms())
        member.communication_disabled_until = until
    if "nick" in body:
        member.nick = body["nick"]
    data = payloads.member(world, member)
    await local.echo("GUILD_MEMBER_UPDATE", {**data, "guild_id": str(guild.id)})
    return data


@router.route("GET", "/guilds/{guild_id}/members")
async def list_members(local: LocalDiscord, call: Call) -> Any:
    """Members by ascending id, honouring `limit` and `after`."""
    world = local.world
    after = int(call.request.query.get("after") or 0)
    limit = int(call.request.query.get("limit") or 1)
    members = sorted(world.guild(call.id("guild_id")).members.values(), key=lambda m: m.user_id)
    return [payloads.member(world, m) for m in members if m.user_id > after][:limit]
