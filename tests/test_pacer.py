"""The global REST pacer, on a virtual clock: the budget holds, deletes go first, nothing blocks."""

from __future__ import annotations

import asyncio
import itertools

import pytest
import yarl

from bot.pacer import LOW, NORMAL, URGENT, GlobalPacer, request_priority


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


async def test_never_more_than_discords_budget_in_any_second() -> None:
    clock = VirtualTime()
    pacer = GlobalPacer(45, 5, clock=clock.clock, sleep=clock.sleep)
    released: list[float] = []

    async def request() -> None:
        await pacer.acquire()
        released.append(clock.now)

    await asyncio.gather(*(request() for _ in range(200)))
    assert len(released) == 200
    assert fullest_window(released, 1.0) <= 50
    # A request resumes just after its release, as the pacer sleeps on: allow one interval of lag.
    assert (200 - 5) / 45 - 1e-6 <= max(released) <= (200 - 5) / 45 + 2 / 45
    gaps = [b - a for a, b in itertools.pairwise(released[5:])]
    assert max(gaps) < 2 / 45  # evenly spaced once the burst is spent, not in clumps
    assert pacer.waited == 195


async def test_deletes_jump_the_queue() -> None:
    clock = VirtualTime()
    pacer = GlobalPacer(2, 2, clock=clock.clock, sleep=clock.sleep)
    order: list[str] = []

    async def request(name: str, priority: int) -> None:
        await pacer.acquire(priority)
        order.append(name)

    await pacer.acquire()
    await pacer.acquire()  # the budget is spent
    waiting = [asyncio.create_task(request(f"card{n}", NORMAL)) for n in range(3)]
    await asyncio.sleep(0)
    waiting.append(asyncio.create_task(request("dm", LOW)))
    waiting.append(asyncio.create_task(request("delete", URGENT)))
    await asyncio.gather(*waiting)
    assert order == ["delete", "card0", "card1", "card2", "dm"]


async def test_a_cancelled_request_gives_its_place_up() -> None:
    clock = VirtualTime()
    pacer = GlobalPacer(1, 1, clock=clock.clock, sleep=clock.sleep)
    await pacer.acquire()
    doomed = asyncio.create_task(pacer.acquire())
    survivor = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0)
    doomed.cancel()
    await survivor
    assert clock.now == pytest.approx(1.0)  # the survivor took the next slot, not the one after


async def test_an_idle_pacer_does_not_wait() -> None:
    pacer = GlobalPacer(3, 3)
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
        ("POST", "https://discord.com/api/v10/users/@me/channels", LOW),
        ("POST", "https://discord.com/api/v10/channels/77/messages", LOW),  # 77 is a DM channel below
        ("PATCH", "https://discord.com/api/v10/channels/77/messages/5", NORMAL),
        ("GET", "https://discord.com/api/v10/channels/1/messages?after=5&limit=100", LOW),  # the catch-up's reads
        ("GET", "https://discord.com/api/v10/channels/1/messages/5", NORMAL),  # re-reading one edited message
    ],
)
def test_request_priority(method: str, url: str, priority: int | None) -> None:
    assert request_priority(method, yarl.URL(url), lambda channel: channel == 77) == priority


def test_bad_budgets_are_refused() -> None:
    with pytest.raises(ValueError, match="rate must be"):
        GlobalPacer(0)
    with pytest.raises(ValueError, match="burst at least 1"):
        GlobalPacer(10, 0)
