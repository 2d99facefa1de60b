"""Reading a DiscordChatExporter JSON export: checked whole, each malformed message named and skipped."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.backtest.lines import _ELLIPSIS, _one_line

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

_DIGITS = re.compile(r"[0-9]+")


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
