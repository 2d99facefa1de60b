"""What moderators read: durations, list pages and reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.models import QueueEntry
from bot.queue import words
from bot.rules import Reason
from bot.text import MESSAGE_LIMIT

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (44.6, "45 s"),
        (60, "1 min"),
        (3599, "59 min"),
        (3600, "1 h"),
        (12_000, "3 h 20 min"),
        (47 * 3600, "47 h"),
        (48 * 3600, "2 days"),
        (52 * 3600, "2 days 4 h"),
        (-5, "0 s"),
    ],
)
def test_duration(seconds: float, text: str) -> None:
    assert words.duration(seconds) == text


@pytest.mark.parametrize(("seconds", "text"), [(0, "off"), (3600, "1 hour"), (43200, "12 hours"), (5400, "1.5 hours")])
def test_hours_text(seconds: int, text: str) -> None:
    assert words.hours_text(seconds) == text


def entries(count: int) -> list[QueueEntry]:
    return [
        QueueEntry(i, 10, 20, f"Member*{i}", (Reason.NEW_MEMBER,), T0 + timedelta(minutes=i), None, 30, 1000 + i)
        for i in range(1, count + 1)
    ]


@pytest.mark.parametrize(
    ("total", "page", "shown", "footer"),
    [(25, 0, 10, "Page 1 of 3"), (25, 2, 5, "Page 3 of 3"), (25, 9, 5, "Page 3 of 3"), (10, 0, 10, "Page 1 of 1")],
)
def test_pages(total: int, page: int, shown: int, footer: str) -> None:
    description, shown_footer = words.page_text(entries(total), page)
    assert len(description.splitlines()) == shown
    assert shown_footer.startswith(footer)


def test_an_entry_line_escapes_the_name_and_links_the_card() -> None:
    line = words.entry_line(entries(1)[0])
    assert "**Member\\*1**" in line
    assert "[card](https://discord.com/channels/10/30/1001)" in line
    assert "new member's first post" in line
    assert f"<t:{int((T0 + timedelta(minutes=1)).timestamp())}:R>" in line


def test_a_reminder_pings_the_role_and_lists_at_most_its_lines() -> None:
    text = words.reminder_text(entries(20), 43200, 99, T0 + timedelta(hours=13))
    lines = text.splitlines()
    assert lines[0] == "⏰ <@&99> 20 held messages have waited more than 12 hours:"
    assert len(lines) == 1 + words.REMINDER_LINES + 1
    assert lines[-1] == "…and 5 more: see `/queue list`."
    assert "https://discord.com/channels/10/30/1001" in lines[1]
    assert len(text) < 2000


def test_a_reminder_without_a_role_pings_no_one() -> None:
    assert words.reminder_text(entries(1), 3600, None, T0).startswith("⏰ 1 held message has waited more than 1 hour:")


def test_a_reminder_with_real_ids_and_long_names_stays_within_one_message() -> None:
    snowflake = 1_456_074_443_980_800_013
    long_entries = [
        QueueEntry(i, snowflake, 20, "@" * 32, (Reason.NEW_MEMBER,), T0, None, snowflake + 1, snowflake + 100 + i)
        for i in range(1, 31)
    ]
    text = words.reminder_text(long_entries, 43200, snowflake + 2, T0 + timedelta(hours=13))
    lines = text.splitlines()
    listed = [line for line in lines if line.startswith("• ")]
    assert len(text) <= MESSAGE_LIMIT
    assert 0 < len(listed) < words.REMINDER_LINES
    assert lines[-1] == f"…and {30 - len(listed)} more: see `/queue list`."
