"""Find every link and email address a reader could follow or copy out of a text.

The scan runs in three stages:

1. A cheap pre-check. Most chat has no dot between two non-space characters, no "@",
   no "://" and no "dot"; such a text is clean and costs a few string searches.
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
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from bot.rules.domains import HOST_TRANSLATION, canonical_host, is_ip, registrable_domain


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
    am an app art as at bar be best by buy care cat center click club co day deal do doctor fit fun gift
    go guru help hiv home how in is it kim live love me men mom moe mov md my new news no now one page
    pay pet pics plus pro pub red rest run sale save sh show so spa talk tax team tips to today top tv
    us vet vip win wiki work world wow yoga you zip zone life links gay pl py rs ps
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

_CHEAP_TRIGGERS = ("@", ":/", ":\\", "dot", "DOT", "Dot", " .", "(.)")
_NON_ASCII_TRIGGERS = re.compile(
    "[\u00ad\u034f\u180e\u200b-\u200f\u2060-\u2064\ufeff\uff01-\uff5e\u3002\uff61\ufe52\u2024]"
)
_WHITESPACE = frozenset(" \t\n\r\f\v.")

_HXXP = re.compile(r"\bh(?:xx|XX|\*\*|tt|TT)p(s?)\s*(?:\[:\]|\(:\)|:)\s*(?=[/\\])", re.IGNORECASE)
_BRACKET_DOT = re.compile(r"\s*[\[({]\s*(?:\.|dot)\s*[\])}]\s*", re.IGNORECASE)
_BRACKET_AT = re.compile(r"\s*[\[({]\s*(?:@|at)\s*[\])}]\s*", re.IGNORECASE)
_SPELLED_DOT = re.compile(rf"\s+(?:dot\s+|\.\s*)(?=(?:{SPELLED_TLDS})\b)", re.IGNORECASE)
_DISCORD_TOKEN = re.compile(r"<(?:@[!&]?\d+|#\d+|a?:\w+:\d+|t:-?\d+(?::\w)?|/[\w -]+:\d+)>")

_SCHEME_URL = re.compile(r"\b(?:https?|ftps?|sftp|wss?):[/\\]{1,3}[^\s<>\"'`|]+", re.IGNORECASE)
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_HOST = rf"(?:{_LABEL}\.)+[^\W\d_][\w-]{{0,62}}"
_EMAIL = re.compile(rf"(?<![\w.+%-])([\w.+%-]{{1,64}})@({_HOST})(?![\w-])")
_HOST_TOKEN = re.compile(rf"[(\[{{<\"']*({_HOST})(?![\w@-])")
_LOCAL_PART = re.compile(r"[\w.+%-]{1,64}")
_BARE = re.compile(rf"(?<![\w@.%-])({_HOST})(?![\w@-])((?::\d{{1,5}})?(?:[/?#][^\s<>\"'`|]*)?)")
_IPV4_WITH_PATH = re.compile(
    r"(?<![\w.])((?:\d{1,3}\.){3}\d{1,3})((?::\d{1,5})(?:[/?#][^\s<>\"'`|]*)?|[/?#][^\s<>\"'`|]*)"
)
_TRAILING = ".,;:!?'\"*_~"


def may_contain_link(text: str) -> bool:
    """Cheap pre-check: False means the text certainly holds no link or email address."""
    for trigger in _CHEAP_TRIGGERS:
        if trigger in text:
            return True
    if not text.isascii() and _NON_ASCII_TRIGGERS.search(text):
        return True
    # A dot with a non-space character on each side ("example.com", but not "end. Next").
    find = text.find
    end = len(text) - 1
    i = find(".", 1)
    while 0 < i < end:
        if text[i - 1] not in _WHITESPACE and text[i + 1] not in _WHITESPACE:
            return True
        i = find(".", i + 1)
    return False


def scan(text: str, embed_urls: tuple[str, ...] = ()) -> ScanResult:
    """Every link and email address in a message's text and embeds, in order, deduplicated."""
    if not embed_urls and not may_contain_link(text):
        return EMPTY
    links: dict[str, FoundLink] = {}
    emails: dict[str, None] = {}
    for source in (text, *embed_urls):
        if source is not text and not may_contain_link(source):
            continue
        _scan_one(source, links, emails)
    if not links and not emails:
        return EMPTY
    return ScanResult(tuple(links.values()), tuple(emails))


def normalize(text: str) -> tuple[str, bool]:
    """De-obfuscated text, and whether an explicit obfuscation was undone."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(HOST_TRANSLATION)
    obfuscated = False
    if "[" in text or "(" in text or "{" in text:
        text, n_dot = _BRACKET_DOT.subn(".", text)
        text, n_at = _BRACKET_AT.subn("@", text)
        obfuscated = bool(n_dot or n_at)
    lowered = text.lower()
    if "xx" in lowered or "**" in text or "[:]" in text or "(:)" in text:
        text, n_scheme = _HXXP.subn(lambda m: "http" + m.group(1) + ":", text)
        obfuscated = obfuscated or bool(n_scheme)
    if "dot" in lowered or " ." in text:
        joined = _SPELLED_DOT.sub(_join_spelled_dot, text)
        obfuscated = obfuscated or joined != text
        text = joined
    return text, obfuscated


def _join_spelled_dot(match: re.Match[str]) -> str:
    """'example dot com' becomes 'example.com'; 'the dot com boom' stays as written."""
    before = match.string[: match.start()]
    if not before or not before[-1].isalnum():
        return match.group(0)
    if before.rsplit(None, 1)[-1].lower() in ("the", "a"):
        return match.group(0)
    return "."


def _scan_one(raw: str, links: dict[str, FoundLink], emails: dict[str, None]) -> None:
    text, obfuscated = normalize(raw)
    if "<" in text:
        text = _DISCORD_TOKEN.sub(" ", text)
    # Links and addresses hold no whitespace once de-obfuscated, so only the few tokens
    # with a dot (or a scheme) are read closely.
    tokens = text.split()
    for index, token in enumerate(tokens):
        if "." in token or ":/" in token or ":\\" in token:
            _scan_token(token, tokens, index, obfuscated, links, emails)


def _scan_token(
    token: str,
    tokens: list[str],
    index: int,
    obfuscated: bool,
    links: dict[str, FoundLink],
    emails: dict[str, None],
) -> None:
    rest = token
    if ":" in token:
        match = _SCHEME_URL.search(token)
        if match is not None:
            url = _trim(match.group(0))
            found = _parse_scheme_url(url)
            if found is not None:
                links.setdefault(found.url, found)
            # "[spine-health.com](https://elsewhere.net)": the link text is read too.
            rest = token[: match.start()] + " " + token[match.start() + len(url) :]
            if "." not in rest:
                return

    if "@" in rest:
        for match in _EMAIL.finditer(rest):
            local, domain = match.group(1).strip("."), canonical_host(match.group(2))
            if local and registrable_domain(domain):
                emails.setdefault(f"{local}@{domain}", None)
                rest = _blank(rest, match.start(), match.end())
    elif index >= 2 and tokens[index - 1].lower() == "at":
        # "jane at gmail.com": an address when the name or the domain says so.
        local = tokens[index - 2]
        match = _HOST_TOKEN.match(rest)
        if match is not None and _LOCAL_PART.fullmatch(local):
            domain = canonical_host(match.group(1))
            strong = obfuscated or domain in EMAIL_PROVIDERS or any(c in local for c in "._+0123456789")
            if strong and registrable_domain(domain):
                emails.setdefault(f"{local}@{domain}", None)
                return

    for match in _BARE.finditer(rest):
        found = _judge_bare(match.group(1), _trim(match.group(2)), obfuscated)
        if found is not None:
            links.setdefault(found.url, found)
    if rest[:1].isdigit() or "/" in rest:
        for match in _IPV4_WITH_PATH.finditer(rest):
            host, tail = match.group(1), _trim(match.group(2))
            if is_ip(host):
                url = host + tail
                links.setdefault(url, FoundLink(url, host, tail))


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _trim(url: str) -> str:
    """Drop punctuation that ends a sentence or closes a bracket the URL did not open."""
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


def _parse_scheme_url(url: str) -> FoundLink | None:
    # Browsers read "\" as "/" in web URLs: "https://a.net\@b.com" goes to a.net.
    cleaned = url.replace("\\", "/")
    _, _, rest = cleaned.partition(":")
    rest = rest.lstrip("/")
    cut = len(rest)
    for sep in "/?#":
        pos = rest.find(sep)
        if pos != -1 and pos < cut:
            cut = pos
    authority, path = rest[:cut], rest[cut:]
    if "@" in authority:
        # Everything before the last "@" is userinfo: the browser goes to what follows.
        authority = authority.rsplit("@", 1)[1]
    if authority.startswith("["):
        host = authority[: authority.find("]") + 1] if "]" in authority else authority
    else:
        host = authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority
    host = canonical_host(host)
    if not host:
        return None
    return FoundLink(url, host, path)


def _judge_bare(candidate: str, rest: str, obfuscated: bool) -> FoundLink | None:
    labels = candidate.split(".")
    # "e.g.yoga", "i.e.com": leading single letters are an abbreviation, not a host.
    if len(labels) > 2 and len(labels[0]) == 1 and len(labels[1]) == 1:
        while len(labels) > 1 and len(labels[0]) == 1:
            labels.pop(0)
        if len(labels) < 2:
            return None
        candidate = ".".join(labels)
    tld = labels[-1]
    if not rest and len(labels) == 2 and len(labels[0]) == 1 and labels[0].isupper() and tld[:1].isupper():
        return None  # "B.Sc", "M.Sc": a degree, not a domain
    host = canonical_host(candidate)
    if not registrable_domain(host):
        return None
    if not (obfuscated or rest or labels[0].lower().startswith("www")):
        tld_lower = tld.lower()
        run_on = tld[0].isupper() and tld[1:].islower() and labels[-2].islower()
        if run_on and tld_lower not in STRONG_TLDS:
            return None
        if tld_lower in AMBIGUOUS_TLDS:
            name = labels[-2]
            if not (len(labels) > 2 or "-" in name or any(c.isdigit() for c in name)):
                return None
    return FoundLink(candidate + rest, host, rest)
