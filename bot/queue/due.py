"""Which pending items are due a reminder (pure): entries, the period and the time in; entries out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.models import QueueEntry


def next_reminder_at(entry: QueueEntry, period_s: int) -> datetime | None:
    """When the entry is next due: a period after it was held, or after its last reminder; None when off."""
    if period_s <= 0:
        return None
    return (entry.reminded_at or entry.created_at) + timedelta(seconds=period_s)


def due_for_reminder(entries: Iterable[QueueEntry], period_s: int, now: datetime) -> list[QueueEntry]:
    """The entries that have waited a full period since they were held or last reminded."""
    due = []
    for entry in entries:
        at = next_reminder_at(entry, period_s)
        if at is not None and at <= now:
            due.append(entry)
    return due


def seconds_until_next_round(
    entries: Iterable[tuple[QueueEntry, int]], now: datetime, *, shortest: float, longest: float
) -> float:
    """How long the reminder task may sleep: until the next item falls due, within [shortest, longest].

    `longest` bounds the sleep so an item held meanwhile (due a full period after its hold, and a
    period is never shorter than `longest`) is still reminded on time; `shortest` keeps a failing
    reminder from being retried in a tight loop.
    """
    times = [at for entry, period in entries if (at := next_reminder_at(entry, period)) is not None]
    wait = min(((at - now).total_seconds() for at in times), default=longest)
    return min(max(wait, shortest), longest)
