"""The start-up catch-up: screen what members posted while the bot was away.

After downtime, or a gateway session Discord would not resume, the messages posted meanwhile
never reach `on_message`. At every READY (the first, and each one after a fresh IDENTIFY) the bot
reads each screened channel's history after the newest message it saw there (its mark, kept by
the screening memory) and hands each message to the same gate path as a live one.

Bounded: at most CATCH_UP_PER_CHANNEL messages a channel, none older than CATCH_UP_WINDOW. Paced:
one channel at a time, and the history reads are LOW on the global REST pacer (bot/pacer.py), so
removing held messages and posting cards never wait behind them. Never twice: a message already
held, remembered as allowed, or screened live by this process is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

import aiohttp
import discord

from bot.community import Community
from bot.gate.memory import ScreeningMemory
from bot.models import GuildSettings
from bot.rules import Verdict
from bot.store import DatabaseError, Store

log = logging.getLogger(__name__)

CATCH_UP_WINDOW = timedelta(hours=12)  # nothing older is read
CATCH_UP_PER_CHANNEL = 200  # messages read per channel at most (two history pages)
PAGE = 100  # Discord's most per Get Channel Messages request


def screened_channel(channel: discord.abc.GuildChannel | discord.Thread, settings: GuildSettings) -> bool:
    """True for a channel the gate screens: not the moderator channel, not one made unscreened (or their threads)."""
    ids = {channel.id, getattr(channel, "parent_id", None), getattr(channel, "category_id", None)}
    ids.discard(None)  # an unset moderator channel (None) must not match every uncategorised channel
    return settings.moderator_channel_id not in ids and not settings.unscreened_channel_ids & ids


class Gate(Protocol):
    """What the catch-up needs of the gate (bot/gate/service.py's Gate), without importing it."""

    client: discord.Client
    community: Community
    memory: ScreeningMemory

    @property
    def store(self) -> Store:
        """The store behind the community cache."""

    async def screen_missed(self, message: discord.Message, /) -> Verdict | None:
        """Judge a message read from history exactly as a live one."""


class CatchUp:
    """Reads what arrived while the bot was away and screens it through the gate."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self._task: asyncio.Task[int] | None = None
        self._first_live: dict[int, int] = {}  # per channel, the first message this session heard live
        self._before: dict[int, int] = {}  # the marks this process had when the session began

    def live(self, channel_id: int, message_id: int) -> None:
        """A message arrived live: the catch-up of its channel need not read past it."""
        if channel_id not in self._first_live:
            self._first_live[channel_id] = message_id

    def start(self) -> None:
        """Catch up in the background (once at a time: a READY during a catch-up leaves it running)."""
        if self._task is not None and not self._task.done():
            return
        # Where this session begins: the marks so far, with this session's kept out of the database until the
        # catch-up has read the stored ones (else it would read from a mark past what it missed).
        self._first_live.clear()
        self._before = self.gate.memory.marks()
        self.gate.memory.hold_marks()
        self._task = asyncio.get_running_loop().create_task(self.run(), name="catch-up")

    async def finished(self) -> int:
        """Wait for the catch-up in progress, if any; how many messages it screened (0 when none ran)."""
        task = self._task
        return await asyncio.shield(task) if task is not None else 0

    async def stop(self) -> None:
        """Stop a catch-up in progress (shutdown); what it screened stays screened."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> int:
        """Screen what every guild's screened channels received since the bot last saw them; how many."""
        floor = discord.utils.time_snowflake(discord.utils.utcnow() - CATCH_UP_WINDOW)
        guilds = list(self.gate.client.guilds)
        stored: dict[int, dict[int, int]] = {}
        try:
            for guild in guilds:
                try:
                    stored[guild.id] = await self.gate.store.screening.channel_marks(guild.id)
                except DatabaseError as exc:
                    log.error("catch-up in guild %s skipped: database error %s", guild.id, exc)
        finally:
            self.gate.memory.release_marks()
        screened = 0
        for guild in guilds:
            if guild.id not in stored:
                continue
            try:
                screened += await self._guild(guild, stored[guild.id], floor)
            except DatabaseError as exc:
                log.error("catch-up in guild %s stopped: database error %s", guild.id, exc)
        await self.gate.memory.flush()
        if screened:
            log.info("catch-up screened %d messages posted while the bot was away", screened)
        return screened

    async def _guild(self, guild: discord.Guild, stored: dict[int, int], floor: int) -> int:
        channels: list[discord.TextChannel | discord.Thread] = [*guild.text_channels, *guild.threads]
        marks = dict(stored)
        for channel in channels:
            # A mark this process moved in an earlier session counts too (it may not be written yet).
            if channel.id in self._before:
                marks[channel.id] = max(marks.get(channel.id, 0), self._before[channel.id])
        if not marks:
            return 0  # the bot never saw a message here: there is no "since" to resume from
        settings = await self.gate.community.settings(guild.id)
        # A channel with no mark had no message the bot saw: read it from the newest the bot saw in the guild.
        newest_seen = max(marks.values())
        screened = 0
        for channel in channels:
            if not screened_channel(channel, settings):
                continue
            since = max(marks.get(channel.id, newest_seen), floor)
            last = channel.last_message_id
            if last is None or last <= since:
                continue  # nothing new there (Discord says which message is a channel's last): no request
            screened += await self._channel(channel, since)
        return screened

    async def _channel(self, channel: discord.TextChannel | discord.Thread, since: int) -> int:
        read = 0
        screened = 0
        page: list[discord.Message] = []
        try:
            async for message in channel.history(
                limit=CATCH_UP_PER_CHANNEL, after=discord.Object(since), oldest_first=True
            ):
                if message.id >= self._first_live.get(channel.id, message.id + 1):
                    break  # from here on the live line has it
                read += 1
                page.append(message)
                if len(page) == PAGE:
                    screened += await self._screen(page)
                    page = []
            screened += await self._screen(page)
        except discord.Forbidden as exc:
            log.warning(
                "catch-up cannot read channel %s in guild %s (%s): needs Read Message History",
                channel.id,
                channel.guild.id,
                exc.text or exc.status,
            )
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning(
                "catch-up of channel %s in guild %s stopped (%s)",
                channel.id,
                channel.guild.id,
                exc.status if isinstance(exc, discord.HTTPException) else type(exc).__name__,
            )
        if read >= CATCH_UP_PER_CHANNEL:
            log.warning(
                "catch-up of channel %s in guild %s read its limit of %d messages: later ones were not screened",
                channel.id,
                channel.guild.id,
                CATCH_UP_PER_CHANNEL,
            )
        return screened

    async def _screen(self, page: Sequence[discord.Message]) -> int:
        if not page:
            return 0
        done = await self.gate.store.screening.screened_message_ids([message.id for message in page])
        screened = 0
        for message in page:
            if message.id in done:
                continue  # held, or allowed, already: never twice (the gate skips what this process screened)
            try:
                verdict = await self.gate.screen_missed(message)
            except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
                log.error(
                    "catch-up could not screen message %s in channel %s (%s)",
                    message.id,
                    message.channel.id,
                    exc.status if isinstance(exc, discord.HTTPException) else type(exc).__name__,
                )
                continue
            if verdict is not None:  # None: not screened at all (a bot's, or in a channel made unscreened)
                screened += 1
        return screened
