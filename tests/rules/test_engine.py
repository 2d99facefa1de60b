"""Verdict tables: classes, actions, reasons and their combination."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from bot.rules import (
    DEFAULT_LINK_ACTIONS,
    Action,
    AuthorFacts,
    DomainLists,
    Engine,
    LinkClass,
    MessageFacts,
    Policy,
    Reason,
)

GUILD = 4242
ESTABLISHED = AuthorFacts(user_id=1, approved_posts=5)
NEWCOMER = AuthorFacts(user_id=2, approved_posts=0)
MODERATOR = AuthorFacts(user_id=3, is_moderator=True)
PREAPPROVED = AuthorFacts(user_id=4, approved_posts=5, links_preapproved=True)
TRUSTED_NEWCOMER = AuthorFacts(user_id=5, approved_posts=0, trusted=True)

H, B, A = Action.HOLD, Action.BLOCK, Action.ALLOW

# (text, [(registrable domain, class)])
CLASSES: list[tuple[str, list[tuple[str, LinkClass]]]] = [
    ("https://www.spine-health.com/forum/back-pain", [("spine-health.com", LinkClass.INTERNAL)]),
    ("arthritis-health.com/types", [("arthritis-health.com", LinkClass.INTERNAL)]),
    ("https://forum.veritashealth.com/x", [("veritashealth.com", LinkClass.INTERNAL)]),
    ("SPINE-HEALTH.COM", [("spine-health.com", LinkClass.INTERNAL)]),
    ("spine-health[.]com", [("spine-health.com", LinkClass.INTERNAL)]),
    ("spine-health.com.lookalike.net", [("lookalike.net", LinkClass.EXTERNAL)]),
    ("spine-health-forum.com", [("spine-health-forum.com", LinkClass.EXTERNAL)]),
    ("lookalike.net/spine-health.com", [("lookalike.net", LinkClass.EXTERNAL)]),
    ("https://spine-health.com@lookalike.net", [("lookalike.net", LinkClass.EXTERNAL)]),
    ("https://myspine-health.com", [("myspine-health.com", LinkClass.EXTERNAL)]),
    ("https://www.webmd.com/back-pain", [("webmd.com", LinkClass.MEDICAL)]),
    ("pubmed.ncbi.nlm.nih.gov/12345", [("nih.gov", LinkClass.MEDICAL)]),
    ("mayoclinic.org", [("mayoclinic.org", LinkClass.MEDICAL)]),
    ("webmd[.]com", [("webmd.com", LinkClass.MEDICAL)]),
    ("hxxps://webmd.com", [("webmd.com", LinkClass.MEDICAL)]),
    ("https://%77%65%62%6d%64.com/", [("webmd.com", LinkClass.MEDICAL)]),
    ("ｗｅｂｍｄ．ｃｏｍ", [("webmd.com", LinkClass.MEDICAL)]),
    ("https://www.nhs.uk/conditions/", [("www.nhs.uk", LinkClass.MEDICAL)]),
    ("deliciouscookies.com", [("deliciouscookies.com", LinkClass.EXTERNAL)]),
    ("notwebmd.com", [("notwebmd.com", LinkClass.EXTERNAL)]),
    ("webmd.com.evil.net", [("evil.net", LinkClass.EXTERNAL)]),
    ("bit.ly/abc", [("bit.ly", LinkClass.SHORTENER)]),
    ("https://tinyurl.com/xyz", [("tinyurl.com", LinkClass.SHORTENER)]),
    ("discord.gg/abc", [("discord.gg", LinkClass.INVITE)]),
    ("https://discord.com/invite/xyz", [("discord.com", LinkClass.INVITE)]),
    ("https://discordapp.com/invite/xyz", [("discordapp.com", LinkClass.INVITE)]),
    ("https://DISCORD.com/INVITE/xyz", [("discord.com", LinkClass.INVITE)]),
    (f"https://discord.com/channels/{GUILD}/1/2", [("discord.com", LinkClass.INTERNAL)]),
    ("https://discord.com/channels/999/1/2", [("discord.com", LinkClass.EXTERNAL)]),
    ("https://example.org/x", [("example.org", LinkClass.EXTERNAL)]),
    ("http://192.168.1.1/admin", [("192.168.1.1", LinkClass.EXTERNAL)]),
    ("myblog.blogspot.com", [("myblog.blogspot.com", LinkClass.EXTERNAL)]),
    (
        "see spine-health.com and webmd.com and bit.ly/x",
        [
            ("spine-health.com", LinkClass.INTERNAL),
            ("webmd.com", LinkClass.MEDICAL),
            ("bit.ly", LinkClass.SHORTENER),
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), CLASSES)
def test_classifies_links_by_registrable_domain(
    engine: Engine, text: str, expected: list[tuple[str, LinkClass]]
) -> None:
    verdict = engine.evaluate(ESTABLISHED, MessageFacts(text, guild_id=GUILD), Policy())
    assert [(link.domain, link.link_class) for link in verdict.links] == expected


# (author, text, action, reasons) under the default policy.
VERDICTS: list[tuple[AuthorFacts, str, Action, tuple[Reason, ...]]] = [
    (ESTABLISHED, "Had my L4/5 fusion 6 weeks ago.", A, ()),
    (NEWCOMER, "Hello everyone, first post here.", H, (Reason.NEW_MEMBER,)),
    (TRUSTED_NEWCOMER, "Hello everyone, first post here.", A, ()),
    (ESTABLISHED, "see spine-health.com/forum", A, ()),
    (NEWCOMER, "see spine-health.com/forum", H, (Reason.NEW_MEMBER,)),
    (ESTABLISHED, "my blog: example.org/post", H, (Reason.EXTERNAL_LINK,)),
    (ESTABLISHED, "read webmd.com", B, (Reason.MEDICAL_SITE,)),
    (ESTABLISHED, "bit.ly/x", H, (Reason.SHORTENED_LINK,)),
    (ESTABLISHED, "join discord.gg/abc", H, (Reason.INVITE,)),
    (ESTABLISHED, "mail me jane@gmail.com", H, (Reason.EMAIL,)),
    (ESTABLISHED, "jane at gmail dot com", H, (Reason.EMAIL,)),
    # the forum's own support address is not a member's address
    (ESTABLISHED, "contact support@spine-health.com for account issues", A, ()),
    (ESTABLISHED, "support@spine-health.com or jane@gmail.com", H, (Reason.EMAIL,)),
    (
        NEWCOMER,
        "webmd.com and example.org and bit.ly/x and discord.gg/y and jane@gmail.com",
        B,
        (
            Reason.NEW_MEMBER,
            Reason.EXTERNAL_LINK,
            Reason.MEDICAL_SITE,
            Reason.SHORTENED_LINK,
            Reason.INVITE,
            Reason.EMAIL,
        ),
    ),
    (ESTABLISHED, "jane@gmail.com then webmd.com", B, (Reason.MEDICAL_SITE, Reason.EMAIL)),
    (ESTABLISHED, "example.org and example.net", H, (Reason.EXTERNAL_LINK,)),
    # pre-approved links: external passes, medical, shorteners and invites do not
    (PREAPPROVED, "my blog: example.org/post", A, ()),
    (PREAPPROVED, "read webmd.com", B, (Reason.MEDICAL_SITE,)),
    (PREAPPROVED, "bit.ly/x", H, (Reason.SHORTENED_LINK,)),
    (PREAPPROVED, "discord.gg/x", H, (Reason.INVITE,)),
    (PREAPPROVED, "jane@gmail.com", H, (Reason.EMAIL,)),
    # moderators are exempt from everything
    (MODERATOR, "webmd.com example.org bit.ly/x jane@gmail.com", A, ()),
    # a word and " at " before an obfuscated medical site is prose, not an address: the link is blocked
    (ESTABLISHED, "Here is my story at mayoclinic[.]org/x", B, (Reason.MEDICAL_SITE,)),
    (ESTABLISHED, "Look at webmd[.]com/back-pain", B, (Reason.MEDICAL_SITE,)),
    (ESTABLISHED, "Look at webmd[.]com", B, (Reason.MEDICAL_SITE,)),
    (ESTABLISHED, "my story at mayoclinic dot org/x", B, (Reason.MEDICAL_SITE,)),
    (ESTABLISHED, "read it at www.mayoclinic[.]org", B, (Reason.MEDICAL_SITE,)),
    (ESTABLISHED, "my story [at] mayoclinic[.]org/x", B, (Reason.MEDICAL_SITE,)),
    (ESTABLISHED, "story@mayoclinic.org/x", B, (Reason.MEDICAL_SITE,)),
    # a text can be both an address and a link: the medical block wins
    (ESTABLISHED, "info at webmd[.]com", B, (Reason.MEDICAL_SITE, Reason.EMAIL)),
    # real obfuscated addresses are still addresses
    (ESTABLISHED, "jane [at] gmail [dot] com", H, (Reason.EMAIL,)),
    (ESTABLISHED, "jane.doe at mayoclinic.org", H, (Reason.EMAIL,)),
]


@pytest.mark.parametrize(("author", "text", "action", "reasons"), VERDICTS)
def test_verdicts_under_the_default_policy(
    engine: Engine, author: AuthorFacts, text: str, action: Action, reasons: tuple[Reason, ...]
) -> None:
    verdict = engine.evaluate(author, MessageFacts(text), Policy())
    assert verdict.action is action
    assert verdict.reasons == reasons


def test_moderator_verdict_still_lists_what_was_found(engine: Engine) -> None:
    verdict = engine.evaluate(MODERATOR, MessageFacts("webmd.com and jane@gmail.com"), Policy())
    assert [link.domain for link in verdict.links] == ["webmd.com"]
    assert verdict.emails == ("jane@gmail.com",)


@pytest.mark.parametrize(
    ("approved", "required", "hold", "expected"),
    [
        (0, 1, True, H),
        (1, 1, True, A),
        (1, 2, True, H),
        (2, 2, True, A),
        (0, 0, True, A),
        (0, 1, False, A),
        (0, 5, False, A),
    ],
)
def test_new_member_count(engine: Engine, approved: int, required: int, hold: bool, expected: Action) -> None:
    policy = Policy(new_member_hold=hold, new_member_posts=required)
    verdict = engine.evaluate(AuthorFacts(user_id=9, approved_posts=approved), MessageFacts("hi all"), policy)
    assert verdict.action is expected
    assert (Reason.NEW_MEMBER in verdict.reasons) is (expected is H)


def _actions(**changes: Action) -> MappingProxyType[LinkClass, Action]:
    actions = dict(DEFAULT_LINK_ACTIONS)
    actions.update({LinkClass(name): action for name, action in changes.items()})
    return MappingProxyType(actions)


@pytest.mark.parametrize(
    ("policy", "text", "action", "reasons"),
    [
        (Policy(link_actions=_actions(external=A)), "example.org", A, ()),
        (Policy(link_actions=_actions(external=B)), "example.org", B, (Reason.EXTERNAL_LINK,)),
        (Policy(link_actions=_actions(medical=H)), "webmd.com", H, (Reason.MEDICAL_SITE,)),
        (Policy(link_actions=_actions(shortener=B)), "bit.ly/x", B, (Reason.SHORTENED_LINK,)),
        (Policy(link_actions=_actions(invite=A)), "discord.gg/x", A, ()),
        (Policy(email_action=A), "jane@gmail.com", A, ()),
        (Policy(email_action=B), "jane@gmail.com", B, (Reason.EMAIL,)),
        (Policy(allowed_domains=frozenset({"example.org"})), "https://blog.example.org/x", A, ()),
        (Policy(allowed_domains=frozenset({"example.org"})), "example.org.evil.net", H, (Reason.EXTERNAL_LINK,)),
        # a medical site stays medical even if someone put it on the allowed list
        (Policy(allowed_domains=frozenset({"webmd.com"})), "webmd.com", B, (Reason.MEDICAL_SITE,)),
        (Policy(internal_domains=frozenset({"example.org"})), "spine-health.com", H, (Reason.EXTERNAL_LINK,)),
        (Policy(internal_domains=frozenset({"example.org"})), "www.example.org", A, ()),
    ],
)
def test_policy_changes_the_verdict(
    engine: Engine, policy: Policy, text: str, action: Action, reasons: tuple[Reason, ...]
) -> None:
    verdict = engine.evaluate(ESTABLISHED, MessageFacts(text), policy)
    assert verdict.action is action
    assert verdict.reasons == reasons


def test_allowed_domain_link_is_classed_allowed(engine: Engine) -> None:
    policy = Policy(allowed_domains=frozenset({"example.org"}))
    verdict = engine.evaluate(ESTABLISHED, MessageFacts("example.org"), policy)
    assert [link.link_class for link in verdict.links] == [LinkClass.ALLOWED]


def test_links_in_embeds_are_judged(engine: Engine) -> None:
    message = MessageFacts("look at this", embed_urls=("https://www.webmd.com/a",))
    verdict = engine.evaluate(ESTABLISHED, message, Policy())
    assert verdict.action is B
    assert verdict.domains == ("webmd.com",)


def test_medical_kind_is_known(engine: Engine) -> None:
    assert engine.lists.medical_kind("pubmed.ncbi.nlm.nih.gov") == "government"
    assert engine.lists.medical_kind("example.org") is None


def test_small_lists_work_without_shipped_data() -> None:
    lists = DomainLists.from_text("# header\nexample-med.org consumer\n", "shrt.io\n")
    verdict = Engine(lists).evaluate(ESTABLISHED, MessageFacts("example-med.org and shrt.io/x"), Policy())
    assert [link.link_class for link in verdict.links] == [LinkClass.MEDICAL, LinkClass.SHORTENER]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"new_member_posts": -1}, "new_member_posts"),
        ({"link_actions": {LinkClass.EXTERNAL: Action.HOLD}}, "no action for"),
    ],
)
def test_invalid_policy_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Policy(**kwargs)  # type: ignore[arg-type]


def test_policy_is_immutable() -> None:
    policy = Policy()
    with pytest.raises(TypeError):
        policy.link_actions[LinkClass.MEDICAL] = Action.ALLOW  # type: ignore[index]


# --- pre-approved domains (a moderator's grant for one member) ---------------------------------

BLOG_ONLY = AuthorFacts(user_id=6, approved_posts=5, preapproved_domains=frozenset({"backblog.net"}))
BLOG_NEWCOMER = AuthorFacts(user_id=7, approved_posts=0, preapproved_domains=frozenset({"backblog.net"}))


@pytest.mark.parametrize(
    ("author", "text", "action", "reasons"),
    [
        (BLOG_ONLY, "https://backblog.net/exercises", A, ()),
        (BLOG_ONLY, "https://www.backblog.net/x", A, ()),  # any host under the registrable domain
        (BLOG_ONLY, "example.org", H, (Reason.EXTERNAL_LINK,)),  # another domain is not covered
        (BLOG_ONLY, "backblog.net and example.org", H, (Reason.EXTERNAL_LINK,)),
        (BLOG_ONLY, "backblog.net.evil.org", H, (Reason.EXTERNAL_LINK,)),  # a lookalike is not the domain
        (BLOG_ONLY, "backblog.net jane@gmail.com", H, (Reason.EMAIL,)),  # links only, not addresses
        (BLOG_NEWCOMER, "backblog.net", H, (Reason.NEW_MEMBER,)),  # the new-member rule still applies
        (
            AuthorFacts(user_id=8, approved_posts=5, preapproved_domains=frozenset({"webmd.com"})),
            "webmd.com",
            B,
            (Reason.MEDICAL_SITE,),
        ),  # never a medical site
        (
            AuthorFacts(user_id=8, approved_posts=5, preapproved_domains=frozenset({"bit.ly"})),
            "bit.ly/x",
            H,
            (Reason.SHORTENED_LINK,),
        ),  # a shortener hides where it goes
        (PREAPPROVED, "webmd.com", B, (Reason.MEDICAL_SITE,)),  # any-domain grants never cover medical sites
        (PREAPPROVED, "example.org backblog.net", A, ()),
    ],
)
def test_preapproved_domains(
    engine: Engine, author: AuthorFacts, text: str, action: Action, reasons: tuple[Reason, ...]
) -> None:
    verdict = engine.evaluate(author, MessageFacts(text), Policy())
    assert verdict.action is action
    assert verdict.reasons == reasons
