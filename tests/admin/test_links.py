"""/links allow | disallow | list | check | preapprove, end to end in SimCord, and their effect on screening."""

from __future__ import annotations

import asyncio

import pytest

from bot.checks import NotModerator
from tests.admin.conftest import Server, open_command_to

NOT_MODERATOR = "Only moderators (the moderator role or Manage Messages) can use this command."
LINK = "My physio's blog has good exercises: https://backblog.net/exercises"


async def links(server: Server, actor_name: str, command: str, **options: object) -> str:
    """Run a /links command; its private reply."""
    result = await getattr(server, actor_name).slash(server.general, f"links {command}", **options)
    assert result.ephemeral
    return str(result.response.content)


# --- who may run what ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("allow", {"domain": "backblog.net"}),
        ("disallow", {"domain": "backblog.net"}),
        ("list", {}),
        ("check", {"url": "backblog.net"}),
        ("preapprove", {"member": "alice"}),
        ("revoke", {"member": "alice"}),
    ],
)
async def test_a_member_is_refused_every_links_command(
    server: Server, command: str, options: dict[str, object]
) -> None:
    await open_command_to(server, f"links {command}", server.alice)
    if options.get("member") == "alice":
        options = {"member": server.alice}
    assert await links(server, "alice", command, **options) == NOT_MODERATOR
    assert [type(error) for error in server.env.errors] == [NotModerator]
    assert await server.store.guilds.allowed_domains(server.guild.id) == frozenset()
    assert await server.store.members.preapprovals(server.guild.id, server.alice.id) == []


async def test_members_are_not_shown_the_group(server: Server) -> None:
    assert not [name for name in server.alice.available_commands(server.general) if name.startswith("links")]


# --- /links allow and disallow ---------------------------------------------------------------------


@pytest.mark.parametrize("actor_name", ["mod", "janitor", "admin"])
async def test_allow_then_a_members_link_passes_and_disallow_holds_it_again(server: Server, actor_name: str) -> None:
    assert not await server.posted(server.alice, LINK)
    reply = await links(server, actor_name, "allow", domain="BackBlog.net")
    assert reply == "Allowed backblog.net: everyone's links to it (and its subdomains) now pass."
    assert await server.posted(server.alice, LINK)
    assert await server.posted(server.alice, "and https://www.backblog.net/more")
    assert not await server.posted(server.newbie, LINK)  # a new member's first post still waits
    assert await links(server, actor_name, "allow", domain="backblog.net") == (
        "backblog.net is already allowed: everyone's links to it pass."
    )
    reply = await links(server, actor_name, "disallow", domain="backblog.net")
    assert reply == "Disallowed backblog.net: links to it are screened as outside links again."
    assert not await server.posted(server.alice, LINK)
    assert await links(server, actor_name, "disallow", domain="backblog.net") == (
        "backblog.net was not on the allowed list: nothing changed."
    )
    actions = [row["action"] for row in await server.store.decisions.audit_entries(server.guild.id)]
    assert actions.count("allow_domain") == 1
    assert actions.count("disallow_domain") == 1


BAD_DOMAINS = [
    (
        "https://backblog.net/x",
        "'https://backblog.net/x' is not a domain name: give the domain alone, such as example.org",
    ),
    ("www.backblog.net", "www.backblog.net is a subdomain; give its registrable domain backblog.net"),
    ("co.uk", "co.uk is a public suffix shared by many unrelated sites; give one site's domain, such as example.co.uk"),
    ("github.io", "github.io is a public suffix shared by many unrelated sites"),
    ("192.168.1.10", "'192.168.1.10' is an IP address, not a domain name"),
    ("intranet.local", "'intranet.local' does not end in a suffix under the Public Suffix List"),
    ("back_blog.net", "'back_blog.net' is not a valid domain name"),
    ("   ", "give a domain name, such as example.org"),
]
SPECIAL_DOMAINS = [
    ("webmd.com", "webmd.com is a medical web site (consumer): links to medical sites are not permitted"),
    ("bit.ly", "bit.ly is a link shortener: a shortened link hides where it goes"),
    ("discord.gg", "discord.gg is Discord's: invites have their own rule (/policy-admin set invite_links)."),
    ("spine-health.com", "spine-health.com is one of the forum's own sites: its links are always allowed."),
]


@pytest.mark.parametrize(("domain", "reason"), BAD_DOMAINS)
async def test_allow_and_disallow_refuse_what_is_not_a_registrable_domain(
    server: Server, domain: str, reason: str
) -> None:
    for command in ("allow", "disallow"):
        reply = await links(server, "mod", command, domain=domain)
        assert reply.startswith(f"Not a domain I can use: {reason}")
    assert await server.store.guilds.allowed_domains(server.guild.id) == frozenset()


@pytest.mark.parametrize(("domain", "reason"), SPECIAL_DOMAINS)
async def test_allow_refuses_medical_shortener_discord_and_internal_domains(
    server: Server, domain: str, reason: str
) -> None:
    assert (await links(server, "mod", "allow", domain=domain)).startswith(reason)
    assert await server.store.guilds.allowed_domains(server.guild.id) == frozenset()


# --- /links list and check -------------------------------------------------------------------------


async def test_list_shows_internal_and_allowed_domains(server: Server) -> None:
    assert (await links(server, "mod", "list")).splitlines() == [
        "**Internal** (always allowed): arthritis-health.com, spine-health.com, veritashealth.com",
        "**Allowed**: none yet (/links allow adds one).",
    ]
    await links(server, "mod", "allow", domain="backblog.net")
    await links(server, "mod", "allow", domain="stretchclub.org")
    assert (await links(server, "janitor", "list")).splitlines()[1:] == [
        "**Allowed** (2):",
        "• backblog.net",
        "• stretchclub.org",
    ]


async def test_check_gives_the_class_and_the_verdict(server: Server) -> None:
    reply = await links(server, "mod", "check", url="https://backblog.net/exercises")
    assert reply.splitlines() == [
        "https://backblog.net/exercises → backblog.net: external (every other outside site), action hold",
        "An established member's message with it would be **held: it waits for a moderator**.",
    ]
    reply = await links(server, "mod", "check", url="https://www.webmd.com/back-pain")
    assert "→ webmd.com: medical (consumer), action block" in reply
    assert "would be **blocked" in reply
    assert "→ bit.ly: shortener (shortened links), action hold" in await links(server, "mod", "check", url="bit.ly/x")
    await links(server, "mod", "allow", domain="backblog.net")
    reply = await links(server, "mod", "check", url="backblog.net/exercises")
    assert "backblog.net: allowed (domains allowed here), action allow" in reply
    assert "would be **allowed: published at once**" in reply


async def test_check_refuses_text_without_a_link(server: Server) -> None:
    reply = await links(server, "mod", "check", url="my physio's blog")
    assert reply == 'I found no link in "my physio\'s blog": give an address such as https://example.org/page.'


# --- /links preapprove -----------------------------------------------------------------------------


async def test_a_preapproval_with_one_use_lets_exactly_one_link_through(server: Server) -> None:
    reply = await links(server, "mod", "preapprove", member=server.alice, domain="backblog.net", uses=1)
    assert reply.splitlines() == [
        f"Pre-approved <@{server.alice.id}>'s links to backblog.net, for their next 1 message(s) with such links.",
        "Their pre-approvals now: backblog.net (1 message(s) left)",
    ]
    assert not await server.posted(server.alice, "and another site: example.org")  # other domains: not covered
    assert await server.posted(server.alice, LINK)
    assert not await server.posted(server.alice, LINK)  # spent
    [grant] = await server.store.members.preapprovals(server.guild.id, server.alice.id, spent=True)
    assert grant.uses_left == 0
    assert (await server.community.member(server.guild.id, server.alice.id)).preapprovals == ()


async def test_a_standing_any_domain_preapproval_never_covers_medical_sites(server: Server) -> None:
    reply = await links(server, "janitor", "preapprove", member=server.alice)
    assert "links to any non-medical outside site, until revoked" in reply
    for _ in range(3):
        assert await server.posted(server.alice, LINK)
    assert await server.posted(server.alice, "also example.org")
    assert not await server.posted(server.alice, "www.webmd.com/back-pain")
    assert not await server.posted(server.alice, "bit.ly/xyz")  # a shortener hides where it goes
    [grant] = await server.store.members.preapprovals(server.guild.id, server.alice.id)
    assert grant.uses_left is None


async def test_a_standing_grant_is_used_before_a_counted_one(server: Server) -> None:
    await links(server, "mod", "preapprove", member=server.alice, uses=2)
    await links(server, "mod", "preapprove", member=server.alice, domain="backblog.net")
    assert await server.posted(server.alice, LINK)
    assert await server.posted(server.alice, "also example.org")
    counted, standing = await server.store.members.preapprovals(server.guild.id, server.alice.id)
    assert (counted.uses_left, standing.uses_left) == (1, None)


async def test_a_preapproval_does_not_skip_the_new_member_review(server: Server) -> None:
    await links(server, "mod", "preapprove", member=server.newbie, domain="backblog.net", uses=1)
    assert not await server.posted(server.newbie, LINK)
    [grant] = await server.store.members.preapprovals(server.guild.id, server.newbie.id)
    assert grant.uses_left == 1  # a held message spends nothing


async def test_a_use_spent_by_another_message_first_means_this_one_is_held(server: Server) -> None:
    await links(server, "mod", "preapprove", member=server.alice, domain="backblog.net", uses=1)
    await server.community.member(server.guild.id, server.alice.id)  # cached with one use left
    [grant] = await server.store.members.preapprovals(server.guild.id, server.alice.id)
    # Another message spends the last use behind the cache's back.
    assert await server.store.members.spend_preapprovals([grant.id])
    assert not await server.posted(server.alice, LINK)
    assert (await server.community.member(server.guild.id, server.alice.id)).preapprovals == ()


async def test_two_messages_racing_for_the_last_use_spend_it_once(server: Server) -> None:
    grant = await server.store.members.add_preapproval(
        server.guild.id, server.alice.id, domain=None, uses=1, granted_by=None
    )
    results = await asyncio.gather(*(server.store.members.spend_preapprovals([grant.id]) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    [spent] = await server.store.members.preapprovals(server.guild.id, server.alice.id, spent=True)
    assert spent.uses_left == 0


@pytest.mark.parametrize(
    ("options", "reply"),
    [
        ({"uses": 0}, "`uses` must be between 1 and 1000 (leave it out for a standing pre-approval), not 0."),
        ({"uses": -3}, "`uses` must be between 1 and 1000 (leave it out for a standing pre-approval), not -3."),
        ({"uses": 5000}, "`uses` must be between 1 and 1000 (leave it out for a standing pre-approval), not 5000."),
        ({"domain": "www.backblog.net"}, "Not a domain I can use: www.backblog.net is a subdomain"),
        ({"domain": "co.uk"}, "Not a domain I can use: co.uk is a public suffix"),
        (
            {"domain": "webmd.com"},
            "webmd.com is a medical web site (consumer): links to medical sites are not permitted, "
            "so it cannot be pre-approved.",
        ),
        (
            {"domain": "pubmed.ncbi.nlm.nih.gov"},
            "Not a domain I can use: pubmed.ncbi.nlm.nih.gov is a subdomain; give its registrable domain nih.gov",
        ),
        ({"domain": "nih.gov"}, "nih.gov is a medical web site (government)"),
        ({"domain": "tinyurl.com"}, "tinyurl.com is a link shortener"),
        ({"domain": "arthritis-health.com"}, "arthritis-health.com is one of the forum's own sites"),
    ],
)
async def test_preapprove_refuses_bad_arguments(server: Server, options: dict[str, object], reply: str) -> None:
    assert (await links(server, "mod", "preapprove", member=server.alice, **options)).startswith(reply)
    assert await server.store.members.preapprovals(server.guild.id, server.alice.id, spent=True) == []


async def test_preapprove_refuses_moderators(server: Server) -> None:
    reply = await links(server, "admin", "preapprove", member=server.mod)
    assert reply == f"<@{server.mod.id}> is a moderator: moderators' links are never screened."
    assert await server.store.members.preapprovals(server.guild.id, server.mod.id, spent=True) == []


async def test_an_edit_adding_a_preapproved_link_spends_a_use(server: Server) -> None:
    await links(server, "mod", "preapprove", member=server.alice, domain="backblog.net", uses=1)
    message = await server.alice.send(server.general, "Has anyone got exercises for the neck?")
    await server.alice.edit(message, "Has anyone got exercises for the neck? I found backblog.net/neck")
    assert message.id in server.message_ids()
    assert server.cards() == []
    [grant] = await server.store.members.preapprovals(server.guild.id, server.alice.id, spent=True)
    assert grant.uses_left == 0
    assert not await server.posted(server.alice, LINK)


async def test_revoke_ends_one_domain_or_every_preapproval(server: Server) -> None:
    await links(server, "mod", "preapprove", member=server.alice, domain="backblog.net")
    await links(server, "mod", "preapprove", member=server.alice, domain="stretchclub.org", uses=5)
    assert await server.posted(server.alice, LINK)
    reply = await links(server, "mod", "revoke", member=server.alice, domain="backblog.net")
    assert reply.splitlines() == [
        f"Revoked 1 pre-approval(s) for backblog.net for <@{server.alice.id}>: their outside links are screened again.",
        "Their pre-approvals now: stretchclub.org (5 message(s) left)",
    ]
    assert not await server.posted(server.alice, LINK)
    assert await server.posted(server.alice, "stretchclub.org/neck")
    reply = await links(server, "janitor", "revoke", member=server.alice)
    assert reply.endswith("Their pre-approvals now: none")
    assert not await server.posted(server.alice, "stretchclub.org/neck")
    assert await links(server, "mod", "revoke", member=server.alice) == (
        f"<@{server.alice.id}> had no active pre-approval: nothing changed."
    )
    spent = await server.store.members.preapprovals(server.guild.id, server.alice.id, spent=True)
    assert [grant.uses_left for grant in spent] == [0, 0]  # kept for the record


async def test_revoke_refuses_a_bad_domain(server: Server) -> None:
    reply = await links(server, "mod", "revoke", member=server.alice, domain="https://backblog.net")
    assert reply.startswith("Not a domain I can use: 'https://backblog.net' is not a domain name")


async def test_two_messages_screened_at_once_on_the_last_use_let_exactly_one_through(server: Server) -> None:
    await links(server, "mod", "preapprove", member=server.alice, domain="backblog.net", uses=1)
    # Post both before the gate sees either, then screen them concurrently from the same cached record.
    await server.bot.remove_cog("Screening")
    first = await server.alice.send(server.general, LINK + " (1)")
    second = await server.alice.send(server.general, LINK + " (2)")
    await server.community.member(server.guild.id, server.alice.id)
    verdicts = await asyncio.gather(server.bot.gate.screen(first), server.bot.gate.screen(second))
    # Called outside an event, the holds' card is sent by the outbox worker, not within the event's settle.
    await server.bot.gate.outbox.idle()
    await server.env.settle()
    assert sorted(verdict.action.value for verdict in verdicts if verdict is not None) == ["allow", "hold"]
    assert len(server.message_ids()) == 1
    assert len(server.cards()) == 1
    [grant] = await server.store.members.preapprovals(server.guild.id, server.alice.id, spent=True)
    assert grant.uses_left == 0
