"""Per-guild state the hot path needs, cached in memory and invalidated on every write.

Screening a message must not touch the database: the policy, the settings and the member
records come from here. Every write goes through this class too, so the caches never go
stale: a write updates the store, then replaces the cached value.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import replace
from typing import Any, TypeVar, cast

from bot.models import GuildSettings, MemberRecord
from bot.policy import PolicyBundle, PolicyError, RaidSettings, merge_overrides, parse_policy, raid_settings
from bot.rules import Policy
from bot.store import Store

log = logging.getLogger(__name__)

MEMBER_CACHE_SIZE = 100_000
T = TypeVar("T")


class Community:
    """Cached settings, policies and member records for every guild, over the store."""

    def __init__(
        self,
        store: Store,
        bundle: PolicyBundle,
        *,
        default_moderator_channel_id: int | None = None,
        default_moderator_role_id: int | None = None,
    ) -> None:
        self.store = store
        self.bundle = bundle
        self._default_channel = default_moderator_channel_id
        self._default_role = default_moderator_role_id
        self._settings: dict[int, GuildSettings] = {}
        self._policies: dict[int, Policy] = {}
        # Raid settings come from the same merged document as the policy: loaded, cached and dropped with it.
        self._raids: dict[int, RaidSettings] = {}
        self._shipped_raid = raid_settings(bundle.raw)
        self._members: OrderedDict[tuple[int, int], MemberRecord] = OrderedDict()
        self._loading: dict[Hashable, asyncio.Future[Any]] = {}
        self._epochs: dict[Hashable, int] = {}

    # --- reads (cached) ---------------------------------------------------------------

    async def _load_once(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """Run one load per key however many callers miss the cache at once (a burst after start-up)."""
        pending = self._loading.get(key)
        if pending is None:
            pending = asyncio.ensure_future(load())
            self._loading[key] = pending

            def forget(done: asyncio.Future[Any], key: Hashable = key) -> None:
                if self._loading.get(key) is done:
                    del self._loading[key]

            pending.add_done_callback(forget)
        return cast(T, await asyncio.shield(pending))

    def _invalidate(self, key: Hashable) -> None:
        # A load already under way read the old value: it must not land in the cache.
        self._epochs[key] = self._epochs.get(key, 0) + 1
        self._loading.pop(key, None)

    async def settings(self, guild_id: int) -> GuildSettings:
        """The guild's settings, falling back to the configured defaults."""
        cached = self._settings.get(guild_id)
        if cached is not None:
            return cached
        key = ("settings", guild_id)
        epoch = self._epochs.get(key, 0)

        async def load() -> GuildSettings:
            stored = await self.store.guilds.settings(guild_id)
            loaded = replace(
                stored,
                moderator_channel_id=stored.moderator_channel_id or self._default_channel,
                moderator_role_id=stored.moderator_role_id or self._default_role,
            )
            if self._epochs.get(key, 0) == epoch:
                self._settings[guild_id] = loaded
            return loaded

        return await self._load_once(key, load)

    async def policy(self, guild_id: int) -> Policy:
        """The guild's policy: shipped defaults, its overrides and its allowed domains."""
        cached = self._policies.get(guild_id)
        if cached is not None:
            return cached
        return (await self._load_policy(guild_id))[0]

    async def raid(self, guild_id: int) -> RaidSettings:
        """The guild's raid settings: the shipped [raid] with its overrides (cached with the policy)."""
        cached = self._raids.get(guild_id)
        if cached is not None:
            return cached
        return (await self._load_policy(guild_id))[1]

    async def _load_policy(self, guild_id: int) -> tuple[Policy, RaidSettings]:
        key = ("policy", guild_id)
        epoch = self._epochs.get(key, 0)

        async def load() -> tuple[Policy, RaidSettings]:
            overrides = await self.store.guilds.policy_overrides(guild_id)
            merged = merge_overrides(self.bundle.raw, overrides)
            try:
                policy, _ = parse_policy(merged)
                raid = raid_settings(merged)
            except PolicyError as exc:
                # Overrides are validated before they are stored; a bad row means someone
                # edited the database by hand. Keep moderating with the shipped policy.
                log.error("guild %s: stored policy overrides are invalid (%s); using the defaults", guild_id, exc)
                policy, raid = self.bundle.policy, self._shipped_raid
            allowed = await self.store.guilds.allowed_domains(guild_id)
            loaded = replace(policy, allowed_domains=policy.allowed_domains | allowed)
            if self._epochs.get(key, 0) == epoch:
                self._policies[guild_id] = loaded
                self._raids[guild_id] = raid
            return loaded, raid

        return await self._load_once(key, load)

    def cached(self, guild_id: int, user_id: int) -> tuple[GuildSettings, MemberRecord, Policy] | None:
        """The guild's settings, the member's record and the guild's policy if all three are cached; else None.

        The screening hot path: one synchronous look-up, no await, for the usual message.
        """
        settings = self._settings.get(guild_id)
        policy = self._policies.get(guild_id)
        record = self._members.get((guild_id, user_id))
        if settings is None or policy is None or record is None:
            return None
        self._members.move_to_end((guild_id, user_id))
        return settings, record, policy

    async def member(self, guild_id: int, user_id: int) -> MemberRecord:
        """A member's record, from the cache when possible."""
        cached = self._members.get((guild_id, user_id))
        if cached is not None:
            self._members.move_to_end((guild_id, user_id))
            return cached
        key = ("member", guild_id, user_id)
        epoch = self._epochs.get(key, 0)

        async def load() -> MemberRecord:
            loaded = await self.store.members.get(guild_id, user_id)
            if self._epochs.get(key, 0) == epoch:
                self._remember(loaded)
            return loaded

        return await self._load_once(key, load)

    def _remember(self, record: MemberRecord) -> None:
        self._members[(record.guild_id, record.user_id)] = record
        self._members.move_to_end((record.guild_id, record.user_id))
        if len(self._members) > MEMBER_CACHE_SIZE:
            self._members.popitem(last=False)

    # --- writes (store first, then cache) ----------------------------------------------

    def _drop_policy(self, guild_id: int) -> None:
        # The policy and the raid settings are one document: they go stale together.
        self._policies.pop(guild_id, None)
        self._raids.pop(guild_id, None)
        self._invalidate(("policy", guild_id))

    async def set_moderation(
        self, guild_id: int, *, channel_id: int | None = None, role_id: int | None = None
    ) -> GuildSettings:
        """Record the moderator channel and/or role."""
        await self.store.guilds.set_moderation(guild_id, channel_id=channel_id, role_id=role_id)
        self._settings.pop(guild_id, None)
        self._invalidate(("settings", guild_id))
        return await self.settings(guild_id)

    async def clear_moderator_role(self, guild_id: int) -> None:
        """Forget the stored moderator role (one /setup now refuses)."""
        await self.store.guilds.clear_moderator_role(guild_id)
        self._settings.pop(guild_id, None)
        self._invalidate(("settings", guild_id))

    async def set_channel_screened(self, guild_id: int, channel_id: int, screened: bool) -> None:
        """Screen or stop screening a channel."""
        await self.store.guilds.set_channel_screened(guild_id, channel_id, screened)
        self._settings.pop(guild_id, None)
        self._invalidate(("settings", guild_id))

    async def set_policy_overrides(self, guild_id: int, overrides: dict[str, Any]) -> Policy:
        """Validate and store a guild's policy changes; raise PolicyError if invalid."""
        parse_policy(merge_overrides(self.bundle.raw, overrides))
        await self.store.guilds.set_policy_overrides(guild_id, overrides)
        self._drop_policy(guild_id)
        return await self.policy(guild_id)

    async def allow_domains(self, guild_id: int, domains: list[str], added_by: int | None) -> frozenset[str]:
        """Add domains to the guild's allowed list; return those that were new."""
        added = await self.store.guilds.allow_domains(guild_id, domains, added_by)
        self._drop_policy(guild_id)
        return added

    def forget_policy(self, guild_id: int) -> None:
        """Drop a guild's cached policy after the store changed it elsewhere (a decision that allowed domains)."""
        self._drop_policy(guild_id)

    async def disallow_domain(self, guild_id: int, domain: str) -> bool:
        """Remove a domain from the guild's allowed list."""
        removed = await self.store.guilds.disallow_domain(guild_id, domain)
        self._drop_policy(guild_id)
        return removed

    async def update_member(self, guild_id: int, user_id: int, **changes: Any) -> MemberRecord:
        """Change a member's counts or flags (see MemberRepo.update)."""
        record = await self.store.members.update(guild_id, user_id, **changes)
        self._invalidate(("member", guild_id, user_id))
        self._remember(record)
        return record

    def remember_member(self, record: MemberRecord) -> None:
        """Cache a member record the store just returned with a write of its own (a hold)."""
        self._invalidate(("member", record.guild_id, record.user_id))
        self._remember(record)

    async def refresh_member(self, guild_id: int, user_id: int) -> MemberRecord:
        """Re-read a member after the store changed it (a decision, a hold)."""
        record = await self.store.members.get(guild_id, user_id)
        self._invalidate(("member", guild_id, user_id))
        self._remember(record)
        return record

    # --- admin commands (policy import, pre-approvals) ----------------------------------

    async def replace_policy(
        self,
        guild_id: int,
        *,
        overrides: dict[str, Any],
        allowed_domains: frozenset[str],
        unscreened_channel_ids: frozenset[int],
        actor_id: int | None,
    ) -> Policy:
        """Replace the guild's whole policy (an import) in one write; raise PolicyError if invalid."""
        parse_policy(merge_overrides(self.bundle.raw, overrides))
        await self.store.guilds.replace_policy(
            guild_id,
            overrides=overrides,
            allowed_domains=allowed_domains,
            unscreened_channel_ids=unscreened_channel_ids,
            actor_id=actor_id,
        )
        self._settings.pop(guild_id, None)
        self._invalidate(("settings", guild_id))
        self._drop_policy(guild_id)
        return await self.policy(guild_id)

    async def add_preapproval(
        self, guild_id: int, user_id: int, *, domain: str | None, uses: int | None, granted_by: int | None
    ) -> MemberRecord:
        """Pre-approve a member's links (one domain or any, standing or counted); the member's new record."""
        await self.store.members.add_preapproval(guild_id, user_id, domain=domain, uses=uses, granted_by=granted_by)
        return await self.refresh_member(guild_id, user_id)

    async def revoke_preapprovals(
        self, guild_id: int, user_id: int, *, domain: str | None, revoked_by: int | None
    ) -> tuple[int, MemberRecord]:
        """End a member's pre-approvals (one domain's, or all); how many ended, and the new record."""
        revoked = await self.store.members.revoke_preapprovals(guild_id, user_id, domain=domain, revoked_by=revoked_by)
        return revoked, await self.refresh_member(guild_id, user_id)
