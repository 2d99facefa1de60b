"""Hosts, registrable domains and the curated domain lists.

The Public Suffix List comes from tldextract's bundled snapshot and nothing else: the
extractor is built with no list URLs and no cache directory, so it never touches the
network or the disk beyond its own package data.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from urllib.parse import unquote

import tldextract

_EXTRACTOR = tldextract.TLDExtract(
    suffix_list_urls=(),
    cache_dir=None,
    fallback_to_snapshot=True,
    # Private suffixes (blogspot.com, github.io, netlify.app…) make each hosted site its
    # own registrable domain, so allowing one blog does not allow the whole host.
    include_psl_private_domains=True,
)

_ZERO_WIDTH = dict.fromkeys(
    map(ord, "\u00ad\u034f\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"),
    None,
)
_DOT_LIKE = {ord(c): "." for c in "\u3002\uff0e\uff61\ufe52\u2024"}
HOST_TRANSLATION = {**_ZERO_WIDTH, **_DOT_LIKE}


class DomainListError(ValueError):
    """A domain list file has a line that is not a valid entry."""


def warm() -> None:
    """Load the suffix list now, so the first message does not pay for it."""
    registrable_domain("example.com")


# Cached: hosts recur, and an internationalised one costs tens of microseconds to encode.
@lru_cache(maxsize=8192)
def canonical_host(raw: str) -> str:
    """Lowercase ASCII (punycode) form of a host as a reader would reach it."""
    host = unquote(raw) if "%" in raw else raw
    if not host.isascii():
        host = unicodedata.normalize("NFKC", host).translate(HOST_TRANSLATION)
    host = host.strip(".").lower()
    if host.isascii():
        return host
    labels = []
    for label in host.split("."):
        if label.isascii():
            labels.append(label)
            continue
        try:
            labels.append(label.encode("idna").decode("ascii"))
        except UnicodeError:
            labels.append("xn--" + label.encode("punycode").decode("ascii"))
    return ".".join(labels)


@lru_cache(maxsize=8192)
def registrable_domain(host: str) -> str:
    """The registrable domain of a canonical host; IPs and unknown suffixes map to ''."""
    if not host or _is_ip(host):
        return ""
    parts = _EXTRACTOR.extract_str(host)
    if parts.top_domain_under_public_suffix:
        return parts.top_domain_under_public_suffix
    # A bare multi-label suffix is itself a site people link to (nhs.uk, github.io).
    return parts.suffix if parts.suffix == host and "." in host else ""


def is_ip(host: str) -> bool:
    """True when the host is an IPv4 or IPv6 literal."""
    return _is_ip(host)


@lru_cache(maxsize=2048)
def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@lru_cache(maxsize=8192)
def host_suffixes(host: str) -> tuple[str, ...]:
    """The host and each parent domain with at least two labels, longest first."""
    labels = host.split(".")
    return tuple(".".join(labels[i:]) for i in range(len(labels) - 1))


def matches_any(host: str, domains: Collection[str]) -> bool:
    """True when the host or one of its parent domains is listed."""
    if domains:
        for suffix in host_suffixes(host):
            if suffix in domains:
                return True
    return False


@dataclass(frozen=True, slots=True)
class DomainLists:
    """The shipped lists: medical sites (domain → kind) and URL shorteners."""

    medical: Mapping[str, str]
    shorteners: frozenset[str]

    @classmethod
    def from_text(cls, medical_text: str, shortener_text: str) -> DomainLists:
        """Parse the two list files' contents."""
        medical = dict(parse_domain_list(medical_text, kinds=MEDICAL_KINDS))
        shorteners = frozenset(d for d, _ in parse_domain_list(shortener_text, kinds=None))
        return cls(MappingProxyType(medical), shorteners)

    def medical_kind(self, host: str) -> str | None:
        """The kind of medical site a host belongs to, or None."""
        for suffix in host_suffixes(host):
            kind = self.medical.get(suffix)
            if kind is not None:
                return kind
        return None


MEDICAL_KINDS = frozenset({"consumer", "hospital", "government", "drug", "journal", "literature"})


def parse_domain_list(text: str, *, kinds: frozenset[str] | None) -> Iterable[tuple[str, str]]:
    """Yield (domain, kind) from a list file; kind is '' for lists without a kind column."""
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        expected = 1 if kinds is None else 2
        if len(parts) != expected:
            shape = "a domain" if kinds is None else "a domain and a kind"
            raise DomainListError(f"line {number}: expected {shape}, got {line!r}")
        domain = canonical_host(parts[0])
        if "." not in domain or (not registrable_domain(domain) and not _is_public_suffix(domain)):
            raise DomainListError(f"line {number}: {parts[0]!r} is not a domain under the Public Suffix List")
        kind = ""
        if kinds is not None:
            kind = parts[1]
            if kind not in kinds:
                allowed = ", ".join(sorted(kinds))
                raise DomainListError(f"line {number}: unknown kind {kind!r} (one of: {allowed})")
        if domain in seen:
            raise DomainListError(f"line {number}: {domain} is listed twice")
        seen.add(domain)
        yield domain, kind


class DomainArgumentError(ValueError):
    """A domain someone typed is not one site's registrable domain; the message says why."""


_HOST_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")


def domain_argument(raw: str) -> str:
    """The registrable domain someone typed, canonical; raise DomainArgumentError saying why not."""
    typed = raw.strip()
    if not typed:
        raise DomainArgumentError("give a domain name, such as example.org")
    if "://" in typed or "/" in typed or "@" in typed or any(c.isspace() for c in typed):
        raise DomainArgumentError(f"{typed!r} is not a domain name: give the domain alone, such as example.org")
    domain = canonical_host(typed)
    if _is_ip(domain):
        raise DomainArgumentError(f"{typed!r} is an IP address, not a domain name")
    labels = domain.split(".")
    if not set(domain) <= _HOST_CHARACTERS or "" in labels or any(len(label) > 63 for label in labels):
        raise DomainArgumentError(f"{typed!r} is not a valid domain name")
    parts = _EXTRACTOR.extract_str(domain)
    if not parts.suffix:
        raise DomainArgumentError(f"{typed!r} does not end in a suffix under the Public Suffix List")
    if parts.suffix == domain:
        raise DomainArgumentError(
            f"{domain} is a public suffix shared by many unrelated sites; give one site's domain, such as "
            f"example.{domain}"
        )
    registrable = parts.top_domain_under_public_suffix
    if registrable != domain:
        raise DomainArgumentError(f"{domain} is a subdomain; give its registrable domain {registrable}")
    return domain


def _is_public_suffix(domain: str) -> bool:
    return _EXTRACTOR.extract_str(domain).suffix == domain


# Discord's own domains: a link there is an invite or Discord's site, which the invite rule judges.
DISCORD_DOMAINS = frozenset({"discord.gg", "discord.com", "discordapp.com", "discord.me"})


class Refusal(StrEnum):
    """Why a domain may not be allowed (nor a member's links to it pre-approved)."""

    MEDICAL = "medical"  # links to medical sites are never permitted
    SHORTENER = "shortener"  # a shortened link hides where it goes: allowing one lets every link through
    DISCORD = "discord"  # invites have their own rule
    INTERNAL = "internal"  # the forum's own sites are always allowed already


def allow_refusal(domain: str, lists: DomainLists, internal_domains: Collection[str]) -> tuple[Refusal, str] | None:
    """Why no allowed list or pre-approval may cover this canonical domain, with the medical kind; None if it may.

    The one rule for /links allow, /member preapprove and /policy-admin import; checked in this order.
    """
    kind = lists.medical_kind(domain)
    if kind is not None:
        return Refusal.MEDICAL, kind
    if matches_any(domain, lists.shorteners):
        return Refusal.SHORTENER, ""
    if domain in DISCORD_DOMAINS:
        return Refusal.DISCORD, ""
    if matches_any(domain, internal_domains):
        return Refusal.INTERNAL, ""
    return None
