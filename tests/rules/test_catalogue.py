"""bot/rules/catalogue.py: one entry per reason, the defaults every loader uses, and the wordings as they were."""

from __future__ import annotations

import tomllib

import pytest

from bot.admin import words as admin_words
from bot.gate import words as gate_words
from bot.models import StoredLink
from bot.policy import DATA_DIR, PolicyBundle, parse_policy
from bot.queue import words as queue_words
from bot.rules import Action, LinkClass, Policy, Reason
from bot.rules.catalogue import CATALOGUE, DEFAULT_LINK_ACTIONS, LINK_CLASS_REASON, RULES
from bot.rules.vocabulary import REASON_ORDER


def test_one_entry_per_reason_in_the_reasons_order() -> None:
    assert tuple(rule.reason for rule in CATALOGUE) == REASON_ORDER
    assert set(RULES) == set(Reason)


def test_each_link_rule_has_its_own_class_and_the_classes_without_a_rule_are_allowed() -> None:
    classes = [rule.link_class for rule in CATALOGUE if rule.link_class is not None]
    assert len(classes) == len(set(classes))
    for rule in CATALOGUE:
        if rule.link_class is not None:
            assert LINK_CLASS_REASON[rule.link_class] is rule.reason
            assert rule.policy_key == f"links.actions.{rule.link_class.value}"
    assert {c for c in LinkClass if LINK_CLASS_REASON[c] is None} == {LinkClass.INTERNAL, LinkClass.ALLOWED}
    assert DEFAULT_LINK_ACTIONS[LinkClass.INTERNAL] is DEFAULT_LINK_ACTIONS[LinkClass.ALLOWED] is Action.ALLOW


def _at(document: dict[str, object], key: str) -> object:
    value: object = document
    for part in key.split("."):
        assert isinstance(value, dict), key
        value = value[part]
    return value


def test_the_shipped_policy_file_states_the_catalogues_defaults() -> None:
    # data/policy.toml is the document admins read: it must say what the loader assumes for a key left out.
    shipped = tomllib.loads((DATA_DIR / "policy.toml").read_text())
    for rule in CATALOGUE:
        stated = _at(shipped, rule.policy_key)
        if rule.reason is Reason.NEW_MEMBER:
            assert stated is (rule.default_action is not Action.ALLOW)
        else:
            assert stated == rule.default_action.value, rule.policy_key


def test_a_document_that_leaves_every_action_out_takes_the_catalogues_defaults(shipped: PolicyBundle) -> None:
    policy, _ = parse_policy({})
    assert policy.link_actions == DEFAULT_LINK_ACTIONS
    assert policy.email_action is RULES[Reason.EMAIL].default_action
    assert policy.new_member_hold
    assert Policy().email_action is RULES[Reason.EMAIL].default_action
    assert Policy().link_actions == DEFAULT_LINK_ACTIONS


# The wordings before the catalogue (issue #12): byte for byte.
LINKS = (
    StoredLink("https://a.example/x", "a.example", LinkClass.EXTERNAL),
    StoredLink("https://a.example/y", "a.example", LinkClass.EXTERNAL),
    StoredLink("https://b.example", "b.example", LinkClass.EXTERNAL),
    StoredLink("https://webmd.com", "webmd.com", LinkClass.MEDICAL),
    StoredLink("https://bit.ly/1", "bit.ly", LinkClass.SHORTENER),
)
CARD = [
    "First post from a new member",
    "Link to a.example, b.example",
    "Medical site: webmd.com — not permitted",
    "Shortened link (hides where it goes): bit.ly",
    "Invite to another Discord server",
    "Email address",
]
DM = [
    "Welcome! A new member's first post is read by a moderator before everyone sees it.",
    "Links to outside sites (a.example, b.example) need a moderator's approval first.",
    "Links to medical web sites (webmd.com) are not permitted here, so this message was removed.",
    "Shortened links hide where they go, so a moderator checks them first.",
    "Invites to other Discord servers need a moderator's approval first.",
    "Please keep your email address to yourself: anyone can read it here.",
]
QUEUE = ["new member's first post", "outside link", "medical site", "shortened link", "server invite", "email address"]


def test_the_wordings_are_as_they_were() -> None:
    assert gate_words.reason_lines(REASON_ORDER, LINKS) == CARD
    assert gate_words.member_reason_lines(REASON_ORDER, LINKS) == DM
    assert [queue_words.REASON_NAMES[reason.value] for reason in REASON_ORDER] == QUEUE


@pytest.mark.parametrize("reason", [Reason.EXTERNAL_LINK, Reason.MEDICAL_SITE, Reason.SHORTENED_LINK])
def test_a_link_reason_without_its_links_names_an_outside_site(reason: Reason) -> None:
    [line] = gate_words.reason_lines([reason], [])
    assert "an outside site" in line


def test_the_admin_words_are_as_they_were() -> None:
    assert admin_words.CLASS_WORDS == {
        LinkClass.INTERNAL: "the forum's own sites",
        LinkClass.ALLOWED: "domains allowed here",
        LinkClass.MEDICAL: "medical web sites",
        LinkClass.SHORTENER: "shortened links",
        LinkClass.INVITE: "invites to other Discord servers",
        LinkClass.EXTERNAL: "every other outside site",
    }
    assert list(admin_words.CLASS_WORDS) == list(LinkClass)
    off = Policy(email_action=Action.ALLOW)
    assert "the review of email addresses: they are published at once" in admin_words.rules_turned_off(
        Policy(), off, (), ()
    )
