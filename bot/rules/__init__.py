"""The pure policy engine: no Discord, no database, no clock, no network.

Callers build :class:`AuthorFacts` and :class:`MessageFacts` from whatever they have and
ask :meth:`Engine.evaluate` for a :class:`Verdict`.
"""

from bot.rules.domains import DomainListError, DomainLists, canonical_host, registrable_domain, warm
from bot.rules.engine import Engine
from bot.rules.model import (
    DEFAULT_INTERNAL_DOMAINS,
    DEFAULT_LINK_ACTIONS,
    Action,
    AuthorFacts,
    Link,
    LinkClass,
    MessageFacts,
    Policy,
    Reason,
    Verdict,
)
from bot.rules.scan import ScanResult, scan

__all__ = [
    "DEFAULT_INTERNAL_DOMAINS",
    "DEFAULT_LINK_ACTIONS",
    "Action",
    "AuthorFacts",
    "DomainListError",
    "DomainLists",
    "Engine",
    "Link",
    "LinkClass",
    "MessageFacts",
    "Policy",
    "Reason",
    "ScanResult",
    "Verdict",
    "canonical_host",
    "registrable_domain",
    "scan",
    "warm",
]
