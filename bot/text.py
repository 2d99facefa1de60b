"""Text for Discord, pure (no discord import): its limits, fitting text under them, plurals and block quotes.

Every module that words a message takes Discord's limits from here, so each is defined once:
discord-api-docs, Resources/Message, Create Message ("content: Message contents (up to 2000 characters)") and
Resources/Message, Embed Limits (description 4096, field value 1024, footer text 2048, all of an embed 6000).
"""

from __future__ import annotations

from collections.abc import Iterable

MESSAGE_LIMIT = 2000  # a message's (or a DM's) text
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000  # every text of an embed together

# What lines joined by fit_lines keep to by default: under MESSAGE_LIMIT with room for a line said after them.
LINES_LIMIT = MESSAGE_LIMIT - 100


def plural(count: int, noun: str) -> str:
    """ "1 change", "2 changes", "2 categories"."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def fit(text: str, limit: int = MESSAGE_LIMIT, *, more: str = "the full text is attached") -> tuple[str, bool]:
    """Text cut at a line to fit one Discord message; True when something was cut."""
    if len(text) <= limit:
        return text, False
    tail = f"\n… ({more})"
    cut = text.rfind("\n", 0, limit - len(tail))
    return text[: cut if cut > 0 else limit - len(tail)] + tail, True


def fit_lines(lines: Iterable[str], limit: int = LINES_LIMIT) -> str:
    """Lines joined, cut at a line (marked "…") so the text stays under `limit`."""
    out: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit:
            out.append("…")
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """The text, its end replaced by "…" if it is longer than `limit`."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(text: str, limit: int) -> str:
    """The text as a block quote of at most `limit` characters, its "> " marks included, cut with "…"."""
    if not text:
        return "> *(no text)*"
    out: list[str] = []
    size = -1  # the first line has no newline before it
    for line in text.splitlines() or [""]:
        quoted = "> " + line
        if size + 1 + len(quoted) <= limit:
            out.append(quoted)
            size += 1 + len(quoted)
            continue
        # Each line costs its "> " too: a wall of empty lines must not outgrow a card or a DM.
        room = limit - size - 2  # the newline and the "…"
        if room > 2:
            out.append(quoted[:room] + "…")
        elif out:
            out[-1] = out[-1][:-1] + "…"
        else:
            out.append("> …")
        break
    return "\n".join(out)
