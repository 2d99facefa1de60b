"""The mirror as the bot runs it: read the source, plan against the store and the guild, apply, record."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import discord

from bot.community import Community
from bot.mirror.executor import MirrorExecutor, snapshot
from bot.mirror.model import ChannelKind, ForumTree
from bot.mirror.plan import ApplyReport, MirrorOptions, Plan, desired_tree, plan_mirror
from bot.mirror.source import ForumSourceError, load_forum_file, tree_from_json, tree_to_json
from bot.mirror.vanilla import VanillaClient
from bot.mirror.words import status_text, summary_line
from bot.settings import MirrorSettings
from bot.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Applied:
    """One apply: the tree it read, the plan it made and what became of each action."""

    tree: ForumTree
    plan: Plan
    report: ApplyReport


class MirrorService:
    """Plans and applies the forum mirror for any guild, one apply per guild at a time."""

    def __init__(self, client: discord.Client, community: Community, settings: MirrorSettings) -> None:
        self.client = client
        self.community = community
        self.settings = settings
        kind = ChannelKind.FORUM if settings.channel_type == "forum" else ChannelKind.TEXT
        self.options = MirrorOptions(channel_kind=kind)
        self._locks: dict[int, asyncio.Lock] = {}

    @property
    def store(self) -> Store:
        """The store behind the community cache."""
        return self.community.store

    async def read_tree(self) -> ForumTree:
        """The forum's categories from the configured source; ForumSourceError says what went wrong."""
        if self.settings.source == "vanilla":
            if not self.settings.base_url:
                raise ForumSourceError("the source is the Vanilla API, but FORUM_BRIDGE_VANILLA_URL is not set")
            return await VanillaClient(self.settings.base_url, token=self.settings.token).fetch_tree()
        return load_forum_file(self.settings.file)

    async def plan(self, guild: discord.Guild, tree: ForumTree) -> Plan:
        """What applying this tree to the guild would do now."""
        settings = await self.community.settings(guild.id)
        state = await self.store.mirror.state(guild.id)
        records = await self.store.mirror.records(guild.id)
        view = snapshot(
            guild,
            moderator_channel_id=settings.moderator_channel_id,
            archive_category_id=state.archive_category_id,
        )
        moderator_channel = guild.get_channel(settings.moderator_channel_id) if settings.moderator_channel_id else None
        # A mirrored channel never takes the moderator channel's name: members would mistake one for the other.
        reserved = [moderator_channel.name] if moderator_channel is not None else []
        desired = desired_tree(tree.categories, self.options, reserved_names=reserved, left_out=tree.left_out)
        return plan_mirror(desired, records, view, self.options)

    async def preview(self, guild: discord.Guild) -> tuple[ForumTree, Plan]:
        """Read the source and plan, without changing anything."""
        tree = await self.read_tree()
        return tree, await self.plan(guild, tree)

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    async def apply(self, guild: discord.Guild, tree: ForumTree | None = None) -> Applied:
        """Read the source (unless given), plan and apply; two applies in one guild never overlap."""
        if tree is None:
            tree = await self.read_tree()
        async with self._lock(guild.id):
            plan = await self.plan(guild, tree)
            records = await self.store.mirror.records(guild.id)
            state = await self.store.mirror.state(guild.id)
            executor = MirrorExecutor(
                self.client, guild, self.store, records, archive_category_id=state.archive_category_id
            )
            report = await executor.apply(plan)
            summary = summary_line(plan, report.done, len(report.failed))
            await self.store.mirror.record_sync(
                guild.id, source=tree.source, summary=summary, tree_json=tree_to_json(tree.categories)
            )
        log.info("guild=%s mirror applied from %s: %s", guild.id, tree.source, summary)
        return Applied(tree, plan, report)

    async def status(self, guild: discord.Guild) -> str:
        """The mapping, the last sync and the drift since (planned against the last sync's tree)."""
        records = await self.store.mirror.records(guild.id)
        state = await self.store.mirror.state(guild.id)
        drift = None
        last_tree = tree_from_json(state.last_tree_json) if state.last_tree_json else None
        if last_tree is not None:
            drift = await self.plan(guild, ForumTree(last_tree, state.last_source or "the last sync"))
        present = {channel.id: channel.name for channel in guild.channels}
        return status_text(records, state, present, drift, datetime.now(UTC), last_tree=last_tree or ())

    async def sync_all(self) -> int:
        """Re-apply the source to every guild mirrored before; returns how many guilds were synced."""
        guild_ids = await self.store.mirror.guilds()
        if not guild_ids:
            return 0
        try:
            tree = await self.read_tree()
        except ForumSourceError as exc:
            log.error("periodic mirror sync skipped: %s", exc)
            return 0
        synced = 0
        for guild_id in guild_ids:
            guild = self.client.get_guild(guild_id)
            if guild is None:
                continue
            try:
                await self.apply(guild, tree)
            except discord.HTTPException as exc:
                log.error("periodic mirror sync of guild %s failed (%s %s)", guild_id, exc.status, exc.text)
                continue
            synced += 1
        return synced
