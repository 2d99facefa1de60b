"""Text for a terminal: one safe printable line, its width in columns, cut to fit."""

from __future__ import annotations

import unicodedata

_ELLIPSIS = "…"
_REPLACEMENT = "\ufffd"
_ZERO_WIDTH_JOINER = "\u200d"


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
