"""Raid mode: noticing a burst of new members posting held links, and removing their messages in bulk.

A raid is more than `new_members` distinct new members whose held messages carry links within
`window_seconds` (the guild's [raid] settings: data/policy.toml's, changed per guild with /policy).
While one is under way the moderators get one card saying so, the wave's cards are grouped, and
originals are removed with bulk deletes: Discord takes 2–100 messages younger than two weeks per
request, per channel, once a second.

The watch lives in memory (it is read for every held message) and is kept in the store as it changes:
each sighting is written with the hold that made it, and `restore` loads them at start-up, so a restart
mid-raid neither posts a second raid card nor counts again from zero nor goes back to single deletes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import discord

from bot.gate import words
from bot.models import RaidSighting, RaidState
from bot.policy import RaidSettings

log = logging.getLogger(__name__)

BULK_DELETE_MAX = 100
BULK_DELETE_MAX_AGE = timedelta(days=14) - timedelta(minutes=5)  # a margin for clock skew
BULK_DELETE_EVERY_S = 1.0  # Discord's bucket for bulk deletes: about one a second per channel
GATHER_S = 0.05  # how long the first message of a batch waits for others to join it


@dataclass
class _GuildWatch:
    seen: deque[tuple[float, int, tuple[str, ...]]] = field(default_factory=deque)
    active: bool = False
    raid_size: int = 0
    # The guild's settings as last given (on note), for the callers that only ask "is a raid on?".
    settings: RaidSettings = field(default_factory=RaidSettings)


class RaidWatch:
    """Counts new members posting held links per guild, in a sliding window, under each guild's settings."""

    # A wall clock (seconds since the epoch), not a monotonic one: sightings are stored and outlive the process.
    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._guilds: dict[int, _GuildWatch] = {}

    def note(self, guild_id: int, author_id: int, domains: tuple[str, ...], settings: RaidSettings) -> bool:
        """Count a new member's held link under the guild's settings; True when this one starts a raid."""
        watch = self._guilds.setdefault(guild_id, _GuildWatch())
        watch.settings = settings
        now = self._clock()
        watch.seen.append((now, author_id, domains))
        self._expire(watch, now)
        authors = len({author for _, author, _ in watch.seen})
        watch.raid_size = max(watch.raid_size, authors) if watch.active else authors
        if not watch.active and authors > settings.new_members:
            watch.active = True
            log.warning("raid mode on in guild %s: %d new members posted held links", guild_id, authors)
            return True
        return False

    def active(self, guild_id: int, settings: RaidSettings | None = None) -> bool:
        """True while a raid is under way (until the window passes without one); settings default to the last noted."""
        watch = self._guilds.get(guild_id)
        if watch is None or not watch.active:
            return False
        if settings is not None:
            watch.settings = settings
        self._expire(watch, self._clock())
        if len({author for _, author, _ in watch.seen}) <= watch.settings.new_members:
            watch.active = False
            log.info("raid mode off in guild %s", guild_id)
        return watch.active

    def bulk_delete(self, guild_id: int, settings: RaidSettings) -> bool:
        """True when the guild's held messages should go with bulk deletes now, under its settings."""
        return settings.bulk_delete and self.active(guild_id, settings)

    def state(self, guild_id: int) -> RaidState:
        """The guild's watch as the store keeps it: raid on or not, its size, the sightings in the window."""
        watch = self._guilds.get(guild_id) or _GuildWatch()
        sightings = tuple(RaidSighting(at, author, domains) for at, author, domains in watch.seen)
        return RaidState(guild_id, watch.active, watch.raid_size, sightings)

    def window_start(self, guild_id: int) -> float:
        """The time before which the guild's sightings no longer count (its last noted window)."""
        watch = self._guilds.get(guild_id) or _GuildWatch()
        return self._clock() - watch.settings.window_seconds

    def restore(self, state: RaidState, settings: RaidSettings) -> None:
        """Take up a guild's watch as stored before a restart; a raid whose window passed meanwhile is over."""
        watch = _GuildWatch(
            seen=deque((s.at, s.author_id, s.domains) for s in sorted(state.sightings, key=lambda s: s.at)),
            active=state.active,
            raid_size=state.raid_size,
            settings=settings,
        )
        self._guilds[state.guild_id] = watch
        if self.active(state.guild_id):
            log.warning(
                "raid mode still on in guild %s after a restart (%d new members so far)",
                state.guild_id,
                watch.raid_size,
            )
        else:
            self._expire(watch, self._clock())

    def describe(self, guild_id: int) -> str:
        """The raid card's text."""
        watch = self._guilds.get(guild_id) or _GuildWatch()
        counts: dict[str, int] = {}
        for _, _, domains in watch.seen:
            for domain in domains:
                counts[domain] = counts.get(domain, 0) + 1
        ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
        return words.raid_notice(
            max(watch.raid_size, len({a for _, a, _ in watch.seen})),
            watch.settings.new_members,
            watch.settings.window_seconds,
            ranked,
        )

    def _expire(self, watch: _GuildWatch, now: float) -> None:
        while watch.seen and now - watch.seen[0][0] > watch.settings.window_seconds:
            watch.seen.popleft()


Deletable = discord.TextChannel | discord.Thread | discord.VoiceChannel | discord.StageChannel


class BulkDeleter:
    """Collects message removals per channel and makes them in bulk, within Discord's bucket."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._pending: dict[int, list[tuple[int, asyncio.Future[None]]]] = {}
        self._flushers: dict[int, asyncio.Task[None]] = {}
        self._last: dict[int, float] = {}
        self.requests = 0  # bulk-delete requests made: a figure for benchmarks

    async def delete(self, channel: Deletable, message_id: int) -> None:
        """Remove a message, together with others in its channel; raises what Discord answers."""
        if datetime.now(UTC) - discord.utils.snowflake_time(message_id) > BULK_DELETE_MAX_AGE:
            await channel.get_partial_message(message_id).delete()
            return
        pending = self._pending.setdefault(channel.id, [])
        for waiting_id, waiting in pending:
            if waiting_id == message_id:
                # Asked twice (a hold and a start-up retry, say): Discord refuses a bulk delete with an id twice.
                await asyncio.shield(waiting)
                return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pending.append((message_id, future))
        flusher = self._flushers.get(channel.id)
        if flusher is None or flusher.done():
            self._flushers[channel.id] = asyncio.get_running_loop().create_task(
                self._flush(channel), name=f"bulk delete {channel.id}"
            )
        await future

    async def _flush(self, channel: Deletable) -> None:
        while self._pending.get(channel.id):
            wait = self._last.get(channel.id, -1e9) + BULK_DELETE_EVERY_S - self._clock()
            await asyncio.sleep(max(wait, GATHER_S))
            waiting = self._pending.get(channel.id, [])
            batch, self._pending[channel.id] = waiting[:BULK_DELETE_MAX], waiting[BULK_DELETE_MAX:]
            if not batch:
                continue
            # Flushes are a second apart, so whatever arrives in between goes in the next one.
            self._last[channel.id] = self._clock()
            try:
                if len(batch) == 1:
                    await channel.get_partial_message(batch[0][0]).delete()
                else:
                    self.requests += 1
                    await channel.delete_messages([discord.Object(message_id) for message_id, _ in batch])
            except discord.HTTPException as exc:
                if exc.status != 400 or len(batch) == 1:
                    self._fail(channel, batch, exc)
                    continue
                # Refused whole for one message (too old by Discord's clock, which may run ahead of ours):
                # each goes on its own, and each caller hears of its own.
                log.warning(
                    "bulk delete of %d messages in channel %s refused (%s); deleting them one by one",
                    len(batch),
                    channel.id,
                    exc.code,
                )
                await self._one_by_one(channel, batch)
                continue
            except Exception as exc:
                self._fail(channel, batch, exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)
        self._pending.pop(channel.id, None)

    @staticmethod
    def _fail(channel: Deletable, batch: list[tuple[int, asyncio.Future[None]]], exc: Exception) -> None:
        # Every caller hears of it (a network error too): none may wait forever on its future.
        status = exc.status if isinstance(exc, discord.HTTPException) else type(exc).__name__
        log.warning("bulk delete of %d messages in channel %s failed (%s)", len(batch), channel.id, status)
        for _, future in batch:
            if not future.done():
                future.set_exception(exc)

    @staticmethod
    async def _one_by_one(channel: Deletable, batch: list[tuple[int, asyncio.Future[None]]]) -> None:
        for message_id, future in batch:
            try:
                await channel.get_partial_message(message_id).delete()
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
                continue
            if not future.done():
                future.set_result(None)
