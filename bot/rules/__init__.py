"""The pure policy engine: no Discord, no database, no clock, no network.

Callers build :class:`AuthorFacts` and :class:`MessageFacts` from whatever they have and
ask :meth:`Engine.evaluate` for a :class:`Verdict`.
"""

from bot.rules.catalogue import DEFAULT_LINK_ACTIONS
from bot.rules.domains import (
    DomainArgumentError,
    DomainListError,
    DomainLists,
    canonical_host,
    domain_argument,
    registrable_domain,
    warm,
)
from bot.rules.engine import Engine
from bot.rules.model import (
    DEFAULT_INTERNAL_DOMAINS,
    AuthorFacts,
    Link,
    MessageFacts,
    Policy,
    Verdict,
)
from bot.rules.scan import ScanResult, scan
from bot.rules.vocabulary import Action, LinkClass, Reason

__all__ = [
    "DEFAULT_INTERNAL_DOMAINS",
    "DEFAULT_LINK_ACTIONS",
    "Action",
    "AuthorFacts",
    "DomainArgumentError",
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
    "domain_argument",
    "registrable_domain",
    "scan",
    "warm",
]
