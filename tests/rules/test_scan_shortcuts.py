"""The scanner's two shortcuts must answer exactly as the full reading does.

- A token of a usual shape (a scheme URL, perhaps in brackets or a markdown link; an email
  address; a run of host characters and a path) is read by one match (``_WHOLE_TOKEN``)
  instead of ``_scan_token``'s steps.
- The engine starts the scan at the token where the pre-check matched, not at the text's start.

Each test compares the shortcut with the full reading, on a table of the shapes and their
near misses and on generated link-shaped noise.
"""

from __future__ import annotations

import importlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules.scan import LINK_HINT, Emails, Links, find_links

# The module itself (bot.rules.scan the attribute is the scan() function).
scan = importlib.import_module("bot.rules.scan")

SHAPES = [
    # scheme URLs: alone, with trailing punctuation, in brackets, in markdown, in angle brackets
    "https://www.webmd.com/back-pain/guide",
    "see HTTPS://WebMD.com/x for more",
    "https://en.wikipedia.org/wiki/Spinal_fusion, cheaper",
    "https://en.wikipedia.org/wiki/Fusion_(surgery)).",
    "(https://tinyurl.com/backpain)",
    "<https://www.nhs.uk/conditions/sciatica/>",
    "[this](https://mayoclinic.org)",
    "[spine-health.com](https://elsewhere.net)",
    "here](https://www.amazon.com/dp/B07XJ8C8F5)).",
    "https://spine-health.com@lookalike.net/x",
    "https://a.net\\@b.com",
    "ftp://ftp.example.org/pub/file.pdf",
    "https:///",
    "https://",
    "https:/x.com",
    "https:////x.com",
    "xhttps://example.com",
    'https://x.com/a">.more.com',
    "http://example.com:8080/path?q=1#frag",
    "https://x.com/a.).b.com",
    "https://[::1]:80/x",
    # email addresses, and what only looks like one
    "jane.doe@gmail.com",
    "mail sue_doe54@yahoo.co.uk today",
    ".@gmail.com",
    "jane@foo.notasuffix",
    "1@2.3.4.5.com",
    "a+b.com@x.zzz",
    "jane@gmail.com.",
    # runs of host characters, with or without a path
    "see webmd.com/back-pain",
    "webmd.com",
    "e.g. this",
    "a.m. and p.m.",
    "U.S. and U.K.",
    "i.e./example.org",
    "surgery.It was",
    "hurts.my back",
    "example.com/1.2.3.4/x",
    "1.2.3.4/admin",
    "1.2.3.4.com/5.6.7.8/x",
    "L4.5 and C5.6",
    "www.spinetoday.org, and",
    "reach me at yahoo.com",
    "join us at bracestore.xyz",
    "jane at gmail.com",
    "my story at mayoclinic.org/x",
    "info at webmd[.]com",
    "story@mayoclinic.org/x",
    "example.com?",
    "a..b.com",
    "-x.com",
    "x_.com/y",
    # tokens the shortcuts never take
    "example[.]com",
    "hxxps://evil.net",
    "example dot com",
    "foo\x0cexample.com",
    "(example.com)",
    "example.com:8080",
    "пример.рф/x",
    "exa\u200bmple.com",
    "a.com:123abc.com",
    # a single non-ASCII letter after a dot can spell a suffix the pre-check does not see
    "esr.ß\nwalk@months:",
    "x.ß and jane@gmail.com",
]


def _full_reading(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Links, Emails]:
    """find_links with the one-match shortcut turned off: every token goes through _scan_token."""
    with monkeypatch.context() as patched:
        patched.setattr(scan, "_WHOLE_TOKEN", lambda *args: None)
        return find_links(text, text_precheck=True)


def _as_lists(found: tuple[Links, Emails]) -> tuple[list[tuple[str, tuple[str, str]]], list[str]]:
    links, emails = found
    return list(links.items()), list(emails)


@pytest.mark.parametrize("text", SHAPES)
def test_one_match_reads_a_token_as_the_full_reading_does(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _as_lists(find_links(text, text_precheck=True)) == _as_lists(_full_reading(text, monkeypatch))


@pytest.mark.parametrize("text", SHAPES)
def test_starting_at_the_pre_checks_match_finds_the_same(text: str) -> None:
    hint = LINK_HINT.search(text)
    if hint is None:
        assert find_links(text) == ({}, {})
        return
    from_start = find_links(text, text_precheck=True)
    assert _as_lists(find_links(text, text_precheck=True, text_hint_at=hint.start())) == _as_lists(from_start)


def test_the_shortcuts_take_what_they_should() -> None:
    """Pinned answers for the shapes, so both readings cannot drift together."""
    assert find_links("[this](https://mayoclinic.org).", text_precheck=True) == (
        {"https://mayoclinic.org": ("mayoclinic.org", "")},
        {},
    )
    assert find_links("https://en.wikipedia.org/wiki/Spinal_fusion,", text_precheck=True) == (
        {"https://en.wikipedia.org/wiki/Spinal_fusion": ("en.wikipedia.org", "/wiki/Spinal_fusion")},
        {},
    )
    assert find_links("mail Jane.Doe@GMail.com", text_precheck=True) == ({}, {"Jane.Doe@gmail.com": None})
    assert find_links("e.g. webmd.com/back", text_precheck=True) == (
        {"webmd.com/back": ("webmd.com", "/back")},
        {},
    )


LINKISH = st.sampled_from(
    [".", "..", "@", "://", "https://", "http", "hxxp", "www.", "[.]", "(dot)", " dot ", " at ", "com", "net",
     "org/", "%2E", "\u200b", "．", "xn--", "-", "/", ":", "[", "]", "(", ")", "<", ">", "\\", "#", "?", " ",
     "\n", "e.g.", "1.2.3.4", "jane", "gmail", ",", "'", '"', "_", "+", "\x0c"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(parts=st.lists(st.one_of(LINKISH, st.text(max_size=4)), max_size=24))
def test_shortcuts_agree_with_the_full_reading_on_link_shaped_noise(parts: list[str]) -> None:
    text = "".join(parts)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(scan, "_WHOLE_TOKEN", lambda *args: None)
        expected = _as_lists(find_links(text, text_precheck=True))
    assert _as_lists(find_links(text, text_precheck=True)) == expected
    hint = LINK_HINT.search(text)
    if hint is not None:
        assert _as_lists(find_links(text, text_precheck=True, text_hint_at=hint.start())) == expected
