"""Which pending items are due a reminder: a full period after the hold, then after each reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.models import QueueEntry
from bot.queue.due import due_for_reminder, next_reminder_at

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HOUR = 3600


def entry(item_id: int = 1, *, reminded_after_h: float | None = None) -> QueueEntry:
    reminded = T0 + timedelta(hours=reminded_after_h) if reminded_after_h is not None else None
    return QueueEntry(item_id, 10, 20, "Nora", (), T0, reminded_at=reminded)


@pytest.mark.parametrize(
    ("reminded_after_h", "now_after_h", "period_h", "due"),
    [
        (None, 11.99, 12, False),  # not before the period
        (None, 12, 12, True),  # exactly at the period
        (None, 30, 12, True),
        (12, 23.9, 12, False),  # reminded at 12 h: not again within the next period
        (12, 24, 12, True),  # a period after the reminder: again
        (None, 1, 1, True),
        (None, 1000, 0, False),  # 0 turns reminders off
    ],
)
def test_due_once_per_period(reminded_after_h: float | None, now_after_h: float, period_h: int, due: bool) -> None:
    now = T0 + timedelta(hours=now_after_h)
    assert (due_for_reminder([entry(reminded_after_h=reminded_after_h)], period_h * HOUR, now) != []) is due


def test_next_reminder_at() -> None:
    assert next_reminder_at(entry(), 12 * HOUR) == T0 + timedelta(hours=12)
    assert next_reminder_at(entry(reminded_after_h=13), 12 * HOUR) == T0 + timedelta(hours=25)
    assert next_reminder_at(entry(), 0) is None


def test_keeps_the_order_and_only_due_entries() -> None:
    entries = [entry(1), entry(2, reminded_after_h=10), entry(3)]
    assert [e.id for e in due_for_reminder(entries, 12 * HOUR, T0 + timedelta(hours=13))] == [1, 3]
