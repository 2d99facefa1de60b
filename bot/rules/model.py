"""Plain-value types the policy engine takes and returns.

Everything here is a frozen dataclass or an enum of strings, so facts can be built from
any source (a Discord message, an export, a test table) and verdicts can be stored,
logged or serialised without touching Discord.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import NamedTuple

from bot.rules.catalogue import ACTION_KEYS, DEFAULT_EMAIL_ACTION, DEFAULT_LINK_ACTIONS, LINK_KEYS, RULES
from bot.rules.vocabulary import Action, LinkClass, Reason

DEFAULT_INTERNAL_DOMAINS = frozenset({"spine-health.com", "arthritis-health.com", "veritashealth.com"})


@dataclass(frozen=True, slots=True)
class Policy:
    """A community's rules as data: the shipped defaults plus a guild's overrides."""

    new_member_hold: bool = True
    new_member_posts: int = 1
    link_actions: Mapping[LinkClass, Action] = field(default_factory=lambda: DEFAULT_LINK_ACTIONS)
    email_action: Action = DEFAULT_EMAIL_ACTION
    internal_domains: frozenset[str] = DEFAULT_INTERNAL_DOMAINS
    allowed_domains: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.new_member_posts < 0:
            raise ValueError("new_member_posts must be 0 or more")
        missing = set(LinkClass) - set(self.link_actions)
        if missing:
            names = ", ".join(sorted(missing))
            raise ValueError(f"link_actions has no action for: {names}")
        if not isinstance(self.link_actions, MappingProxyType):
            object.__setattr__(self, "link_actions", MappingProxyType(dict(self.link_actions)))

    # The one place that knows which field holds the action at each policy key (catalogue.ACTION_KEYS).
    @property
    def actions(self) -> dict[str, Action]:
        """The action at each policy key that sets one (catalogue.ACTION_KEYS), in the file's order."""
        actions = {LINK_KEYS[link_class]: self.link_actions[link_class] for link_class in LinkClass}
        actions[_EMAIL_KEY] = self.email_action
        return actions

    def with_actions(self, actions: Mapping[str, Action]) -> Policy:
        """This policy with the actions given (by policy key) changed; a key that sets no action is refused."""
        unknown = set(actions) - set(ACTION_KEYS)
        if unknown:
            raise ValueError(f"no action is set at: {', '.join(sorted(unknown))}")
        link_actions = {
            link_class: actions.get(LINK_KEYS[link_class], action) for link_class, action in self.link_actions.items()
        }
        return replace(self, link_actions=link_actions, email_action=actions.get(_EMAIL_KEY, self.email_action))


_EMAIL_KEY = RULES[Reason.EMAIL].policy_key


@dataclass(frozen=True, slots=True)
class AuthorFacts:
    """What the engine knows about the person who wrote a message."""

    user_id: int
    is_moderator: bool = False
    approved_posts: int = 0
    trusted: bool = False
    # Any non-medical outside site (a standing or counted grant for every domain).
    links_preapproved: bool = False
    # Registrable domains a moderator pre-approved for this member's links.
    preapproved_domains: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """The parts of a message the rules read."""

    text: str
    attachment_names: tuple[str, ...] = ()
    embed_urls: tuple[str, ...] = ()
    guild_id: int | None = None


# Verdicts and links are built for every screened message, so they are named tuples:
# as immutable as a frozen dataclass and several times cheaper to construct.
class Link(NamedTuple):
    """A link found in a message: as written (de-obfuscated), its host, domain and class."""

    url: str
    host: str
    domain: str
    link_class: LinkClass


class Verdict(NamedTuple):
    """The engine's answer: an action, every reason that applies, and what it found."""

    action: Action
    reasons: tuple[Reason, ...] = ()
    links: tuple[Link, ...] = ()
    emails: tuple[str, ...] = ()

    @property
    def domains(self) -> tuple[str, ...]:
        """The distinct registrable domains of the links, in order of appearance."""
        return tuple(dict.fromkeys(link.domain for link in self.links))
