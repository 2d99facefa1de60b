"""A global REST pacer: no more than Discord's global budget leaves this process, deletes first.

Discord allows a bot about 50 requests a second across all routes, and discord.py has no
limiter for that global budget, only for per-route buckets. A spam wave (a delete, a card
and a DM per message) would overrun it and collect global 429s — and 10,000 invalid requests
in ten minutes get the bot's IP banned for an hour.

The pacer hooks aiohttp's request tracing (discord.py's ``http_trace`` option), so it sees
each request at the moment it is about to leave, after discord.py's own per-route waits:
what it counts is what Discord receives. A request that would exceed the budget waits (it
yields to the event loop, it never blocks it), and waiting requests go in priority order,
so removing held messages is never stuck behind cards and DMs.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
import yarl

log = logging.getLogger(__name__)

DEFAULT_RATE = 45.0  # requests a second, of Discord's 50
DEFAULT_BURST = 5  # so that no one second ever sees more than rate + burst = 50

URGENT = 0  # removing a held message
NORMAL = 1  # cards, reposts, everything else
LOW = 2  # telling authors in DMs, reading channel history (the start-up catch-up): it can wait


def request_priority(method: str, url: yarl.URL, is_dm_channel: Callable[[int], bool] = lambda _: False) -> int | None:
    """URGENT, NORMAL or LOW for a request on the global budget; None for one outside it."""
    path = url.path
    if "/api/" not in path:
        return None  # the CDN (attachments) and the gateway are not on the REST budget
    if "/interactions/" in path:
        return None  # interaction callbacks are exempt from the global limit
    if method == "DELETE" and "/messages/" in path:
        return URGENT
    if method == "POST" and path.endswith("/messages/bulk-delete"):
        return URGENT
    if method == "GET" and path.endswith("/messages"):
        return LOW  # channel history: the catch-up after downtime reads it, never ahead of removals and cards
    if method == "POST" and path.endswith("/users/@me/channels"):
        return LOW  # opening a DM
    if method == "POST" and path.endswith("/messages"):
        channel = path.rsplit("/", 2)[-2]
        if channel.isdigit() and is_dm_channel(int(channel)):
            return LOW
    return NORMAL


class GlobalPacer:
    """A token bucket: `rate` requests a second with bursts of `burst`; waiting requests by priority."""

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        is_dm_channel: Callable[[int], bool] = lambda _: False,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._is_dm_channel = is_dm_channel
        self._tokens = float(burst)
        self._updated = clock()
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._pump: asyncio.Task[None] | None = None
        self.waited = 0  # requests that had to wait: a figure for benchmarks and logs

    def _refill(self, now: float) -> None:
        # A hair of tolerance: sleeping exactly until the next token must find it there,
        # whatever floating point makes of (1 - tokens) / rate * rate.
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate + 1e-9)
        self._updated = now

    async def acquire(self, priority: int = NORMAL) -> None:
        """Wait, if need be, until one more request fits in the budget."""
        self._refill(self._clock())
        if not self._waiting and self._tokens >= 1:
            self._tokens -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), future))
        self.waited += 1
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._release(), name="rest pacer")
        await future

    async def _release(self) -> None:
        # One request every 1/rate seconds once the burst is spent: evenly spaced, never in clumps.
        while self._waiting:
            self._refill(self._clock())
            if self._tokens >= 1:
                _, _, future = heapq.heappop(self._waiting)
                if not future.done():  # a cancelled request gives its place up
                    self._tokens -= 1
                    future.set_result(None)
                continue
            await self._sleep((1 - self._tokens) / self.rate)

    def trace_config(self) -> aiohttp.TraceConfig:
        """An aiohttp trace config that paces every request a session makes."""
        config = aiohttp.TraceConfig()

        async def on_request_start(
            session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestStartParams
        ) -> None:
            priority = request_priority(params.method, params.url, self._is_dm_channel)
            if priority is not None:
                await self.acquire(priority)

        config.on_request_start.append(on_request_start)
        return config
