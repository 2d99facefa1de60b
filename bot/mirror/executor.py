"""Applying a mirror plan through discord.py: one Discord call per action, each mapping stored as it goes.

A channel's mapping is written the moment Discord confirms it, so an apply cut short (a crash,
a restart) resumes without duplicates: the next plan finds what was made, by id or by name.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.mirror.actions import (
    Action,
    ActionResult,
    Adopt,
    AdoptArchive,
    ApplyReport,
    Archive,
    Bookkeeping,
    Create,
    CreateArchive,
    Plan,
    Reorder,
    Retire,
    Update,
)
from bot.mirror.model import ChannelKind, ExistingChannel, GuildView, MirrorRecord
from bot.store import Store

if TYPE_CHECKING:
    from discord.types.guild import ChannelPositionUpdate

log = logging.getLogger(__name__)

REASON = "Forum Bridge: mirroring the forum's categories"
# What "read-only for members" takes away in an archived channel; restoring gives it back.
READ_ONLY = {
    "send_messages": False,
    "send_messages_in_threads": False,
    "create_public_threads": False,
    "create_private_threads": False,
}
# Which permissions each kind of action needs, to say so when Discord refuses.
_NEEDS: dict[type[Any], str] = {
    CreateArchive: "Manage Channels",
    Create: "Manage Channels",
    Update: "Manage Channels",
    Reorder: "Manage Channels",
    Archive: "Manage Channels and Manage Roles",
}


class _Skipped(Exception):
    """An action that cannot be attempted: what it depends on is missing."""


def channel_kind(channel: discord.abc.GuildChannel) -> ChannelKind:
    """What a Discord channel is, as far as the mirror cares."""
    if isinstance(channel, discord.CategoryChannel):
        return ChannelKind.CATEGORY
    if isinstance(channel, discord.ForumChannel):
        return ChannelKind.FORUM
    if isinstance(channel, discord.TextChannel) and not channel.is_news():
        return ChannelKind.TEXT
    return ChannelKind.OTHER


def snapshot(guild: discord.Guild, *, moderator_channel_id: int | None, archive_category_id: int | None) -> GuildView:
    """The guild's channels as the planner sees them."""
    channels = tuple(
        ExistingChannel(
            id=channel.id,
            name=channel.name,
            kind=channel_kind(channel),
            parent_id=channel.category_id,
            position=channel.position,
            topic=getattr(channel, "topic", None) or "",
        )
        for channel in guild.channels
    )
    return GuildView(channels, moderator_channel_id=moderator_channel_id, archive_category_id=archive_category_id)


def read_only(
    overwrites: dict[Any, discord.PermissionOverwrite], everyone: discord.Role
) -> tuple[dict[Any, Any], dict[str, bool | None]]:
    """The overwrites with members (@everyone) unable to write, and what that changed (permission → before)."""
    changed = dict(overwrites)
    overwrite = discord.PermissionOverwrite(**dict(changed.get(everyone, discord.PermissionOverwrite())))
    before = dict(overwrite)
    undo = {name: before.get(name) for name, value in READ_ONLY.items() if before.get(name) != value}
    overwrite.update(**READ_ONLY)
    changed[everyone] = overwrite
    return changed, undo


def writable(
    overwrites: dict[Any, discord.PermissionOverwrite],
    everyone: discord.Role,
    undo: Mapping[str, bool | None] | None = None,
) -> dict[Any, Any]:
    """The overwrites with the archive's read-only denials for @everyone taken back.

    With ``undo`` (what the archive changed), only those permissions go back to what they were,
    and only where the archive's denial is still in place: an admin's own denials, made before
    the archive or during it, stay. Without it (archived before that was recorded), all of them go.
    """
    changed = dict(overwrites)
    current = changed.get(everyone)
    if current is None:
        return changed
    overwrite = discord.PermissionOverwrite(**dict(current))
    now = dict(overwrite)
    if undo is None:
        overwrite.update(**dict.fromkeys(READ_ONLY))
    else:
        overwrite.update(
            **{name: value for name, value in undo.items() if name in READ_ONLY and now.get(name) == READ_ONLY[name]}
        )
    if overwrite.is_empty():
        del changed[everyone]
    else:
        changed[everyone] = overwrite
    return changed


class MirrorExecutor:
    """Carries out one plan in one guild."""

    def __init__(
        self,
        client: discord.Client,
        guild: discord.Guild,
        store: Store,
        records: Sequence[MirrorRecord],
        *,
        archive_category_id: int | None,
    ) -> None:
        self._client = client
        self._guild = guild
        self._store = store
        self._channel_of = {record.forum_id: record.channel_id for record in records if not record.archived}
        self._archive_id = archive_category_id
        # Channels made during this apply: Discord's echo may not have reached the cache yet.
        self._made: dict[int, discord.abc.GuildChannel] = {}

    async def apply(self, plan: Plan) -> ApplyReport:
        """Record the bookkeeping, then make each action's call; a failure is reported, not raised."""
        for item in plan.bookkeeping:
            await self._book(item)
        results = []
        for action in plan.actions:
            try:
                detail = await self._apply(action)
            except _Skipped as exc:
                results.append(ActionResult(action, False, str(exc), called=False))
                continue
            except discord.Forbidden as exc:
                why = f"missing permission: I need {_NEEDS[type(action)]} (Discord said: {exc.text or exc.status})"
                results.append(ActionResult(action, False, why))
            except discord.HTTPException as exc:
                results.append(ActionResult(action, False, f"Discord error {exc.status}: {exc.text or 'no detail'}"))
            else:
                results.append(ActionResult(action, True, detail))
                continue
            log.warning("guild=%s mirror action %s failed: %s", self._guild.id, action, results[-1].detail)
        return ApplyReport(tuple(results), plan.bookkeeping)

    async def _book(self, item: Bookkeeping) -> None:
        guild_id = self._guild.id
        if isinstance(item, Adopt):
            await self._store.mirror.put_record(guild_id, MirrorRecord(item.forum_id, item.channel_id, item.kind))
            self._channel_of[item.forum_id] = item.channel_id
            log.info(
                "guild=%s mirror adopted channel %s for forum category %s", guild_id, item.channel_id, item.forum_id
            )
        elif isinstance(item, AdoptArchive):
            await self._store.mirror.set_archive_category(guild_id, item.channel_id)
            self._archive_id = item.channel_id
        elif isinstance(item, Retire):
            await self._store.mirror.put_record(
                guild_id, MirrorRecord(item.forum_id, item.channel_id, item.kind, archived=True)
            )

    async def _apply(self, action: Action) -> str:
        if isinstance(action, CreateArchive):
            return await self._create_archive(action)
        if isinstance(action, Create):
            return await self._create(action)
        if isinstance(action, Update):
            return await self._update(action)
        if isinstance(action, Reorder):
            return await self._reorder(action)
        return await self._archive(action)

    # --- lookups ---------------------------------------------------------------------------

    def _channel(self, channel_id: int) -> discord.abc.GuildChannel:
        channel = self._made.get(channel_id) or self._guild.get_channel(channel_id)
        if channel is None:
            raise _Skipped(f"channel {channel_id} no longer exists")
        return channel

    def _category(self, forum_id: int | None) -> discord.CategoryChannel | None:
        if forum_id is None:
            return None
        channel_id = self._channel_of.get(forum_id)
        channel = None
        if channel_id is not None:
            channel = self._made.get(channel_id) or self._guild.get_channel(channel_id)
        if not isinstance(channel, discord.CategoryChannel):
            raise _Skipped(f"its Discord category (forum category {forum_id}) does not exist; it could not be made")
        return channel

    # --- actions ---------------------------------------------------------------------------

    async def _create_archive(self, action: CreateArchive) -> str:
        category = await self._guild.create_category(action.name, position=action.position, reason=REASON)
        self._made[category.id] = category
        self._archive_id = category.id
        await self._store.mirror.set_archive_category(self._guild.id, category.id)
        return f"made category {category.id}"

    async def _create(self, action: Create) -> str:
        channel: discord.abc.GuildChannel
        if action.kind is ChannelKind.CATEGORY:
            channel = await self._guild.create_category(action.name, position=action.position, reason=REASON)
        else:
            parent = self._category(action.parent_forum_id)
            topic = action.topic or discord.utils.MISSING
            if action.kind is ChannelKind.FORUM:
                channel = await self._guild.create_forum(
                    action.name, category=parent, topic=topic, position=action.position, reason=REASON
                )
            else:
                channel = await self._guild.create_text_channel(
                    action.name, category=parent, topic=topic, position=action.position, reason=REASON
                )
        self._made[channel.id] = channel
        self._channel_of[action.forum_id] = channel.id
        await self._store.mirror.put_record(self._guild.id, MirrorRecord(action.forum_id, channel.id, action.kind))
        log.info(
            "guild=%s mirror created %s %s for forum category %s",
            self._guild.id,
            action.kind,
            channel.id,
            action.forum_id,
        )
        return f"made {action.kind} {channel.id}"

    async def _update(self, action: Update) -> str:
        channel = self._channel(action.channel_id)
        changes: dict[str, Any] = {}
        if action.new_name is not None:
            changes["name"] = action.new_name
        if action.new_topic is not None and action.kind is not ChannelKind.CATEGORY:
            changes["topic"] = action.new_topic
        if action.move:
            changes["category"] = self._category(action.parent_forum_id)
        if action.restore:
            undo = await self._store.mirror.archive_undo(self._guild.id, action.forum_id)
            changes["overwrites"] = writable(channel.overwrites, self._guild.default_role, undo)
        await _edit(channel, changes)
        if action.restore:
            await self._store.mirror.put_record(
                self._guild.id, MirrorRecord(action.forum_id, action.channel_id, action.kind)
            )
        self._channel_of[action.forum_id] = action.channel_id
        return "changed " + ", ".join(sorted(changes))

    async def _reorder(self, action: Reorder) -> str:
        payload: list[ChannelPositionUpdate] = [
            {"id": placement.channel_id, "position": placement.position} for placement in action.placements
        ]
        await self._client.http.bulk_channel_update(self._guild.id, payload, reason=REASON)
        return f"moved {len(payload)}"

    async def _archive(self, action: Archive) -> str:
        channel = self._channel(action.channel_id)
        overwrites, undo = read_only(channel.overwrites, self._guild.default_role)
        changes: dict[str, Any] = {"overwrites": overwrites}
        if action.kind is not ChannelKind.CATEGORY:
            archive = self._made.get(self._archive_id or 0) or self._guild.get_channel(self._archive_id or 0)
            if not isinstance(archive, discord.CategoryChannel):
                raise _Skipped("the archive category does not exist; it could not be made")
            changes["category"] = archive
        await _edit(channel, changes)
        await self._store.mirror.put_record(
            self._guild.id,
            MirrorRecord(action.forum_id, action.channel_id, action.kind, archived=True),
            archive_undo=undo,
        )
        return "archived"


async def _edit(channel: discord.abc.GuildChannel, changes: dict[str, Any]) -> None:
    """One PATCH of the channel (no position: that would add a second, bulk call)."""
    if isinstance(channel, discord.CategoryChannel):
        changes.pop("category", None)
        changes.pop("topic", None)
        await channel.edit(reason=REASON, **changes)
    elif isinstance(channel, discord.TextChannel | discord.ForumChannel):
        await channel.edit(reason=REASON, **changes)
    else:
        raise _Skipped(f"#{channel.name} is not a text channel, forum or category")
