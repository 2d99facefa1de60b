"""bot/rules/domains.py: the one rule saying which domains may never be allowed or pre-approved."""

from __future__ import annotations

import pytest

from bot.policy import PolicyBundle
from bot.rules.domains import DISCORD_DOMAINS, Refusal, allow_refusal

OWN = frozenset({"spine-health.com"})


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("webmd.com", (Refusal.MEDICAL, "consumer")),
        ("bit.ly", (Refusal.SHORTENER, "")),
        ("discord.gg", (Refusal.DISCORD, "")),
        ("discordapp.com", (Refusal.DISCORD, "")),
        ("spine-health.com", (Refusal.INTERNAL, "")),
        ("backblog.net", None),
        ("spine-health.com.example.net", None),  # a lookalike is not the forum's own
    ],
)
def test_allow_refusal(shipped: PolicyBundle, domain: str, expected: tuple[Refusal, str] | None) -> None:
    assert allow_refusal(domain, shipped.lists, OWN) == expected


def test_a_medical_site_is_refused_as_medical_even_when_listed_as_the_forums_own(shipped: PolicyBundle) -> None:
    # Checked in order: the medical rule is the one no setting can lift.
    assert allow_refusal("webmd.com", shipped.lists, {"webmd.com"}) == (Refusal.MEDICAL, "consumer")


def test_discord_domains_are_registrable_domains() -> None:
    from bot.rules.domains import domain_argument

    assert {domain_argument(domain) for domain in DISCORD_DOMAINS} == DISCORD_DOMAINS
