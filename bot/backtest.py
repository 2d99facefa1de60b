"""`python -m bot backtest`: replay a DiscordChatExporter JSON export through the policy engine.

The export is read whole, checked, and replayed in timestamp order. Every author starts
new (the export is all the history there is) and each of their earlier messages counts
as approved, as if moderators had approved every first post. The result is either a
summary for a person or, with ``--json``, one JSON object per message for a program.
"""

from __future__ import annotations

import json
import os
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.policy import PolicyError, load_policy_file
from bot.rules import Action, AuthorFacts, Engine, MessageFacts, Policy, Reason, Verdict
from bot.text import plural

EXIT_OK = 0
EXIT_INCOMPLETE = 1  # the report is missing messages: the engine failed on some, or stdout closed
EXIT_BAD_INPUT = 2

# DiscordChatExporter writes its own fallback text ("Joined the server.", "Pinned a
# message.") as the content of these; nobody typed it, so they are neither screened nor
# counted as a post. Kinds it has no name for are written as their number (1-18 are the
# system notifications in its model).
SYSTEM_MESSAGE_TYPES = frozenset(
    {
        "RecipientAdd",
        "RecipientRemove",
        "Call",
        "ChannelNameChange",
        "ChannelIconChange",
        "ChannelPinnedMessage",
        "GuildMemberJoin",
        "ThreadCreated",
        *(str(number) for number in range(1, 19)),
    }
)

CONTENT_WIDTH = 80
AUTHOR_WIDTH = 20
TOP_DOMAINS = 10

_DIGITS = re.compile(r"[0-9]+")
_ELLIPSIS = "…"
_REPLACEMENT = "\ufffd"
_ZERO_WIDTH_JOINER = "\u200d"


class ExportError(ValueError):
    """The export as a whole cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class ExportedMessage:
    """One well-formed message of an export, reduced to what the backtest reads."""

    index: int
    id: str
    timestamp: datetime
    author_id: int
    author_name: str
    is_bot: bool
    is_system: bool
    content: str
    attachment_names: tuple[str, ...]
    embed_urls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Export:
    """A loaded export: its well-formed messages in file order and a line per skipped one."""

    path: Path
    guild_id: int | None
    messages: tuple[ExportedMessage, ...]
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Screened:
    """A replayed message and the engine's verdict on it."""

    message: ExportedMessage
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class Replay:
    """The outcome of a replay: verdicts in timestamp order, and messages the engine failed on."""

    screened: tuple[Screened, ...]
    failures: tuple[str, ...]


class _BadMessage(ValueError):
    """One message is malformed; the text says what is wrong with it."""


def load_export(path: Path) -> Export:
    """Read and check a DiscordChatExporter JSON export; raise ExportError if it is unusable."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ExportError(f"{path}: no such file") from None
    except OSError as exc:
        raise ExportError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        # Bytes, not text: json detects UTF-8/16/32 and a byte-order mark by itself.
        document = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise ExportError(f"{path}: not valid JSON (bad text encoding: {exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise ExportError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise ExportError(f"{path}: not usable JSON (nested too deeply)") from None
    return parse_export(document, path)


def parse_export(document: object, path: Path) -> Export:
    """Check a parsed export document; bad messages become problems, a bad shape an ExportError."""
    if not isinstance(document, dict):
        raise ExportError(f"{path}: not a DiscordChatExporter export (the top level is {_json_kind(document)})")
    if "messages" not in document:
        raise ExportError(f"{path}: not a DiscordChatExporter export (no 'messages' list)")
    raw_messages = document["messages"]
    if not isinstance(raw_messages, list):
        raise ExportError(f"{path}: 'messages' is {_json_kind(raw_messages)}, not a list")
    guild = document.get("guild")
    if guild is not None and not isinstance(guild, dict):
        raise ExportError(f"{path}: 'guild' is {_json_kind(guild)}, not an object")
    guild_id = _snowflake(guild.get("id")) if guild is not None else None

    messages: list[ExportedMessage] = []
    problems: list[str] = []
    for index, item in enumerate(raw_messages):
        try:
            messages.append(_parse_message(index, item))
        except _BadMessage as exc:
            problems.append(f"{path}: {_message_label(index, item)}: {exc}; skipped")
    return Export(path, guild_id, tuple(messages), tuple(problems))


def _parse_message(index: int, item: object) -> ExportedMessage:
    if not isinstance(item, dict):
        raise _BadMessage(f"is {_json_kind(item)}, not an object")
    message_id = item.get("id")
    if isinstance(message_id, int) and not isinstance(message_id, bool):
        message_id = str(message_id)
    if not isinstance(message_id, str) or not message_id:
        raise _BadMessage("no message id" if message_id is None else f"bad message id {_brief(message_id)}")
    if "content" not in item:
        raise _BadMessage("no content")
    content = item["content"]
    if not isinstance(content, str):
        raise _BadMessage(f"content is {_json_kind(content)}, not a string")
    timestamp = _parse_timestamp(item.get("timestamp"))

    author = item.get("author")
    if not isinstance(author, dict):
        raise _BadMessage("no author" if author is None else f"author is {_json_kind(author)}, not an object")
    author_id = _snowflake(author.get("id"))
    if author_id is None:
        raise _BadMessage("no author id" if author.get("id") is None else f"bad author id {_brief(author.get('id'))}")
    name = author.get("name")
    author_name = name if isinstance(name, str) and name else str(author_id)

    kind = item.get("type")
    return ExportedMessage(
        index=index,
        id=message_id,
        timestamp=timestamp,
        author_id=author_id,
        author_name=author_name,
        is_bot=author.get("isBot") is True,
        is_system=isinstance(kind, str) and kind in SYSTEM_MESSAGE_TYPES,
        content=content,
        attachment_names=tuple(_strings(item, "attachments", "fileName")),
        embed_urls=tuple(_strings(item, "embeds", "url")),
    )


def _parse_timestamp(value: object) -> datetime:
    if value is None:
        raise _BadMessage("no timestamp")
    if not isinstance(value, str):
        raise _BadMessage(f"timestamp is {_json_kind(value)}, not a string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _BadMessage(f"timestamp {_brief(value)} is not an ISO 8601 date and time") from None
    # DiscordChatExporter always writes an offset; a bare time from another tool is taken
    # as UTC, since an aware and a naive datetime cannot be compared at all.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _strings(item: Mapping[str, Any], key: str, field: str) -> Iterable[str]:
    """Each object's string `field` in the list `item[key]`; absent or null fields are skipped."""
    entries = item.get(key)
    if entries is None:
        return
    if not isinstance(entries, list):
        raise _BadMessage(f"{key} is {_json_kind(entries)}, not a list")
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _BadMessage(f"{key}[{position}] is {_json_kind(entry)}, not an object")
        value = entry.get(field)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise _BadMessage(f"{key}[{position}].{field} is {_json_kind(value)}, not a string")
        yield value


def _snowflake(value: object) -> int | None:
    """A Discord id written as digits (or a JSON number), else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    return None


def _message_label(index: int, item: object) -> str:
    label = f"messages[{index}]"
    if isinstance(item, dict):
        message_id = item.get("id")
        if isinstance(message_id, str | int) and not isinstance(message_id, bool) and str(message_id):
            label += f" (id {_brief(str(message_id), quote=False)})"
    return label


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _brief(value: object, *, quote: bool = True, limit: int = 40) -> str:
    text = repr(value) if quote or not isinstance(value, str) else value
    text = _one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS


def replay(
    messages: Sequence[ExportedMessage],
    engine: Engine,
    policy: Policy,
    *,
    guild_id: int | None,
    assume_established: bool,
) -> Replay:
    """Screen every human-written message in timestamp order (file order for ties)."""
    ordered = sorted((m for m in messages if not m.is_bot and not m.is_system), key=lambda m: m.timestamp)
    earlier: Counter[int] = Counter()
    screened: list[Screened] = []
    failures: list[str] = []
    for message in ordered:
        # Every earlier post counts as approved: the backtest assumes moderators let
        # first posts through, so only the first N of each author are held as new.
        approved = earlier[message.author_id]
        if assume_established:
            approved += policy.new_member_posts
        author = AuthorFacts(user_id=message.author_id, approved_posts=approved)
        facts = MessageFacts(
            text=message.content,
            attachment_names=message.attachment_names,
            embed_urls=message.embed_urls,
            guild_id=guild_id,
        )
        try:
            verdict = engine.evaluate(author, facts, policy)
        except Exception as exc:
            # One message the engine cannot handle must not end a backtest of thousands.
            failures.append(f"message id {message.id}: the engine failed ({type(exc).__name__}: {exc}); skipped")
            continue
        earlier[message.author_id] += 1
        screened.append(Screened(message, verdict))
    return Replay(tuple(screened), tuple(failures))


def verdict_record(item: Screened) -> dict[str, object]:
    """The public --json record for one message, keys in their documented order."""
    verdict = item.verdict
    return {
        "id": item.message.id,
        "verdict": verdict.action.value,
        "reasons": [reason.value for reason in verdict.reasons],
        "links": [{"url": link.url, "domain": link.domain, "class": link.link_class.value} for link in verdict.links],
    }


def json_lines(screened: Iterable[Screened]) -> Iterable[str]:
    """One JSON object per message, each on its own line."""
    for item in screened:
        yield json.dumps(verdict_record(item)) + "\n"


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


def _one_line(text: str) -> str:
    """Text as a single printable line: whitespace runs become one space, control characters a mark."""
    # Content comes from strangers: a raw escape sequence or bidi override must not
    # reach the terminal, and zero-width characters are worth seeing in a spam review.
    cleaned = []
    for char in " ".join(text.split()):
        category = unicodedata.category(char)
        if category == "Cc" or (category == "Cf" and char != _ZERO_WIDTH_JOINER):
            cleaned.append(_REPLACEMENT)
        else:
            cleaned.append(char)
    return "".join(cleaned)


def _char_width(char: str) -> int:
    if char == _ZERO_WIDTH_JOINER or unicodedata.category(char) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _width(text: str) -> int:
    """Columns the text takes in a terminal (wide East Asian characters and emoji take two)."""
    return sum(_char_width(char) for char in text)


def _truncate(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        used += _char_width(char)
        if used > width - 1:
            break
        kept.append(char)
    return "".join(kept).rstrip() + _ELLIPSIS


def run_backtest(export: Path, policy: Path, *, assume_established: bool, as_json: bool) -> int:
    """Replay an export under a policy file, print the report, and return the exit status."""
    try:
        loaded = load_export(export)
        bundle = load_policy_file(policy)
    except (ExportError, PolicyError) as exc:
        _stderr(f"error: {exc}")
        return EXIT_BAD_INPUT
    for problem in loaded.problems:
        _stderr(f"warning: {problem}")

    result = replay(
        loaded.messages,
        Engine(bundle.lists),
        bundle.policy,
        guild_id=loaded.guild_id,
        assume_established=assume_established,
    )
    for failure in result.failures:
        _stderr(f"error: {export}: {failure}")

    if as_json:
        output: Iterable[str] = json_lines(result.screened)
    else:
        lines = summary_lines(loaded, result, bundle.policy, policy, assume_established=assume_established)
        output = (line + "\n" for line in lines)
    if not _write_all(sys.stdout, output):
        return EXIT_INCOMPLETE
    return EXIT_INCOMPLETE if result.failures else EXIT_OK


def _write_all(stream: TextIO, chunks: Iterable[str]) -> bool:
    """Write everything; False when the reader went away (`backtest … | head`)."""
    try:
        for chunk in chunks:
            stream.write(chunk)
        stream.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not complain too.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):
            pass
        return False
    return True


def _stderr(line: str) -> None:
    sys.stderr.write(line.replace("\r", " ").replace("\n", " ") + "\n")
