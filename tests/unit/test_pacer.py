"""The global REST pacer, on a virtual clock: the budget holds, deletes go first, nothing blocks."""

from __future__ import annotations

import asyncio
from collections import deque

import pytest
import yarl

from bot.pacer import NORMAL, URGENT, GlobalPacer, request_priority


class VirtualTime:
    """A clock the pacer sleeps on without real waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


def fullest_window(times: list[float], window: float) -> int:
    """The most requests that left within any one window."""
    times = sorted(times)
    best = 0
    start = 0
    for end, moment in enumerate(times):
        while times[start] <= moment - window:
            start += 1
        best = max(best, end - start + 1)
    return best


class RecordingDeque(deque[float]):
    """The pacer's record of sent requests, keeping every moment a request was let go."""

    def __init__(self) -> None:
        super().__init__()
        self.released: list[float] = []

    def append(self, moment: float) -> None:
        self.released.append(moment)
        super().append(moment)


async def test_never_more_than_the_budget_in_any_window() -> None:
    clock = VirtualTime()
    pacer = GlobalPacer(45, 1.0, clock=clock.clock, sleep=clock.sleep)
    record = RecordingDeque()
    pacer._sent = record
    await asyncio.gather(*(pacer.acquire() for _ in range(200)))
    released = record.released
    assert len(released) == 200
    assert fullest_window(released, 1.0) == 45
    assert 4.0 <= max(released) < 5.0  # 200 requests at 45 a second
    assert pacer.waited == 155


async def test_deletes_jump_the_queue() -> None:
    clock = VirtualTime()
    pacer = GlobalPacer(2, 1.0, clock=clock.clock, sleep=clock.sleep)
    order: list[str] = []

    async def request(name: str, priority: int) -> None:
        await pacer.acquire(priority)
        order.append(name)

    await pacer.acquire()
    await pacer.acquire()  # the budget is spent
    waiting = [asyncio.create_task(request(f"card{n}", NORMAL)) for n in range(3)]
    await asyncio.sleep(0)
    waiting.append(asyncio.create_task(request("delete", URGENT)))
    await asyncio.gather(*waiting)
    assert order[0] == "delete"
    assert order[1:] == ["card0", "card1", "card2"]


async def test_a_cancelled_request_gives_its_place_up() -> None:
    clock = VirtualTime()
    pacer = GlobalPacer(1, 1.0, clock=clock.clock, sleep=clock.sleep)
    await pacer.acquire()
    doomed = asyncio.create_task(pacer.acquire())
    survivor = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0)
    doomed.cancel()
    await survivor
    assert clock.now == pytest.approx(1.0)  # the survivor took the next slot, not the one after


async def test_an_idle_pacer_does_not_wait() -> None:
    pacer = GlobalPacer(3, 1.0)
    for _ in range(3):
        await pacer.acquire()
    assert pacer.waited == 0


@pytest.mark.parametrize(
    ("method", "url", "priority"),
    [
        ("DELETE", "https://discord.com/api/v10/channels/1/messages/2", URGENT),
        ("POST", "https://discord.com/api/v10/channels/1/messages/bulk-delete", URGENT),
        ("POST", "https://discord.com/api/v10/channels/1/messages", NORMAL),
        ("POST", "https://discord.com/api/v10/webhooks/1/token", NORMAL),
        ("POST", "https://discord.com/api/v10/interactions/1/token/callback", None),
        ("GET", "https://cdn.discordapp.com/attachments/1/2/x.png", None),
        ("GET", "http://127.0.0.1:5000/api/v10/users/@me", NORMAL),
    ],
)
def test_request_priority(method: str, url: str, priority: int | None) -> None:
    assert request_priority(method, yarl.URL(url)) == priority


def test_bad_budgets_are_refused() -> None:
    with pytest.raises(ValueError, match="rate must be"):
        GlobalPacer(0)
