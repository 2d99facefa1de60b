"""The policy engine: facts about a message and its author in, a verdict with reasons out."""

from __future__ import annotations

import re
from functools import cache

from bot.rules.catalogue import LINK_CLASS_REASON
from bot.rules.domains import DomainLists, matches_any, registrable_domain
from bot.rules.model import AuthorFacts, Link, MessageFacts, Policy, Verdict
from bot.rules.scan import LINK_HINT, FoundLink, find_links
from bot.rules.vocabulary import REASON_ORDER, Action, LinkClass, Reason

_link_hint = LINK_HINT.search
_INVITE_DOMAINS = frozenset({"discord.gg", "discord.com", "discordapp.com", "discord.me"})
_ALLOW = Verdict(Action.ALLOW)
_HOLD_NEW_MEMBER = Verdict(Action.HOLD, (Reason.NEW_MEMBER,))
_LISTED_CACHE_SIZE = 8192
# Host classes are cached per pair of (internal, allowed) domain sets; a bot serves a few
# policies, one per guild, so a handful of pairs is the steady state.
_POLICY_CACHE_SIZE = 64
# Links and verdicts are named tuples; building one through tuple.__new__ skips the named
# tuple's Python-level __new__ and costs about half as much.
_new_tuple = tuple.__new__
# Enum members, read once: on Python 3.11 each LinkClass.X costs a descriptor call.
_EXTERNAL = LinkClass.EXTERNAL
_ALLOW_ACTION = Action.ALLOW
_ACTIONS = (Action.ALLOW, Action.HOLD, Action.BLOCK)
_SEVERITY = {action: action.severity for action in Action}
# Reasons are gathered as bits and turned into their fixed order once, at the end.
_BITS = {reason: 1 << rank for rank, reason in enumerate(REASON_ORDER)}
_NEW_MEMBER_BIT = _BITS[Reason.NEW_MEMBER]
_EMAIL_BIT = _BITS[Reason.EMAIL]
_CLASS_BITS = {
    link_class: _BITS[reason] if reason is not None else 0 for link_class, reason in LINK_CLASS_REASON.items()
}


@cache
def _reasons(bits: int) -> tuple[Reason, ...]:
    return tuple(reason for reason in REASON_ORDER if bits & _BITS[reason])


class Engine:
    """Judges messages against a policy, using the shipped domain lists."""

    __slots__ = ("_host_classes", "_last_host_classes", "_listed", "_lists")

    def __init__(self, lists: DomainLists) -> None:
        self._lists = lists
        self._listed: dict[str, LinkClass | None] = {}
        self._host_classes: dict[tuple[frozenset[str], frozenset[str]], dict[str, tuple[str, LinkClass | None]]] = {}
        # The sets and cache used last: consecutive messages mostly share a policy, and two
        # identity tests are cheaper than hashing the pair. (The tuple holds the sets, so
        # their identities cannot be reused by other objects while it is here.)
        self._last_host_classes: tuple[object, object, dict[str, tuple[str, LinkClass | None]]] = (None, None, {})

    @property
    def lists(self) -> DomainLists:
        """The medical and shortener lists this engine was built with."""
        return self._lists

    def evaluate(self, author: AuthorFacts, message: MessageFacts, policy: Policy) -> Verdict:
        """Decide allow, hold or block for one message, with every reason that applies."""
        # Most messages are clean chat: answer those from the pre-check alone. This path runs
        # for nearly every message, so it reads as few attributes as it can, and the usual
        # author (past the new-member threshold) is settled by the first comparison.
        text_hint = _link_hint(message.text)
        if text_hint is None and not message.embed_urls:
            if (
                author.approved_posts < policy.new_member_posts
                and policy.new_member_hold
                and not author.is_moderator
                and not author.trusted
            ):
                return _HOLD_NEW_MEMBER
            return _ALLOW
        # Kept out of this method: its locals (and the cells its generator would need) make
        # every call's frame dearer, the clean path's too.
        return self._judge(author, message, policy, text_hint)

    def _judge(
        self, author: AuthorFacts, message: MessageFacts, policy: Policy, text_hint: re.Match[str] | None
    ) -> Verdict:
        """The verdict for a message the pre-check did not clear (its text's pre-check match given)."""
        new_member = (
            author.approved_posts < policy.new_member_posts
            and policy.new_member_hold
            and not author.is_moderator
            and not author.trusted
        )
        # The scan starts where the pre-check matched: the text before it is not read again.
        if text_hint is None:
            found, found_emails = find_links(message.text, message.embed_urls, text_precheck=False)
        else:
            found, found_emails = find_links(
                message.text, message.embed_urls, text_precheck=True, text_hint_at=text_hint.start()
            )
        if not found and not found_emails:
            return _HOLD_NEW_MEMBER if new_member else _ALLOW
        # Classify each link and gather its reason in the same pass (a moderator's verdict
        # lists the links but ignores the reasons).
        last_internal, last_allowed, host_classes = self._last_host_classes
        if policy.internal_domains is not last_internal or policy.allowed_domains is not last_allowed:
            host_classes = self._host_classes_for(policy)
        guild_id = message.guild_id
        actions = policy.link_actions
        preapproved = author.links_preapproved
        preapproved_domains = author.preapproved_domains
        severity = 1 if new_member else 0
        reasons = _NEW_MEMBER_BIT if new_member else 0
        links = []
        for url, (host, path) in found.items():
            known = host_classes.get(host)
            if known is None:
                if len(host_classes) >= _LISTED_CACHE_SIZE:
                    host_classes.clear()  # bounded: a long-running bot sees many hosts
                known = host_classes[host] = self._host_class(host, policy)
            domain, link_class = known
            if link_class is None:
                # A Discord domain: the path says whether it is an invite or a jump link.
                link_class = self._link_class(host, domain, path, policy, guild_id)
            links.append(_new_tuple(Link, (url, host, domain, link_class)))
            if link_class is _EXTERNAL and (preapproved or domain in preapproved_domains):
                continue
            link_action = actions[link_class]
            if link_action is not _ALLOW_ACTION:
                reasons |= _CLASS_BITS[link_class]
                link_severity = _SEVERITY[link_action]
                if link_severity > severity:  # noqa: PLR1730 (a max() call costs several times more)
                    severity = link_severity
        emails = tuple(found_emails) if found_emails else ()
        if author.is_moderator:
            return _new_tuple(Verdict, (_ALLOW_ACTION, (), tuple(links), emails))
        if emails:
            internal = policy.internal_domains
            emails = tuple(e for e in emails if not matches_any(e.rpartition("@")[2], internal))
            email_action = policy.email_action
            if emails and email_action is not _ALLOW_ACTION:
                reasons |= _EMAIL_BIT
                email_severity = _SEVERITY[email_action]
                if email_severity > severity:  # noqa: PLR1730 (a max() call costs several times more)
                    severity = email_severity
        return _new_tuple(Verdict, (_ACTIONS[severity], _reasons(reasons), tuple(links), emails))

    def _host_classes_for(self, policy: Policy) -> dict[str, tuple[str, LinkClass | None]]:
        """The cache of host -> (domain, class) for the policy's internal and allowed domains.

        A host's class depends on the host, the shipped lists and those two sets only (Discord
        domains aside, whose path decides), so it is worked out once per host and policy.
        """
        key = (policy.internal_domains, policy.allowed_domains)
        try:
            classes = self._host_classes.get(key)
        except TypeError:  # mutable sets in a hand-built Policy: nothing safe to key on
            return {}
        if classes is None:
            if len(self._host_classes) >= _POLICY_CACHE_SIZE:
                self._host_classes.clear()
            classes = self._host_classes[key] = {}
        self._last_host_classes = (*key, classes)
        return classes

    def _host_class(self, host: str, policy: Policy) -> tuple[str, LinkClass | None]:
        """A host's registrable domain and class; the class is None for Discord's domains."""
        domain = registrable_domain(host) or host
        if domain in _INVITE_DOMAINS:
            return domain, None
        return domain, self._link_class(host, domain, "", policy, None)

    def classify_host(self, host: str, path: str, policy: Policy, guild_id: int | None = None) -> Link:
        """The class of a link to this canonical host and path under the policy."""
        return self._classify(FoundLink(host + path, host, path), policy, guild_id)

    def _classify(self, found: FoundLink, policy: Policy, guild_id: int | None) -> Link:
        host = found.host
        domain = registrable_domain(host) or host
        return Link(found.url, host, domain, self._link_class(host, domain, found.path, policy, guild_id))

    def _link_class(self, host: str, domain: str, path: str, policy: Policy, guild_id: int | None) -> LinkClass:
        if matches_any(host, policy.internal_domains):
            return LinkClass.INTERNAL
        listed = self._listed_class(host)
        if listed is LinkClass.MEDICAL:
            return listed
        if domain in _INVITE_DOMAINS:
            lowered = path.lower()
            if domain in ("discord.gg", "discord.me") or lowered.startswith("/invite/"):
                return LinkClass.INVITE
            if guild_id is not None and lowered.startswith(f"/channels/{guild_id}/"):
                # A jump link to a message in this same server.
                return LinkClass.INTERNAL
        if matches_any(host, policy.allowed_domains):
            return LinkClass.ALLOWED
        return listed or LinkClass.EXTERNAL

    def _listed_class(self, host: str) -> LinkClass | None:
        """Medical or shortener, from the shipped lists (cached: they never change)."""
        listed = self._listed
        if host in listed:
            return listed[host]
        cached: LinkClass | None = None
        if matches_any(host, self._lists.medical):
            cached = LinkClass.MEDICAL
        elif matches_any(host, self._lists.shorteners):
            cached = LinkClass.SHORTENER
        if len(listed) >= _LISTED_CACHE_SIZE:
            listed.clear()
        listed[host] = cached
        return cached
