"""The review queue's costs: statistics, the chart, the pending list and a reminder round's reads.

Run from the repository root::

    python bench/review_queue.py [--items N] [--pending P]

A real SQLite store in a temporary folder gets N held items over 30 days (default 5,000: a busy
community's month), of which P (default 500) are still pending; the rest were approved or
rejected by one of five moderators after up to a day. It measures, each as a median of 5 runs:

* ``facts_query_ms``: reading the month's items for `/queue stats` (``store.queue.decision_facts``);
* ``stats_ms``: computing the statistics from them (``bot.queue.stats``, pure);
* ``chart_ms`` and ``chart_bytes``: drawing the PNG bar chart (pure Python, zlib);
* ``list_query_ms``: reading the pending list for `/queue list` (``store.queue.entries``);
* ``reminder_round_ms``: a reminder round's database read and its due-time arithmetic, which the
  reminder task does at most once per due item or hour (``store.queue.reminder_candidates``).

Every figure is printed as ``name: value``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.models import Decision, NewHeldItem, StoredLink  # noqa: E402
from bot.queue import chart, words  # noqa: E402
from bot.queue.due import due_for_reminder, seconds_until_next_round  # noqa: E402
from bot.queue.stats import queue_stats  # noqa: E402
from bot.rules import Action, LinkClass, Reason  # noqa: E402
from bot.store import Store  # noqa: E402

GUILD = 1
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DOMAINS = [f"site{i}.example" for i in range(40)]
REASON_MIX = [
    (Reason.NEW_MEMBER,),
    (Reason.EXTERNAL_LINK,),
    (Reason.NEW_MEMBER, Reason.EXTERNAL_LINK),
    (Reason.EMAIL,),
    (Reason.SHORTENED_LINK,),
]


async def seed(store: Store, items: int, pending: int, rng: random.Random) -> None:
    for number in range(items):
        reasons = rng.choice(REASON_MIX)
        links = (
            (StoredLink(f"https://{d}/x", d, LinkClass.EXTERNAL),)
            if Reason.EXTERNAL_LINK in reasons and (d := rng.choice(DOMAINS))
            else ()
        )
        created = NOW - timedelta(seconds=rng.uniform(0, 30 * 86400))
        item, _ = await store.items.add(
            NewHeldItem(
                GUILD,
                10,
                1_000_000 + number,
                100 + number % 300,
                f"member {number % 300}",
                None,
                "text",
                Action.HOLD,
                reasons,
                links,
                created,
            )
        )
        if number >= pending:
            decided = min(created + timedelta(seconds=rng.uniform(60, 86400)), NOW)
            decision = Decision.APPROVE if rng.random() < 0.8 else Decision.REJECT
            moderator = rng.randrange(5)
            await store.decisions.decide(
                item.id, decision, moderator_id=moderator, moderator_name=f"mod {moderator}", now=decided
            )


async def median_ms(run: Callable[[], Awaitable[Any]], repeats: int = 5) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = await run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


async def main(items: int, pending: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(Path(folder) / "bench.db")
        try:
            await seed(store, items, pending, random.Random(5))
            facts_ms, facts = await median_ms(lambda: store.queue.decision_facts(GUILD, NOW - timedelta(days=30)))

            async def compute() -> Any:
                return queue_stats(facts, reason_order=words.REASON_ORDER)

            stats_ms, stats = await median_ms(compute)

            async def draw() -> bytes:
                return chart.stacked_bars([(g.approved, g.rejected, g.undecided) for g in stats.by_reason])

            chart_ms, png = await median_ms(draw)
            list_ms, _ = await median_ms(lambda: store.queue.entries(GUILD))

            async def reminder_round() -> float:
                candidates = await store.queue.reminder_candidates()
                due_for_reminder([entry for entry, _ in candidates], 43200, NOW)
                return seconds_until_next_round(candidates, NOW, shortest=300, longest=3600)

            round_ms, _ = await median_ms(reminder_round)
        finally:
            await store.close()
    print(f"items: {items}")
    print(f"pending: {pending}")
    print(f"facts_query_ms: {facts_ms:.1f}")
    print(f"stats_ms: {stats_ms:.1f}")
    print(f"chart_ms: {chart_ms:.1f}")
    print(f"chart_bytes: {len(png)}")
    print(f"list_query_ms: {list_ms:.1f}")
    print(f"reminder_round_ms: {round_ms:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--pending", type=int, default=500)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.items, arguments.pending))
