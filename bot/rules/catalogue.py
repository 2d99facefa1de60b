"""The rule catalogue (pure): one entry per reason, with its policy key, its default action and its wordings.

The engine decides *whether* a reason applies; this says everything else about it, once: where the policy file
sets its action (`ACTION_KEYS`: read by `bot/policy.py`, written and diffed by `bot/admin/policy_file.py`, applied
by `/policy-admin set`, shown by `bot/admin/words.py`), what that action is by default (read by
`bot/rules/model.py` for `Policy()`, checked against `data/policy.toml` by the tests), and how it is worded on a
moderator's card, in the author's DM and in `/queue` (read by `bot/gate/words.py` and `bot/queue/words.py`).

A wording may name the sites involved with `{sites}`: the distinct domains of the links of the entry's link class,
or "an outside site" when there are none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.rules.vocabulary import Action, LinkClass, Reason


@dataclass(frozen=True, slots=True)
class Rule:
    """One reason a message is held or blocked, as every part of the bot but the engine needs it."""

    reason: Reason
    # Where the policy file sets it: "links.actions.<class>", "emails.action", or "new_members.hold" (on or off).
    policy_key: str
    default_action: Action
    card: str  # a line of the moderator card's "Why" field
    dm: str  # a line of the author's DM
    queue: str  # the reason's name in /queue list and /queue stats
    setting: str  # what /policy show and the "rules this turns off" list call what it reviews
    link_class: LinkClass | None = None  # the link class that raises it, whose domains {sites} names
    # Its policy key is on/off (on: default_action), not an action: the loader and exports leave it to its section.
    switch: bool = False


CATALOGUE: tuple[Rule, ...] = (
    Rule(
        Reason.NEW_MEMBER,
        "new_members.hold",
        Action.HOLD,
        card="First post from a new member",
        dm="Welcome! A new member's first post is read by a moderator before everyone sees it.",
        queue="new member's first post",
        setting="new members' first posts",
        switch=True,
    ),
    Rule(
        Reason.EXTERNAL_LINK,
        "links.actions.external",
        Action.HOLD,
        card="Link to {sites}",
        dm="Links to outside sites ({sites}) need a moderator's approval first.",
        queue="outside link",
        setting="every other outside site",
        link_class=LinkClass.EXTERNAL,
    ),
    Rule(
        Reason.MEDICAL_SITE,
        "links.actions.medical",
        Action.BLOCK,
        card="Medical site: {sites} — not permitted",
        dm="Links to medical web sites ({sites}) are not permitted here, so this message was removed.",
        queue="medical site",
        setting="medical web sites",
        link_class=LinkClass.MEDICAL,
    ),
    Rule(
        Reason.SHORTENED_LINK,
        "links.actions.shortener",
        Action.HOLD,
        card="Shortened link (hides where it goes): {sites}",
        dm="Shortened links hide where they go, so a moderator checks them first.",
        queue="shortened link",
        setting="shortened links",
        link_class=LinkClass.SHORTENER,
    ),
    Rule(
        Reason.INVITE,
        "links.actions.invite",
        Action.HOLD,
        card="Invite to another Discord server",
        dm="Invites to other Discord servers need a moderator's approval first.",
        queue="server invite",
        setting="invites to other Discord servers",
        link_class=LinkClass.INVITE,
    ),
    Rule(
        Reason.EMAIL,
        "emails.action",
        Action.HOLD,
        card="Email address",
        dm="Please keep your email address to yourself: anyone can read it here.",
        queue="email address",
        setting="email addresses",
    ),
)

RULES: Mapping[Reason, Rule] = MappingProxyType({rule.reason: rule for rule in CATALOGUE})

# Link classes that are no rule: links to them always pass unless a policy says otherwise.
_UNRULED_LINK_DEFAULTS = {LinkClass.INTERNAL: Action.ALLOW, LinkClass.ALLOWED: Action.ALLOW}

# The reason a link class raises when its action is not "allow" (None: a class no rule is about).
LINK_CLASS_REASON: Mapping[LinkClass, Reason | None] = MappingProxyType(
    {
        link_class: next((rule.reason for rule in CATALOGUE if rule.link_class is link_class), None)
        for link_class in LinkClass
    }
)

DEFAULT_LINK_ACTIONS: Mapping[LinkClass, Action] = MappingProxyType(
    {
        link_class: _UNRULED_LINK_DEFAULTS.get(link_class)
        or next(rule.default_action for rule in CATALOGUE if rule.link_class is link_class)
        for link_class in LinkClass
    }
)

DEFAULT_EMAIL_ACTION = RULES[Reason.EMAIL].default_action

# Where the policy file sets each link class's action: its rule's key, or links.actions.<class> for the two no
# rule is about.
LINK_KEYS: Mapping[LinkClass, str] = MappingProxyType(
    {
        link_class: next(
            (rule.policy_key for rule in CATALOGUE if rule.link_class is link_class),
            f"links.actions.{link_class.value}",
        )
        for link_class in LinkClass
    }
)

# Every dotted key of the policy file that sets an action, with its default, in the file's order (the link classes',
# then each other rule's): the loader reads, the export writes and /policy-admin set applies exactly these.
ACTION_KEYS: Mapping[str, Action] = MappingProxyType(
    {
        **{LINK_KEYS[link_class]: DEFAULT_LINK_ACTIONS[link_class] for link_class in LinkClass},
        **{rule.policy_key: rule.default_action for rule in CATALOGUE if rule.link_class is None and not rule.switch},
    }
)


def sites(domains: list[str] | None) -> str:
    """The domains a wording names, or "an outside site"."""
    return ", ".join(domains) if domains else "an outside site"


def worded(template: str, domains: list[str] | None) -> str:
    """A catalogue wording with its {sites} filled in."""
    return template.replace("{sites}", sites(domains)) if "{sites}" in template else template
