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
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from bot.rules.domains import canonical_host, is_ip, registrable_domain


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

# Top-level domains that are also common words at the start of a clause. A bare
# "word.<one of these>" is only a link with more evidence (see module docstring).
AMBIGUOUS_TLDS = frozenset(
    """
    ai am an app art as at bar be best buy by care cat cc center click club cm co day deal do
    doctor er fit fun gay gift go gp guru help hiv home how hr id im in is it kg kim lb life
    links live lol love md me men mg ml mm moe mom mov ms my new news no now one pa page pay pet ph
    pics pl plus pm pro ps pt pub py red rest rs run sale save sh show si so spa st talk tax team
    tips to today top tv us vet vip wiki win work world wow wtf yoga you zip zone
    """.split()
)

# Top-level domains that are never a sentence run-on even when capitalised ("Webmd.Com").
STRONG_TLDS = frozenset({"com", "net", "org", "edu", "gov"})

# Suffixes accepted after a spelled-out " dot " ("example dot com"); an everyday word
# after "dot" ("a dot in the box") must not become a domain.
SPELLED_TLDS = (
    "com|net|org|edu|gov|info|biz|io|co|uk|ca|au|nz|ie|de|fr|nl|es|ru|cn|jp|br|za|ch|se|"
    "xyz|online|site|shop|store|ly|gg|tv|health|care"
)

# Email providers: "jane at gmail.com" is an address even though "at" is everyday English.
EMAIL_PROVIDERS = frozenset(
    """
    gmail.com googlemail.com yahoo.com yahoo.co.uk ymail.com hotmail.com hotmail.co.uk outlook.com
    live.com msn.com aol.com icloud.com me.com mac.com proton.me protonmail.com gmx.com gmx.net mail.com
    zoho.com yandex.com yandex.ru comcast.net verizon.net att.net sbcglobal.net btinternet.com sky.com
    shaw.ca rogers.com bigpond.com fastmail.com tutanota.com hey.com
    """.split()
)

# Words that, before a spelled-out " at ", are prose rather than an address's name ("my story at
# mayoclinic[.]org", "look at webmd[.]com"): with only an obfuscation for evidence, "word at host"
# is a link. (A mail provider or an address-like name still makes it an address.)
PROSE_BEFORE_AT = frozenset(
    """
    look looking looked looks see seen saw read reading it this that them him her me us you here there
    story stories article articles post posts posted page pages blog site website web online video videos
    found find available listed published check checked out more details guide forum group answer answers
    research study studies information anything something everything link links stuff help advice
    """.split()
)

# The pre-check is one regular expression: each alternative starts with a literal character
# (".", "@", ":", "d", "D", a bracket or a full-width mark), so the regex engine skips through
# the text with a fast set-membership test and tries the pattern only at those characters.
# One search costs about half of the separate substring tests and per-dot loop it replaces,
# and scales better on long posts. A match is the first place a link or email address could
# start.
LINK_HINT = re.compile(
    # A dot between a host character (a letter or digit, or what the normaliser removes:
    # hyphen, underscore, soft hyphen, zero-width characters) and a letter that is followed by
    # one more character ("example.com", also "example.\u200bcom"); or before the last part of
    # an IPv4 address with a path or port. Not "a.m.", "e.g." or "2.5mg".
    r"\.(?:(?<=[\w\-\u00ad\u034f\u180e\u200b-\u200f\u2060-\u2064\ufeff]\.)"
    r"(?=[\u00ad\u200b-\u200f\u2060\ufeff]*[^\W\d_][^\s.]|\d{1,3}[/:])"
    # A spaced dot before a word: "example . com", "example .com".
    r"|(?<= \.)\s?[^\W\d_]{2})"
    # An "@" between a name character and a letter or digit: "jane@gmail".
    r"|@(?<=[\w.+\-%]@)(?=[^\W_])"
    # A scheme's ":/" (or ":\\"), and a spelled-out "dot".
    r"|:[/\\]|dot|DOT|Dot"
    # A bracketed ".", "@", ":", "dot" or "at": "example[.]com", "jane (at) gmail".
    r"|\[\s*(?:[.@:]|(?i:dot|at))\s*[\])}]"
    r"|\(\s*(?:[.@:]|(?i:dot|at))\s*[\])}]"
    r"|\{\s*(?:[.@:]|(?i:dot|at))\s*[\])}]"
    # Full-width and ideographic stand-ins for ".", "@" and ":" (NFKC folds them).
    "|\uff0e|\u3002|\uff61|\uff20|\uff1a|\ufe52|\u2024"
)
_LINK_HINT = LINK_HINT.search

_HXXP = re.compile(r"\bh(?:xx|XX|\*\*|tt|TT)p(s?)\s*(?:\[:\]|\(:\)|:)\s*(?=[/\\])", re.IGNORECASE)
_BRACKET_TOKEN = re.compile(r"[\[({]\s*(?:(\.|dot)|(@|at))\s*[\])}]", re.IGNORECASE)
# The same, one per opening bracket: led by a literal, each finds whether the text has such
# a token faster than the character-set-led pattern above (used to replace them).
_PAREN_TOKEN = re.compile(r"\(\s*(?:\.|dot|@|at)\s*[\])}]", re.IGNORECASE).search
_SQUARE_TOKEN = re.compile(r"\[\s*(?:\.|dot|@|at)\s*[\])}]", re.IGNORECASE).search
_CURLY_TOKEN = re.compile(r"\{\s*(?:\.|dot|@|at)\s*[\])}]", re.IGNORECASE).search
_SPELLED_DOT = re.compile(rf"\s+(?:dot\s+|\.\s*)(?=(?:{SPELLED_TLDS})\b)", re.IGNORECASE)
# "jane dot doe at gmail": a dotted name before a spelled-out "at".
_SPELLED_NAME_DOT = re.compile(r"(?<=\w)\s+dot\s+(?=\w+\s+(?:at|\[at\]|\(at\))\s)", re.IGNORECASE)
_ZERO_WIDTH = re.compile("[\u00ad\u034f\u180e\u200b-\u200f\u2060-\u2064\ufeff]")
_DISCORD_TOKEN = re.compile(r"<(?:@[!&]?\d+|#\d+|a?:\w+:\d+|t:-?\d+(?::\w)?|/[\w -]+:\d+)>")

# Candidates in normalised text (a dot before a letter or an IPv4 address's last part, an
# "@", a scheme's ":/"), each with the rest of its token: the match ends at the first
# whitespace after the candidate.
_NEXT_CANDIDATE = re.compile(r"(?:\.(?=[^\W\d_])|\.\d{1,3}[/:]|@|:[/\\])\S*").search
# The same for a text with no "@" and no ":": led by its literal ".", the search skips
# ahead faster than the character-set test above can.
_NEXT_DOT_CANDIDATE = re.compile(r"\.(?:(?=[^\W\d_])|\d{1,3}[/:])\S*").search

_SCHEME_URL = re.compile(r"\b(?:https?|ftps?|sftp|wss?):[/\\]{1,3}[^\s<>\"'`|]+", re.IGNORECASE)
# The longest scheme before a ":" ("https", "sftp"): a scheme URL starts at most this far
# before the token's first colon, so the search for one can start there.
_LONGEST_SCHEME = 5
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_HOST = rf"(?:{_LABEL}\.)+[^\W\d_][\w-]{{0,62}}"
_EMAIL = re.compile(rf"(?<![\w.+%-])([\w.+%-]{{1,64}})@({_HOST})(?![\w-])")
_HOST_TOKEN = re.compile(rf"[(\[{{<\"']*({_HOST})(?![\w@-])")
_LOCAL_PART = re.compile(r"[\w.+%-]{1,64}")
# A name with a dot, "_", "+" or a digit ("jane.doe", "jane42") reads as an address's name.
_ADDRESS_LIKE_NAME = re.compile(r"[._+0-9]").search
# A bare host starts where the character before it (if any) is none of [\w@.%-]; it is
# followed by an optional port and path. Written with a lookbehind, the pattern would be
# tried at every position of the token. Instead:
# - at the token's start, the host is read from the run of host characters there. How much
#   of the run the host pattern takes depends only on the run and on whether an "@" follows
#   it, so that is worked out once per run (_host_length, cached) rather than by a
#   backtracking regex on every token; the port and path are matched after it;
# - after that, the pattern consumes the separator before a host (group 1 the host, group 2
#   its port and path), so the regex engine skips to separators with a character-set test.
_PORT_AND_PATH = r"(?::\d{1,5})?(?:[/?#][^\s<>\"'`|]*)?"
_HOST_RUN = re.compile(r"[\w.-]*").match
_HOST_IN_RUN = re.compile(rf"{_HOST}(?![\w@-])").match
_PORT_AND_PATH_AT = re.compile(_PORT_AND_PATH).match
_BARE_AFTER_SEPARATOR = re.compile(rf"[^\w@.%-]({_HOST})(?![\w@-])({_PORT_AND_PATH})").finditer
_SHORTEST_HOST_AFTER_SEPARATOR = len(",a.b")
_IPV4_WITH_PATH = re.compile(
    r"(?<![\w.])((?:\d{1,3}\.){3}\d{1,3})((?::\d{1,5})(?:[/?#][^\s<>\"'`|]*)?|[/?#][^\s<>\"'`|]*)"
)
# Every IPv4 address has a digit on both sides of a dot (led by its literal, this is a fast scan).
_DIGIT_DOT_DIGIT = re.compile(r"\.(?<=\d\.)(?=\d)").search
# In a URL: the scheme and its colon, the slashes after it, then the authority (group 1),
# which runs to the first "/", "?" or "#" (where the path starts).
_AUTHORITY = re.compile(r"[^:]*:/*([^/?#]*)").match
# The shapes nearly every token with a link has, read by one match over the whole token
# (a fullmatch from the token's start to its end), with a named group per part:
# - a run of host characters and a path, with no ":" and no "@" ("example.org/page?x=1",
#   also "e.g." and "a.m."): "run" and "tail";
# - an email address and nothing else ("jane.doe@gmail.com"): "local" and "domain";
# - a scheme URL ("https://www.webmd.com/back-pain"), perhaps inside "<…>", "(…)" or a
#   markdown link "[text](…)" whose text has no dot: group "url" and, inside it, its
#   "authority" and "path". Neither holds "\\" (which browsers read as "/"), and the URL
#   ends where _SCHEME_URL's would ("close" is what follows, without a dot).
# No token fits two shapes (only a URL has a ":", only an address an "@" without one), and
# each shape fails at its first misfit character (possessive repeats, no backtracking),
# so the commonest, shortest shapes come first.
# Any other token (a port, two links in one token, a dot beside the link…) goes through
# _scan_token, which handles every case; on these shapes both give the same answer
# (tests/rules/test_scan_shortcuts.py), and one match replaces a dozen slices, searches
# and calls.
_URL_CHAR = r"[^\s<>\"'`|\\]"
_WHOLE_TOKEN = re.compile(
    r"(?P<run>[\w.-]++)(?P<tail>(?:[/?#][^\s<>\"'`|:@]*+)?)"
    rf"|(?P<local>[\w.+%-]{{1,64}}+)@(?P<domain>{_HOST})"
    rf"|[^\s.:]*?\b(?P<url>(?i:https?|ftps?|sftp|wss?):/+(?P<authority>[^\s<>\"'`|\\/?#]*+)"
    rf"(?P<path>(?:[/?#]{_URL_CHAR}*+)?))(?P<close>[<>\"'`|][^\s.]*+)?"
).fullmatch
_TRAILING = ".,;:!?'\"*_~"
# What _trim may remove: the trailing punctuation and closing brackets.
_TRIMMABLE = frozenset(_TRAILING + ")]")


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


# Found links as url -> (host, path), in order of appearance; email addresses as the keys of
# a dict (ordered and deduplicated). Plain tuples: a named tuple costs several times more to
# build, and the engine turns each link into a Link anyway.
Links = dict[str, tuple[str, str]]
Emails = dict[str, None]


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


def _add_ipv4(rest: str, links: Links) -> None:
    """Every IPv4 address with a port or path in a token."""
    if _DIGIT_DOT_DIGIT(rest) is not None:
        for match in _IPV4_WITH_PATH.finditer(rest):
            host, tail = match.group(1), _trim(match.group(2))
            if is_ip(host):
                url = host + tail
                if url not in links:
                    links[url] = (host, tail)


@lru_cache(maxsize=8192)
def _host_length(run: str, before_at: bool) -> int:
    """How many characters of a run of host characters the host pattern takes (0 for none)."""
    match = _HOST_IN_RUN(run + "@" if before_at else run)
    return 0 if match is None else match.end()


def _add_bare(written: str, port_and_path: str, obfuscated: bool, links: Links) -> None:
    tail = _trim(port_and_path)
    judged = _judge_bare(written, bool(tail), obfuscated)
    if judged is not None:
        candidate, host = judged
        url = candidate + tail
        if url not in links:
            links[url] = (host, tail)


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _trim(url: str) -> str:
    """Drop punctuation that ends a sentence or closes a bracket the URL did not open."""
    if not url or url[-1] not in _TRIMMABLE:
        return url  # the usual case, settled by one test
    while url:
        last = url[-1]
        if (
            last in _TRAILING
            or (last == ")" and url.count("(") < url.count(")"))
            or (last == "]" and url.count("[") < url.count("]"))
        ):
            url = url[:-1]
        else:
            break
    return url


def _parse_scheme_url(url: str) -> tuple[str, str] | None:
    """The canonical host and the path of a URL with a scheme, or None when it has no host."""
    # Browsers read "\" as "/" in web URLs: "https://a.net\@b.com" goes to a.net.
    cleaned = url.replace("\\", "/") if "\\" in url else url
    authority = _AUTHORITY(cleaned)
    if authority is None:
        return None
    host = _authority_host(authority.group(1))
    if not host:
        return None
    return host, cleaned[authority.end() :]


@lru_cache(maxsize=8192)
def _authority_host(authority: str) -> str:
    """The canonical host of a URL's authority (cached: a server sees the same sites again and again)."""
    if "@" in authority:
        # Everything before the last "@" is userinfo: the browser goes to what follows.
        authority = authority.rsplit("@", 1)[1]
    if authority.startswith("["):
        host = authority[: authority.find("]") + 1] if "]" in authority else authority
    else:
        host = authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority
    return canonical_host(host)


def _has_more_labels(labels: list[str]) -> bool:
    """'shop.example.it' is a host; 'day3.it' or 'pre-op.no' is chat."""
    return len(labels) > 2 and all(len(label) > 1 for label in labels[:-1])


@lru_cache(maxsize=8192)
def _judge_bare(candidate: str, has_tail: bool, obfuscated: bool) -> tuple[str, str] | None:
    """A bare host as written and its canonical form, or None when it reads as chat.

    Cached: the answer depends only on the host as written and two flags, and the same
    sites come up again and again.
    """
    labels = candidate.split(".")
    # "e.g.yoga", "i.e.com": leading single letters are an abbreviation, not a host.
    if len(labels) > 2 and len(labels[0]) == 1 and len(labels[1]) == 1:
        while len(labels) > 1 and len(labels[0]) == 1:
            labels.pop(0)
        if len(labels) < 2:
            return None
        candidate = ".".join(labels)
    tld = labels[-1]
    if not has_tail and len(labels) == 2 and len(labels[0]) == 1 and labels[0].isupper() and tld[:1].isupper():
        return None  # "B.Sc", "M.Sc": a degree, not a domain
    host = canonical_host(candidate)
    if not registrable_domain(host):
        return None
    if not (obfuscated or has_tail or labels[0].lower().startswith("www")):
        tld_lower = tld.lower()
        # A capital after the dot starts a sentence ("surgery.It", "L5-S1.My", "frustrating.PT
        # helped"), unless the whole name is in capitals ("WEBMD.COM") or the suffix is
        # one no sentence starts with ("WebMD.Com").
        if tld[0].isupper() and tld_lower not in STRONG_TLDS and not (tld.isupper() and candidate.isupper()):
            return None
        if tld_lower in AMBIGUOUS_TLDS and not _has_more_labels(labels):
            return None
    return candidate, host
