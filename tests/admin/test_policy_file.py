"""The policy file: export is canonical, an import is validated whole, and export-import-export is exact."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.admin.policy_file import export_text, read_import
from bot.admin.words import HOLDS_NOTHING_IMPORT, holds_nothing
from bot.models import LinkPreapproval, MemberRecord
from bot.policy import DATA_DIR, PolicyBundle, PolicyError, RaidSettings, load_policy_file, raid_settings
from bot.preapprovals import covered_domains, covers_any_domain, grants_to_spend
from bot.rules import Action, AuthorFacts, Engine, LinkClass, MessageFacts, Policy
from tests.admin.test_links import SPECIAL_DOMAINS

CHANNELS = (111, 222, 333)
DOMAINS = ("backblog.net", "stretchclub.org", "example.co.uk", "me.github.io", "xn--bcher-kva.de")

policies = st.builds(
    Policy,
    new_member_hold=st.booleans(),
    new_member_posts=st.integers(0, 1000),
    link_actions=st.fixed_dictionaries({link_class: st.sampled_from(Action) for link_class in LinkClass}).map(
        MappingProxyType
    ),
    email_action=st.sampled_from(Action),
    internal_domains=st.frozensets(st.sampled_from(DOMAINS), min_size=1),
    allowed_domains=st.frozensets(st.sampled_from(DOMAINS)),
).filter(
    # Both refused on import (see the tests below): a hold that holds nothing, an allowed domain of the forum's own.
    lambda policy: not holds_nothing(policy) and not policy.allowed_domains & policy.internal_domains
)
raids = st.builds(
    RaidSettings,
    new_members=st.integers(1, 10_000),
    window_seconds=st.integers(5, 86_400),
    bulk_delete=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(policy=policies, unscreened=st.frozensets(st.sampled_from(CHANNELS)), raid=raids)
def test_export_then_import_gives_the_same_policy_and_the_same_file(
    shipped: PolicyBundle, policy: Policy, unscreened: frozenset[int], raid: RaidSettings
) -> None:
    text = export_text(policy, unscreened, "Spine & Arthritis Community", raid=raid)
    imported = read_import(text.encode(), shipped, CHANNELS)
    assert imported.policy == policy
    assert imported.unscreened_channel_ids == unscreened
    assert imported.raid == raid
    assert (
        export_text(imported.policy, imported.unscreened_channel_ids, "Spine & Arthritis Community", raid=imported.raid)
        == text
    )


def test_an_export_whose_hold_holds_nothing_is_refused_on_import(shipped: PolicyBundle) -> None:
    # A server set that way before the refusal exports it; loading it back says how to turn the rule off.
    policy = Policy(new_member_hold=True, new_member_posts=0, internal_domains=frozenset({"spine-health.com"}))
    text = export_text(policy, (), "Spine & Arthritis Community", raid=RaidSettings())
    with pytest.raises(PolicyError) as caught:
        read_import(text.encode(), shipped, CHANNELS)
    assert list(caught.value.errors) == [HOLDS_NOTHING_IMPORT]
    unheld = read_import(text.replace("hold = true", "hold = false").encode(), shipped, CHANNELS)
    assert (unheld.policy.new_member_hold, unheld.policy.new_member_posts) == (False, 0)


@pytest.mark.parametrize(
    "guild_name", ['Spine "Club" \U0001f9b4 \u00fc', "Back\x7fPain", "Neck\x00\x1b Club", "A\u2028B"]
)
def test_an_export_imports_back_whatever_the_servers_name(shipped: PolicyBundle, guild_name: str) -> None:
    # The name goes in a TOML comment, where control characters are not allowed.
    text = export_text(shipped.policy, (111,), guild_name, raid=raid_settings(shipped.raw))
    assert read_import(text.encode(), shipped, (111,)).unscreened_channel_ids == {111}


def test_the_shipped_policy_imports_to_no_overrides(shipped: PolicyBundle) -> None:
    imported = read_import(export_text(shipped.policy, (), "x", raid=raid_settings(shipped.raw)).encode(), shipped, ())
    assert imported.overrides == {}
    assert imported.allowed_domains == frozenset()


def test_only_what_differs_from_the_shipped_policy_is_stored(shipped: PolicyBundle) -> None:
    data = b'[new_members]\napproved_posts_required = 2\n[links]\nallowed_domains = ["backblog.net"]\n'
    imported = read_import(data, shipped, ())
    assert imported.overrides == {"new_members": {"approved_posts_required": 2}}
    assert imported.allowed_domains == {"backblog.net"}


def test_only_the_raid_settings_that_differ_are_stored(shipped: PolicyBundle) -> None:
    imported = read_import(b"[raid]\nnew_members = 2\nbulk_delete = true\n", shipped, ())
    assert imported.overrides == {"raid": {"new_members": 2}}
    assert imported.raid == RaidSettings(new_members=2, window_seconds=60, bulk_delete=True)
    assert "[raid]\n" in export_text(shipped.policy, (), "x", raid=imported.raid)


@pytest.mark.parametrize(
    ("raid", "errors"),
    [
        (b"window_seconds = 2", ("raid.window_seconds must be between 5 and 86400 (a day), not 2",)),
        (
            b"new_members = 0\nbulk_delete = 'yes'\nsize = 3",
            (
                "unknown key raid.size",
                "raid.bulk_delete must be true or false, not 'yes'",
                "raid.new_members must be between 1 and 10000, not 0",
            ),
        ),
    ],
)
def test_bad_raid_settings_are_listed_with_their_keys(shipped: PolicyBundle, raid: bytes, errors: tuple[str]) -> None:
    with pytest.raises(PolicyError) as raised:
        read_import(b"[raid]\n" + raid + b"\n", shipped, ())
    assert raised.value.errors == errors


def test_errors_are_listed_one_by_one(shipped: PolicyBundle) -> None:
    with pytest.raises(PolicyError) as raised:
        read_import(b'[emails]\naction = 3\n[links.actions]\nmedical = "nope"\n', shipped, ())
    assert raised.value.errors == (
        "links.actions.medical must be one of allow, hold, block, not 'nope'",
        "emails.action must be one of allow, hold, block, not 3",
    )


@pytest.mark.parametrize(
    ("domain", "error"),
    [
        (
            "webmd.com",
            "links.allowed_domains: webmd.com is a medical web site: links to medical sites are not permitted",
        ),
        ("bit.ly", "links.allowed_domains: bit.ly is a link shortener: a shortened link hides where it goes"),
    ],
)
def test_an_import_refuses_allowed_domains_the_commands_refuse(shipped: PolicyBundle, domain: str, error: str) -> None:
    with pytest.raises(PolicyError) as raised:
        read_import(f'[links]\nallowed_domains = ["backblog.net", "{domain}"]\n'.encode(), shipped, ())
    assert raised.value.errors == (error,)


@pytest.mark.parametrize(("domain", "refusal"), SPECIAL_DOMAINS)
def test_an_import_refuses_every_domain_links_allow_refuses(shipped: PolicyBundle, domain: str, refusal: str) -> None:
    # One rule (bot/rules/domains.py): an import once let Discord's and the forum's own domains through.
    with pytest.raises(PolicyError) as raised:
        read_import(f'[links]\nallowed_domains = ["backblog.net", "{domain}"]\n'.encode(), shipped, ())
    [error] = raised.value.errors
    assert error.startswith(f"links.allowed_domains: {domain} is ")


def test_an_import_refuses_a_domain_it_also_makes_one_of_the_forums_own(shipped: PolicyBundle) -> None:
    data = b'[links]\ninternal_domains = ["backblog.net"]\nallowed_domains = ["backblog.net"]\n'
    with pytest.raises(PolicyError) as raised:
        read_import(data, shipped, ())
    assert raised.value.errors == (
        "links.allowed_domains: backblog.net is one of the forum's own sites (links.internal_domains): "
        "its links are always allowed",
    )


# --- which counted grant a message spends --------------------------------------------------------


def _grant(grant_id: int, domain: str | None, uses: int | None) -> LinkPreapproval:
    return LinkPreapproval(grant_id, 1, 2, domain, uses, None, datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("grants", "text", "spent"),
    [
        ((_grant(1, "backblog.net", 2),), "backblog.net", (1,)),
        ((_grant(1, "backblog.net", None),), "backblog.net", ()),  # standing: nothing to spend
        ((_grant(1, None, 1), _grant(2, "backblog.net", 1)), "backblog.net", (2,)),  # the narrowest first
        ((_grant(1, None, 1), _grant(2, "backblog.net", None)), "backblog.net example.org", (1,)),
        ((_grant(1, None, 3),), "backblog.net and example.org", (1,)),  # one use per message
        ((_grant(1, "backblog.net", 1), _grant(2, "example.org", 1)), "backblog.net example.org", (1, 2)),
        ((_grant(1, "backblog.net", 0), _grant(2, None, 1)), "backblog.net", (2,)),  # a spent grant is skipped
        ((_grant(1, None, 1),), "spine-health.com", ()),  # nothing outside
    ],
)
def test_grants_to_spend(
    engine: Engine, grants: tuple[LinkPreapproval, ...], text: str, spent: tuple[int, ...]
) -> None:
    record = MemberRecord(1, 2, approved_posts=5, preapprovals=grants)
    author = AuthorFacts(
        2, approved_posts=5, links_preapproved=covers_any_domain(record), preapproved_domains=covered_domains(record)
    )
    verdict = engine.evaluate(author, MessageFacts(text), Policy())
    assert verdict.action is Action.ALLOW
    assert grants_to_spend(record, verdict, Policy()) == spent


def test_nothing_is_spent_when_outside_links_are_allowed_anyway(engine: Engine) -> None:
    record = MemberRecord(1, 2, approved_posts=5, preapprovals=(_grant(1, None, 1),))
    policy = Policy(link_actions={**Policy().link_actions, LinkClass.EXTERNAL: Action.ALLOW})
    verdict = engine.evaluate(AuthorFacts(2, approved_posts=5, links_preapproved=True), MessageFacts("x.org"), policy)
    assert grants_to_spend(record, verdict, policy) == ()


def test_an_export_next_to_the_lists_loads_as_a_policy_file_for_backtests(
    shipped: PolicyBundle, tmp_path: Path
) -> None:
    for name in ("medical_domains.txt", "shorteners.txt"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    policy = Policy(new_member_posts=3, allowed_domains=frozenset({"backblog.net"}))
    path = tmp_path / "exported.toml"
    raid = RaidSettings(new_members=9, window_seconds=30, bulk_delete=False)
    path.write_text(export_text(policy, (111,), "Spine & Arthritis Community", raid=raid), encoding="utf-8")
    assert load_policy_file(path).policy == policy
    assert raid_settings(load_policy_file(path).raw) == raid
