"""The summary for a person: counts, reasons, domains, and the held and blocked messages in columns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bot.backtest.export import Export
from bot.backtest.lines import _one_line, _truncate, _width
from bot.backtest.replay import Replay
from bot.rules import Action, Policy, Reason
from bot.text import plural

CONTENT_WIDTH = 80
AUTHOR_WIDTH = 20
TOP_DOMAINS = 10


def summary_lines(
    export: Export,
    result: Replay,
    policy: Policy,
    policy_path: Path,
    *,
    assume_established: bool,
) -> list[str]:
    """The human report: counts, reasons, most-held domains, then each held or blocked message."""
    screened = result.screened
    actions = Counter(item.verdict.action for item in screened)
    reasons = Counter(reason for item in screened for reason in item.verdict.reasons)
    flagged = [item for item in screened if item.verdict.action is not Action.ALLOW]
    domains = Counter(
        link.domain
        for item in flagged
        # Count each domain once per message, and only links the policy does not allow:
        # a forum link in a new member's held post is not what held it.
        for link in {link.domain: link for link in item.verdict.links}.values()
        if policy.link_actions[link.link_class] is not Action.ALLOW
    )
    bots = sum(1 for m in export.messages if m.is_bot)
    system = sum(1 for m in export.messages if m.is_system and not m.is_bot)
    total = len(screened)

    lines = [f"Backtest of {export.path} under {policy_path}"]
    if assume_established:
        lines.append("Every author treated as established (--assume-established).")
    elif policy.new_member_hold and policy.new_member_posts:
        posts = "post" if policy.new_member_posts == 1 else f"{policy.new_member_posts} posts"
        lines.append(f"Each author's first {posts} in the export held as new; later posts count as approved.")
    lines.append("")

    lines.append(_table_row(("Messages screened", str(total)), (20, -6)))
    for action in Action:
        count = actions[action]
        share = f"{100 * count / total:5.1f}%" if total else "    -"
        lines.append(_table_row(("  " + action.value, str(count), share), (20, -6, -7)))
    skipped = [
        plural(count, noun)
        for count, noun in (
            (bots, "bot message"),
            (system, "system message"),
            (len(export.problems), "malformed message"),
            (len(result.failures), "engine failure"),
        )
        if count
    ]
    lines.append("Not screened: " + (", ".join(skipped) or "none"))
    lines.append("")

    lines.append("Reasons (messages with each; one message can have several)")
    if reasons:
        lines.extend(_table_row(("  " + r.value, str(reasons[r])), (20, -6)) for r in Reason if reasons[r])
    else:
        lines.append("  none")
    lines.append("")

    lines.append(f"Most-held domains (top {TOP_DOMAINS}, messages held or blocked for a link there)")
    if domains:
        top = sorted(domains.items(), key=lambda pair: (-pair[1], pair[0]))[:TOP_DOMAINS]
        width = max(20, max(_width(domain) for domain, _ in top) + 2)
        lines.extend(_table_row(("  " + domain, str(count)), (width, -6)) for domain, count in top)
    else:
        lines.append("  none")
    lines.append("")

    lines.append(f"Held or blocked ({len(flagged)})")
    if flagged:
        rows = [
            (
                item.message.id,
                _truncate(_one_line(item.message.author_name), AUTHOR_WIDTH),
                item.verdict.action.value,
                ",".join(reason.value for reason in item.verdict.reasons),
                _truncate(_one_line(item.message.content), CONTENT_WIDTH) or "(no text)",
            )
            for item in flagged
        ]
        header = ("ID", "AUTHOR", "VERDICT", "REASONS", "CONTENT")
        widths = [max(_width(row[column]) for row in [header, *rows]) for column in range(4)]
        lines.extend("  " + _table_row(row, (*widths, 0)) for row in [header, *rows])
    else:
        lines.append("  none")
    return lines


def _table_row(cells: Sequence[str], widths: Sequence[int]) -> str:
    """Cells padded to their widths (negative: right-aligned; 0: as is), two spaces apart."""
    parts = []
    for cell, width in zip(cells, widths, strict=True):
        pad = " " * max(0, abs(width) - _width(cell))
        parts.append(pad + cell if width < 0 else cell + pad if width > 0 else cell)
    return "  ".join(parts).rstrip()
