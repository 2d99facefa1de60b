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
from collections import deque
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
import yarl

log = logging.getLogger(__name__)

DEFAULT_RATE = 45  # of Discord's 50 per second, leaving room for what we do not see
DEFAULT_WINDOW = 1.0

URGENT = 0  # removing a held message
NORMAL = 1  # everything else


def request_priority(method: str, url: yarl.URL) -> int | None:
    """URGENT or NORMAL for a request on the global budget; None for one outside it."""
    path = url.path
    if "/api/" not in path:
        return None  # the CDN (attachments) and the gateway are not on the REST budget
    if "/interactions/" in path:
        return None  # interaction callbacks are exempt from the global limit
    if method == "DELETE" and "/messages/" in path:
        return URGENT
    if method == "POST" and path.endswith("/messages/bulk-delete"):
        return URGENT
    return NORMAL


class GlobalPacer:
    """At most `rate` requests in any `window` seconds, the waiting ones in priority order."""

    def __init__(
        self,
        rate: int = DEFAULT_RATE,
        window: float = DEFAULT_WINDOW,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if rate < 1 or window <= 0:
            raise ValueError("rate must be at least 1 and window positive")
        self.rate = rate
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._pump: asyncio.Task[None] | None = None
        self.waited = 0  # requests that had to wait: a figure for benchmarks and logs

    def _room(self, now: float) -> bool:
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()
        return len(self._sent) < self.rate

    async def acquire(self, priority: int = NORMAL) -> None:
        """Wait, if need be, until one more request fits in the budget."""
        now = self._clock()
        if not self._waiting and self._room(now):
            self._sent.append(now)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), future))
        self.waited += 1
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._release(), name="rest pacer")
        await future

    async def _release(self) -> None:
        while self._waiting:
            now = self._clock()
            if self._room(now):
                _, _, future = heapq.heappop(self._waiting)
                if not future.done():  # a cancelled request gives its place up
                    self._sent.append(now)
                    future.set_result(None)
                continue
            await self._sleep(self._sent[0] + self.window - now)

    def trace_config(self) -> aiohttp.TraceConfig:
        """An aiohttp trace config that paces every request a session makes."""
        config = aiohttp.TraceConfig()

        async def on_request_start(
            session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestStartParams
        ) -> None:
            priority = request_priority(params.method, params.url)
            if priority is not None:
                await self.acquire(priority)

        config.on_request_start.append(on_request_start)
        return config
