"""The outbox worker: drains the outbox table at the pace each Discord channel allows.

Holds and decisions write what must be said (cards, DMs, reposts, card updates) as rows in
the same transaction as the hold or decision, so nothing is lost in a crash. This worker
sends them: one request at a time per lane (a channel, a webhook, a member's DMs), each lane
inside its Discord bucket (about 5 messages per 5 s in a channel, 5 per 2 s per webhook),
lanes side by side, DMs last. The global budget is the pacer's (bot/pacer.py).

The worker runs only while there is something it can send, and exits when there is not:
`kick()` starts it again. It never sleeps long: a new row in an idle lane goes within a
fraction of a second even while other lanes wait for their buckets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from bot.models import OutboxRow, OutboxState
from bot.store import Store

log = logging.getLogger(__name__)

Lane = tuple[str, int]
"""Where a row goes and whose bucket it spends: ("post" | "edit" | "webhook", channel) or ("dm", user)."""

# Discord's per-route buckets, as (requests, seconds), for each kind of lane.
LANE_LIMITS: dict[str, tuple[int, float]] = {
    "post": (5, 5.0),  # new messages in a channel
    "edit": (5, 5.0),  # edits of messages in a channel
    "webhook": (5, 2.0),  # webhook executions
    "dm": (5, 5.0),  # messages in one member's DM channel
    # In a raid an author hears "your message is held" at most once per 10 s: the next DM covers every
    # message held meanwhile, so 10 messages cost 2 DMs, not 10.
    "hold": (1, 10.0),
}
MAX_IN_FLIGHT = 8
# A send that raised something other than a Discord error: its request may have reached Discord.
UNEXPECTED_ERROR = "unexpected error (see the bot's log)"
IDLE_POLL_S = 0.25  # the longest the worker waits before looking for new rows again


class Courier(Protocol):
    """What the worker needs from the gate: where rows go, how they group, and how they are sent."""

    async def route(self, rows: Sequence[OutboxRow]) -> dict[Lane, list[OutboxRow]]:
        """The rows that may go now, by lane, in order; rows that must wait are left out."""
        ...

    async def batch(self, lane: Lane, rows: list[OutboxRow]) -> list[OutboxRow]:
        """The rows of a lane that go together in its next request (the first row at least)."""
        ...

    async def deliver(self, lane: Lane, rows: list[OutboxRow]) -> None:
        """Send one request for these rows and record its outcome (never raises for Discord errors)."""
        ...


# Past this many lanes, idle buckets are dropped before a new one is made.
BUCKETS_KEPT = 1024


class LaneBucket:
    """At most `limit` sends in any `per` seconds, and past a burst of `burst`, evenly spaced.

    Sending a backlog at an even pace (one card a second, not five at once and then nothing
    for five seconds) keeps Discord's fixed windows happy whatever their phase, and lets the
    rows that arrive in between join the next request (a grouped card, one DM for several).
    """

    def __init__(self, limit: int, per: float, burst: int = 2) -> None:
        self.limit = limit
        self.per = per
        self.burst = min(burst, limit)
        self.spacing = per / limit
        self._sent: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more send fits (0 when it fits now)."""
        while self._sent and now - self._sent[0] >= self.per:
            self._sent.popleft()
        if len(self._sent) >= self.limit:
            return self._sent[0] + self.per - now
        if len(self._sent) >= self.burst:
            return max(0.0, self._sent[-1] + self.spacing - now)
        return 0.0

    def take(self, now: float) -> None:
        """Count a send."""
        self._sent.append(now)

    def idle(self, now: float) -> bool:
        """True when no send is still inside the window: a new bucket would behave the same."""
        return not self._sent or now - self._sent[-1] >= self.per


class OutboxWorker:
    """Sends queued outbox rows, lane by lane, within each lane's bucket."""

    def __init__(
        self,
        store: Callable[[], Store],
        courier: Courier,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self._store = store
        self._courier = courier
        self._clock = clock
        self._max_in_flight = max_in_flight
        self._buckets: dict[Lane, LaneBucket] = {}
        self._busy_lanes: set[Lane] = set()
        self._rows_in_flight: set[int] = set()
        self._sends: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._dirty = False
        self._timer: asyncio.TimerHandle | None = None
        self._progress = asyncio.Event()
        self._stopped = False
        self.sent = 0  # requests made: a figure for benchmarks and logs

    @property
    def in_flight(self) -> frozenset[int]:
        """The ids of the rows this worker is sending right now (they are 'sending' but not a crash's)."""
        return frozenset(self._rows_in_flight)

    @property
    def running(self) -> bool:
        """True while the worker is draining."""
        return self._task is not None and not self._task.done()

    def kick(self) -> None:
        """There may be new rows: start draining, or look again if already draining."""
        if self._stopped:
            return
        self._dirty = True
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(self._drain(), name="outbox worker")

    def _wake_up(self) -> None:
        self._timer = None
        self.kick()

    async def idle(self) -> None:
        """Wait until the worker has nothing more it will send by itself (bucket and retry waits included)."""
        loop = asyncio.get_running_loop()
        while True:
            if self._task is not None and not self._task.done():
                await asyncio.shield(self._task)
            elif self._timer is not None:
                await asyncio.sleep(max(0.0, self._timer.when() - loop.time()) + 0.001)
            else:
                return

    def pause(self) -> None:
        """Send nothing more until resume(): rows keep queueing (a maintenance switch; tests build backlogs with it)."""
        self._stopped = True

    def resume(self) -> None:
        """Accept kicks again after a stop (a client that logs in again), and look for rows."""
        self._stopped = False
        self.kick()

    async def stop(self, timeout: float) -> None:  # noqa: ASYNC109 - a shutdown bounds its wait
        """Let the sends in flight finish (their rows are marked), then stop; queued rows wait for the next start."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._sends:
            await asyncio.wait(set(self._sends), timeout=timeout)
        if self._sends:
            # Still going after the wait (a slow request, a paced lane): cut off now, before the store closes under
            # them. Their rows stay 'sending', and the next start looks for what they sent, as after a crash.
            late = set(self._sends)
            log.warning("outbox: stopping with %d sends still in flight; the next start finishes them", len(late))
            for send in late:
                send.cancel()
            await asyncio.wait(late)
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._announce()

    async def wait_for_items(self, item_ids: Iterable[int], timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until the rows of these items have gone (or can go no further now); False on timeout."""
        wanted = set(item_ids)
        store = self._store()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            progress = self._progress
            # Only these items' rows: this runs at every send, and a backlog can hold thousands of others.
            pending = await store.outbox.rows(
                (OutboxState.WAITING, OutboxState.QUEUED, OutboxState.SENDING), item_ids=wanted, limit=100_000
            )
            if not pending or not self.running:
                return not pending
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(progress.wait(), min(remaining, 1.0))

    def _announce(self) -> None:
        # Wake everyone waiting for progress; the next wait gets a fresh event.
        self._progress.set()
        self._progress = asyncio.Event()

    async def _drain(self) -> None:
        try:
            await self._drain_loop()
        finally:
            self._announce()

    async def _drain_loop(self) -> None:
        store = self._store()
        while True:
            if self._stopped:
                return  # stopping or paused: what is queued waits in the database, sends in flight finish
            self._dirty = False
            rows = await store.outbox.rows((OutboxState.QUEUED,), limit=2000)
            now = self._clock()
            wall = datetime.now(UTC)
            next_wake: float | None = None
            ready: list[OutboxRow] = []
            for row in rows:
                if row.id in self._rows_in_flight:
                    continue
                if row.not_before is not None and row.not_before > wall:
                    delay = (row.not_before - wall).total_seconds()
                    next_wake = delay if next_wake is None else min(next_wake, delay)
                    continue
                ready.append(row)
            started = False
            for lane, lane_rows in (await self._courier.route(ready)).items():
                if lane in self._busy_lanes or len(self._sends) >= self._max_in_flight:
                    continue
                bucket = self._bucket(lane, now)
                wait = bucket.wait(now)
                if wait > 0:
                    next_wake = wait if next_wake is None else min(next_wake, wait)
                    continue
                batch = await self._courier.batch(lane, lane_rows)
                if not batch:
                    continue
                bucket.take(now)
                self._start(lane, batch)
                started = True
            if started or self._dirty:
                continue
            if self._sends:
                timeout = IDLE_POLL_S if next_wake is None else min(max(next_wake, 0.001), IDLE_POLL_S)
                await asyncio.wait(set(self._sends), timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                continue
            if next_wake is not None:
                # Only waits for buckets or retries are left: stop, and start again when the first is over
                # (or at the next kick, whichever comes first).
                if self._timer is not None:
                    self._timer.cancel()
                self._timer = asyncio.get_running_loop().call_later(max(next_wake, 0.001), self._wake_up)
            return

    def _bucket(self, lane: Lane, now: float) -> LaneBucket:
        """The lane's bucket; idle ones are dropped now and then (a lane per member DMed would grow forever)."""
        bucket = self._buckets.get(lane)
        if bucket is None:
            if len(self._buckets) >= BUCKETS_KEPT:
                self._buckets = {key: kept for key, kept in self._buckets.items() if not kept.idle(now)}
            bucket = self._buckets[lane] = LaneBucket(*LANE_LIMITS[lane[0]])
        return bucket

    def _start(self, lane: Lane, batch: list[OutboxRow]) -> None:
        ids = {row.id for row in batch}
        self._busy_lanes.add(lane)
        self._rows_in_flight |= ids
        task = asyncio.get_running_loop().create_task(self._send(lane, batch), name=f"outbox {lane[0]} {lane[1]}")
        self._sends.add(task)

        def finished(done: asyncio.Task[None]) -> None:
            self._sends.discard(done)
            self._busy_lanes.discard(lane)
            self._rows_in_flight -= ids
            self._announce()

        task.add_done_callback(finished)

    async def _send(self, lane: Lane, batch: list[OutboxRow]) -> None:
        try:
            await self._courier.deliver(lane, batch)
            self.sent += 1
        except Exception:
            # A bug, not a Discord error (those are handled inside): keep the rows for the next start.
            log.exception("outbox: delivering rows %s failed", [row.id for row in batch])
            await self._store().outbox.mark_failed([row.id for row in batch], UNEXPECTED_ERROR)
