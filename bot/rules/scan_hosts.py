"""Reading hosts out of a token: a URL's authority, a bare host and whether it reads as chat, an IPv4 address.

The cached judgements (``_host_length``, ``_authority_host``, ``_judge_bare``) are keyed by
the host as written: the same sites recur in a live server.
"""

from __future__ import annotations

from functools import lru_cache

from bot.rules.domains import canonical_host, is_ip, registrable_domain
from bot.rules.scan_tables import (
    _AUTHORITY,
    _DIGIT_DOT_DIGIT,
    _HOST_IN_RUN,
    _IPV4_WITH_PATH,
    _TRAILING,
    _TRIMMABLE,
    AMBIGUOUS_TLDS,
    STRONG_TLDS,
    Links,
)


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
