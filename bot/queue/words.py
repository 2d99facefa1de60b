"""What moderators read about the queue: list pages, statistics and reminders (pure, no Discord)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.models import QueueEntry
from bot.queue.stats import GroupStats, QueueStats
from bot.rules import Reason
from bot.rules.catalogue import CATALOGUE
from bot.text import MESSAGE_LIMIT

PAGE_SIZE = 10
# Lines a reminder lists at most before it says "and N more".
REMINDER_LINES = 15
# Discord's limit on a message's content; a reminder lists fewer lines when long names and jump links need it.
TOP_DOMAINS = 10

REASON_NAMES: dict[str, str] = {rule.reason.value: rule.queue for rule in CATALOGUE}
REASON_ORDER: tuple[str, ...] = tuple(reason.value for reason in Reason)

CHART_LEGEND = "Chart: one bar per reason, in the order above; green approved, grey rejected, gold still open."


def duration(seconds: float) -> str:
    """A short human duration: 45 s, 12 min, 3 h 20 min, 2 days 4 h."""
    whole = max(round(seconds), 0)
    if whole < 60:
        return f"{whole} s"
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


def hours_text(seconds: int) -> str:
    """A reminder period in words."""
    if seconds <= 0:
        return "off"
    hours = seconds / 3600
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


def reasons_text(reasons: Sequence[Reason | str]) -> str:
    """The reasons in short words, comma-separated."""
    return ", ".join(REASON_NAMES.get(str(reason), str(reason)) for reason in reasons) or "no reason recorded"


def stamp(moment: datetime) -> str:
    """A Discord timestamp each reader sees in their own time zone, relative (e.g. "3 hours ago")."""
    return f"<t:{int(moment.timestamp())}:R>"


def _plain(name: str) -> str:
    # Display names are member text: no markdown, no mentions in what moderators read.
    cleaned = name.replace("@", "@\u200b")
    for char in "\\*_~`|>[]":
        cleaned = cleaned.replace(char, "\\" + char)
    return cleaned


def entry_line(entry: QueueEntry) -> str:
    """One pending item: its number, author, reasons, age and a jump link to its card."""
    card = f"[card]({entry.card_url})" if entry.card_url else "no card yet"
    who = f"**{_plain(entry.author_name)}**"
    return f"`#{entry.id}` {who} · {reasons_text(entry.reasons)} · held {stamp(entry.created_at)} · {card}"


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    """How many pages a list of total items needs (at least one)."""
    return max((total + page_size - 1) // page_size, 1)


def clamp_page(page: int, total: int, page_size: int = PAGE_SIZE) -> int:
    """The page to show: within range even after items were decided."""
    return min(max(page, 0), page_count(total, page_size) - 1)


def page_text(entries: Sequence[QueueEntry], page: int, page_size: int = PAGE_SIZE) -> tuple[str, str]:
    """(description, footer) of one page of the pending list, oldest first."""
    if not entries:
        return "Nothing is waiting for a moderator. 🎉", "Page 1 of 1"
    page = clamp_page(page, len(entries), page_size)
    shown = entries[page * page_size : (page + 1) * page_size]
    lines = [entry_line(entry) for entry in shown]
    footer = f"Page {page + 1} of {page_count(len(entries), page_size)} · oldest first"
    return "\n".join(lines), footer


def list_title(total: int) -> str:
    """The pending list's title."""
    return f"Review queue: {total} waiting" if total != 1 else "Review queue: 1 waiting"


def _rate(group: GroupStats) -> str:
    rate = group.approval_rate
    return "–" if rate is None else f"{rate:.0%}"


def _group_line(name: str, group: GroupStats) -> str:
    return (
        f"{name}: held {group.held} · approved {group.approved} · rejected {group.rejected} · approval {_rate(group)}"
    )


def stats_text(stats: QueueStats, days: int) -> str:
    """The statistics as text; the chart (if any) is attached beside it."""
    period = "the last day" if days == 1 else f"the last {days} days"
    if stats.held == 0:
        return f"No messages were held in {period}."
    lines = [f"**Held in {period}:** {stats.held} ({stats.decided} decided, {stats.held - stats.decided} still open)"]
    if stats.median_decision_s is not None and stats.p90_decision_s is not None:
        lines.append(
            f"**Time to decision:** median {duration(stats.median_decision_s)},"
            f" 90% within {duration(stats.p90_decision_s)}"
        )
    else:
        lines.append("**Time to decision:** nothing decided yet")
    lines.append("")
    lines.append("**By reason**")
    lines.extend(_group_line(REASON_NAMES.get(g.key, g.key), g) for g in stats.by_reason)
    if stats.by_domain:
        lines.append("")
        lines.append("**By domain**")
        lines.extend(_group_line(f"`{g.key}`", g) for g in stats.by_domain[:TOP_DOMAINS])
        if len(stats.by_domain) > TOP_DOMAINS:
            lines.append(f"…and {len(stats.by_domain) - TOP_DOMAINS} more domains")
    lines.append("")
    lines.append("**Busiest moderators**")
    if stats.moderators:
        lines.extend(f"{_plain(name)}: {count} decision{'s' if count != 1 else ''}" for name, count in stats.moderators)
    else:
        lines.append("No decisions yet.")
    return "\n".join(lines)


def reminder_text(entries: Sequence[QueueEntry], period_s: int, role_id: int | None, now: datetime) -> str:
    """One reminder for a guild: who is pinged, how long the items waited, and a jump link to each card."""
    count = len(entries)
    subject = "1 held message has" if count == 1 else f"{count} held messages have"
    ping = f"<@&{role_id}> " if role_id is not None else ""
    lines = [f"⏰ {ping}{subject} waited more than {hours_text(period_s)}:"]
    length = len(lines[0])
    # Room kept for the closing "and N more" line whenever some entry is left out.
    tail = len(_more_line(count)) + 1
    for shown, entry in enumerate(entries[:REMINDER_LINES]):
        waited = duration((now - entry.created_at).total_seconds())
        card = entry.card_url or "(no card)"
        line = f"• `#{entry.id}` {_plain(entry.author_name)}, waiting {waited}: {card}"
        reserve = tail if shown + 1 < count else 0
        if length + 1 + len(line) + reserve > MESSAGE_LIMIT:
            break
        lines.append(line)
        length += 1 + len(line)
    listed = len(lines) - 1
    if count > listed:
        lines.append(_more_line(count - listed))
    return "\n".join(lines)


def _more_line(left_out: int) -> str:
    return f"…and {left_out} more: see `/queue list`."
