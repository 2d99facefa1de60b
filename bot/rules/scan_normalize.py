"""The scanner's second stage: undoing what hides a link (compatibility forms, zero-width characters, "[.]", "hxxp")."""

from __future__ import annotations

import re
import unicodedata

from bot.rules.scan_tables import (
    _BRACKET_TOKEN,
    _CURLY_TOKEN,
    _HXXP,
    _PAREN_TOKEN,
    _SPELLED_DOT,
    _SPELLED_NAME_DOT,
    _SQUARE_TOKEN,
    _ZERO_WIDTH,
)


def normalize(text: str) -> tuple[str, bool]:
    """De-obfuscated text, and whether an explicit obfuscation was undone."""
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        if _ZERO_WIDTH.search(text):
            text = _ZERO_WIDTH.sub("", text)
        # Of the Unicode full stops only the ideographic one survives NFKC (the full-width,
        # half-width and small ones and the one-dot leader fold to "." or to it).
        if "\u3002" in text:
            text = text.replace("\u3002", ".")
    obfuscated = False
    if (
        ("(" in text and _PAREN_TOKEN(text) is not None)
        or ("[" in text and _SQUARE_TOKEN(text) is not None)
        or ("{" in text and _CURLY_TOKEN(text) is not None)
    ):
        # "example [dot] com", "jane(at)gmail": the bracketed word and the spaces around it go.
        text = _join_at_markers(_BRACKET_TOKEN.sub(_bracket_join, text))
        obfuscated = True
    # "hxxp", "h**p" and "[:]" mark a defanged scheme, which always has a ":". A
    # one-character test ("x" in text) costs a sixth of a two-character one, so a text with
    # no ":" (a bare domain, an address) skips the rest, and each pair is only looked for
    # when its characters are there ("x" is common in chat, "X" is not).
    has_x, has_capital_x = "x" in text, "X" in text
    if (
        ":" in text
        and (
            (has_x and "xx" in text)
            or (has_capital_x and ("XX" in text or (has_x and ("Xx" in text or "xX" in text))))
            or ("*" in text and "**" in text)
            or ("]" in text and ":]" in text)
        )
    ) and _HXXP.search(text):
        text = _HXXP.sub(lambda m: "http" + m.group(1) + ":", text)
        obfuscated = True
    if "dot" in text or ("D" in text and ("DOT" in text or "Dot" in text)) or " ." in text:
        joined = _SPELLED_DOT.sub(_join_spelled_dot, text)
        if " at " in joined or " AT " in joined or "[at]" in joined or "(at)" in joined:
            joined = _SPELLED_NAME_DOT.sub(".", joined)
        obfuscated = obfuscated or joined != text
        text = joined
    return text, obfuscated


def _bracket_join(match: re.Match[str]) -> str:
    return "\x00.\x00" if match.group(1) else "\x00@\x00"


def _join_at_markers(text: str) -> str:
    """Drop each NUL marker and the whitespace on both sides of it.

    Split and strip: a regex for this would start with optional whitespace, and the regex
    engine would try it at every position of the text.
    """
    parts = text.split("\x00")
    inner = [part.strip() for part in parts[1:-1]]
    return "".join([parts[0].rstrip(), *inner, parts[-1].lstrip()])


def _join_spelled_dot(match: re.Match[str]) -> str:
    """'example dot com' becomes 'example.com'; 'the dot com boom' stays as written."""
    before = match.string[: match.start()]
    if not before or not before[-1].isalnum():
        return match.group(0)
    if before.rsplit(None, 1)[-1].lower() in ("the", "a"):
        return match.group(0)
    return "."
