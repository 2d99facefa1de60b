"""bot/text.py: Discord's limits, and fitting text under them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import text


def test_the_limits_are_discords() -> None:
    # discord-api-docs, Resources/Message: Create Message (content) and Embed Limits.
    assert (text.MESSAGE_LIMIT, text.EMBED_FIELD_VALUE_LIMIT, text.EMBED_FOOTER_LIMIT, text.EMBED_TOTAL_LIMIT) == (
        2000,
        1024,
        2048,
        6000,
    )
    assert text.LINES_LIMIT < text.MESSAGE_LIMIT


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (1, "change", "1 change"),
        (2, "change", "2 changes"),
        (0, "category", "0 categories"),
        (1, "category", "1 category"),
    ],
)
def test_plural(count: int, noun: str, expected: str) -> None:
    assert text.plural(count, noun) == expected


def test_fit_cuts_at_a_line_and_says_so() -> None:
    long = "\n".join(f"line {n}" for n in range(1000))
    shown, cut = text.fit(long)
    assert cut
    assert len(shown) <= text.MESSAGE_LIMIT
    assert shown.endswith("\n… (the full text is attached)")
    assert text.fit("short") == ("short", False)


@given(st.lists(st.text(max_size=300), max_size=40))
def test_fit_lines_stays_under_its_limit_and_keeps_whole_lines(lines: list[str]) -> None:
    joined = text.fit_lines(lines)
    assert len(joined) <= text.LINES_LIMIT
    if joined != "\n".join(lines):
        assert joined.endswith("…")


@given(st.text(max_size=3000), st.integers(3, 2500))
def test_quote_and_clip_stay_within_their_limit(body: str, limit: int) -> None:
    assert len(text.quote(body, limit)) <= max(limit, len("> *(no text)*"))
    assert len(text.clip(body, limit)) <= limit
    assert text.clip(body, limit) == body or text.clip(body, limit).endswith("…")
