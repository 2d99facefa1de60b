"""Find every link and email address a reader could follow or copy out of a text.

The scan runs in three stages:

1. A cheap pre-check. Most chat has no dot between two non-space characters, no "@",
   no "://" and no "dot"; such a text is clean and costs one regular-expression search.
2. Normalisation: full-width and other compatibility forms (NFKC), zero-width characters
   dropped, Unicode full stops made ASCII, then the usual obfuscations undone
   (``hxxp://``, ``example[.]com``, ``example (dot) com``, ``jane[at]gmail``…).
3. Extraction, in order: URLs with a scheme, email addresses, then bare domains. Each
   stage blanks what it took, so an email's domain is not also a link and a URL's path
   is not read as another domain.

Bare domains are where false positives live. A candidate must end in a suffix of the
Public Suffix List, and when that suffix is also an everyday word (``hurts.my back``,
``surgery.It was``) it needs more evidence: a scheme, ``www.``, a path, a digit or hyphen
in its name, more labels, or an obfuscation elsewhere in the text.

Speed: Python's regex engine skips quickly to a literal character but tests a character
set, or a lookbehind, at every position; so the searches here start with a literal where
they can. The engine hands over where the pre-check matched, and the scan starts at that
token rather than reading the text before it again. A token of a usual shape (a scheme
URL, an email address, a host and its path) is read by one match with a group per part;
only the others take the step-by-step reading of ``_scan_token``. Work that depends only
on a host as written is cached (bounded LRU caches keyed by the host string: the bare-host
judgement, a URL authority's host, how much of a run of host characters is a host),
because the same sites recur in a live server; nothing is cached by message text or by a
whole URL.

The scanner's parts: ``scan_tables.py`` (word tables, regular expressions, the shape of the
findings), ``scan_normalize.py`` (stage 2), ``scan_hosts.py`` (a URL's authority, a bare
host's judgement, IPv4) and this module, the token loop of stage 3. The names are imported
into this module, so the loop looks each one up as a module global, as it did when they
lived here: the split adds no call and no attribute look-up.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.rules.domains import canonical_host, registrable_domain
from bot.rules.scan_hosts import (
    _add_bare,
    _add_ipv4,
    _authority_host,
    _blank,
    _host_length,
    _parse_scheme_url,
    _trim,
)
from bot.rules.scan_normalize import normalize
from bot.rules.scan_tables import (
    _ADDRESS_LIKE_NAME,
    _BARE_AFTER_SEPARATOR,
    _DISCORD_TOKEN,
    _EMAIL,
    _HOST_RUN,
    _HOST_TOKEN,
    _LINK_HINT,
    _LOCAL_PART,
    _LONGEST_SCHEME,
    _NEXT_CANDIDATE,
    _NEXT_DOT_CANDIDATE,
    _PORT_AND_PATH_AT,
    _SCHEME_URL,
    _SHORTEST_HOST_AFTER_SEPARATOR,
    _TRIMMABLE,
    _WHOLE_TOKEN,
    EMAIL_PROVIDERS,
    LINK_HINT,
    PROSE_BEFORE_AT,
    Emails,
    Links,
)

__all__ = [
    "EMPTY",
    "LINK_HINT",
    "Emails",
    "FoundLink",
    "Links",
    "ScanResult",
    "find_links",
    "may_contain_link",
    "normalize",
    "scan",
]


class FoundLink(NamedTuple):
    """A link as written (de-obfuscated), with its canonical host and the rest of the URL."""

    url: str
    host: str
    path: str


class ScanResult(NamedTuple):
    """Links and email addresses found in one text."""

    links: tuple[FoundLink, ...] = ()
    emails: tuple[str, ...] = ()


EMPTY = ScanResult()


def may_contain_link(text: str) -> bool:
    """Cheap pre-check: False means the text certainly holds no link or email address."""
    return _LINK_HINT(text) is not None


def scan(text: str, embed_urls: tuple[str, ...] = (), *, text_precheck: bool | None = None) -> ScanResult:
    """Every link and email address in a message's text and embeds, in order, deduplicated.

    ``text_precheck`` is the pre-check's answer for ``text`` when the caller already has it,
    so the check is not run twice.
    """
    links, emails = find_links(text, embed_urls, text_precheck=text_precheck)
    if not links and not emails:
        return EMPTY
    return ScanResult(tuple(FoundLink(url, host, path) for url, (host, path) in links.items()), tuple(emails))


def find_links(
    text: str, embed_urls: tuple[str, ...] = (), *, text_precheck: bool | None = None, text_hint_at: int = 0
) -> tuple[Links, Emails]:
    """What scan() finds, as plain values: links as url -> (host, path), and email addresses.

    ``text_hint_at`` is where the pre-check's search matched in ``text`` (when the caller has
    it): no link or address starts in a token before that one, so the scan can start there.
    """
    links: Links = {}
    emails: Emails = {}
    if text_precheck is None:
        hint = _LINK_HINT(text)
        text_precheck, text_hint_at = hint is not None, hint.start() if hint is not None else 0
    if text_precheck:
        _scan_one(text, links, emails, text_hint_at)
    for source in embed_urls:
        if _LINK_HINT(source) is not None:
            _scan_one(source, links, emails)
    return links, emails


def _scan_one(raw: str, links: Links, emails: Emails, hint_at: int = 0) -> None:
    text, obfuscated = normalize(raw)
    if "<" in text:
        text = _DISCORD_TOKEN.sub(" ", text)
    # Links and addresses hold no whitespace once de-obfuscated: find the few places that
    # could start one (a dot before a letter, an "@", a scheme's ":/") and read only the
    # whitespace-free token around each. One search finds the next such place and, through
    # the "\S*" after it, where its token ends; the next search starts there, so the
    # candidates inside a token are never visited.
    # A token starts after the last space, newline, tab or carriage return before it; most
    # texts have only spaces, and then one search finds it.
    line_breaks = "\n" in text or "\t" in text or "\r" in text
    # (A ":" is only a candidate before "/" or "\\": a "link:" or ":)" needs no slower search.)
    next_candidate = (
        _NEXT_CANDIDATE if "@" in text or (":" in text and (":/" in text or ":\\" in text)) else _NEXT_DOT_CANDIDATE
    )
    # The pre-check matched at hint_at: a token before that one holds nothing the pre-check
    # would flag on its own, so nothing this scan would find (that is the pre-check's
    # promise, which the engine relies on for every clean message). When the text is as
    # written, the scan starts at the hint's token instead of reading the text twice.
    # Only after ASCII text, though: the pre-check wants two characters after a dot, and a
    # single non-ASCII one can spell a suffix ("esr.ß" is "esr.ss", South Sudan).
    token_end = 0
    if hint_at and text is raw and not obfuscated and text[:hint_at].isascii():
        if line_breaks:
            token_end = 1 + max(
                text.rfind(" ", 0, hint_at),
                text.rfind("\n", 0, hint_at),
                text.rfind("\t", 0, hint_at),
                text.rfind("\r", 0, hint_at),
            )
        else:
            token_end = 1 + text.rfind(" ", 0, hint_at)
    while (candidate := next_candidate(text, token_end)) is not None:
        position, token_end = candidate.span()
        if line_breaks:
            start = 1 + max(
                text.rfind(" ", 0, position),
                text.rfind("\n", 0, position),
                text.rfind("\t", 0, position),
                text.rfind("\r", 0, position),
            )
        else:
            start = 1 + text.rfind(" ", 0, position)
        whole = _WHOLE_TOKEN(text, start, token_end)
        if whole is None or not _take_whole_token(whole, text, start, obfuscated, links, emails):
            _scan_token(text, start, token_end, obfuscated, links, emails)


def _take_whole_token(
    whole: re.Match[str], text: str, start: int, obfuscated: bool, links: Links, emails: Emails
) -> bool:
    """Add what a token of one of _WHOLE_TOKEN's shapes holds; False when _scan_token must read it."""
    # One call for every group: cheaper than a group() call per name.
    run, tail, local, domain, url, authority, path, _close = whole.groups()
    if run is not None:
        # (The first two tests of _after_spelled_at, inline: most tokens need no call.)
        if start >= 5 and text[start - 2] in "tT" and _after_spelled_at(text, start):
            return False  # perhaps "jane at example.org": _scan_token reads the words before
        host_end = _host_length(run, False)
        if host_end == len(run):
            _add_bare(run, tail, obfuscated, links)
        elif tail:
            return False  # "i.e./example.org": a host may follow in the path
        elif host_end:
            _add_bare(run[:host_end], "", obfuscated, links)  # "e.g." is read as "e.g"
        # An IPv4 address with a path ("1.2.3.4/x", "example.org/1.2.3.4/x").
        if (run[:1].isdigit() or "/" in tail) and (run.count(".") + tail.count(".")) >= 3:
            _add_ipv4(run + tail, links)
        return True
    if url is not None:
        # What is left beside the URL (brackets, what _trim drops, "close") has no letter or
        # digit before a dot, so no other host: _scan_token would find nothing more.
        if url[-1] in _TRIMMABLE:
            trimmed = _trim(url)
            cut = len(url) - len(trimmed)
            url = trimmed
            if cut > len(path):
                found = _parse_scheme_url(url)  # the trim reached into the authority
                if found is not None and url not in links:
                    links[url] = found
                return True
            path = path[: len(path) - cut]
        host = _authority_host(authority)
        if host and url not in links:
            links[url] = (host, path)
        return True
    # An email address.
    local, domain = local.strip("."), canonical_host(domain)
    if not local or not registrable_domain(domain):
        return False
    emails.setdefault(f"{local}@{domain}", None)
    return True


def _after_spelled_at(text: str, start: int) -> bool:
    """True when the token at ``start`` follows a spelled-out " at " ("jane at gmail.com")."""
    return (
        start >= 5
        and text[start - 2] in "tT"  # one index settles most tokens before the slice and lower()
        and text[start - 4 : start - 1].lower() == " at"
        and text[start - 1].isspace()
    )


def _scan_token(text: str, start: int, end: int, obfuscated: bool, links: Links, emails: Emails) -> None:
    token = rest = text[start:end]
    if ":" in token:
        match = _SCHEME_URL.search(token, max(0, token.find(":") - _LONGEST_SCHEME))
        if match is not None:
            url = _trim(match.group(0))
            found = _parse_scheme_url(url)
            if found is not None and url not in links:
                links[url] = found
            # "[spine-health.com](https://elsewhere.net)": the link text is read too.
            rest = token[: match.start()] + " " + token[match.start() + len(url) :]
            if "." not in rest:
                return

    if "@" in rest:
        for match in _EMAIL.finditer(rest):
            if rest.startswith(("/", "?", "#"), match.end()):
                # "story@mayoclinic.org/x": a path makes it a link (a browser skips the name before the
                # "@"), not an address. The name goes, so the host is read as a bare link below.
                rest = _blank(rest, match.start(), match.start(2))
                continue
            local, domain = match.group(1).strip("."), canonical_host(match.group(2))
            if local and registrable_domain(domain):
                emails.setdefault(f"{local}@{domain}", None)
                rest = _blank(rest, match.start(), match.end())
    elif _after_spelled_at(text, start):
        # "jane at gmail.com": an address when the name or the domain says so.
        words = text[: start - 4].rsplit(None, 1)
        local = words[-1] if words else ""
        match = _HOST_TOKEN.match(rest)
        # An address ends at its domain: "story at mayoclinic[.]org/x" is a link, and so is a "www." host.
        if match is not None and _LOCAL_PART.fullmatch(local) and not _trim(rest[match.end() :]):
            domain = canonical_host(match.group(1))
            if registrable_domain(domain) and not domain.startswith("www."):
                if domain in EMAIL_PROVIDERS or _ADDRESS_LIKE_NAME(local) is not None:
                    emails.setdefault(f"{local}@{domain}", None)
                    return
                if obfuscated and local.lower() not in PROSE_BEFORE_AT:
                    # Only the obfuscation says it is an address ("info at webmd[.]com"): it may as well be
                    # a link, so the host is judged as one too (a medical site's block must not hide behind it).
                    emails.setdefault(f"{local}@{domain}", None)

    # (Both patterns can match the empty string, so they always match.)
    run = _HOST_RUN(rest)
    run_end = run.end() if run else 0
    resume = 0
    if run_end:
        host_end = _host_length(rest[:run_end], rest[run_end : run_end + 1] == "@")
        if host_end:
            port_and_path = _PORT_AND_PATH_AT(rest, host_end)
            resume = port_and_path.end() if port_and_path else host_end
            _add_bare(rest[:host_end], rest[host_end:resume], obfuscated, links)
    # Another host needs a separator and at least "a.b" after it. The run holds no separator,
    # so the search starts after both the run and what the first host took; a link that
    # takes the whole token (the usual case) or a run that is the whole token ("i.e.")
    # leaves no room, and the search is skipped.
    resume = max(resume, run_end)
    if len(rest) - resume >= _SHORTEST_HOST_AFTER_SEPARATOR:
        for match in _BARE_AFTER_SEPARATOR(rest, resume):
            _add_bare(match.group(1), match.group(2), obfuscated, links)
    # An IPv4 address has three dots, with a digit on both sides of each.
    if (rest[:1].isdigit() or "/" in rest) and rest.count(".") >= 3:
        _add_ipv4(rest, links)
