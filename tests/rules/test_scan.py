"""Tables for link and email detection: every form a reader could follow, and the chat that is not a link."""

from __future__ import annotations

import pytest

from bot.rules import scan
from bot.rules.scan import may_contain_link

# (text, expected hosts in order)
LINKS: list[tuple[str, list[str]]] = [
    # scheme URLs, any case
    ("check out https://example.com/page?x=1.", ["example.com"]),
    ("HTTP://EXAMPLE.NET", ["example.net"]),
    ("Http://Mixed.Example.org/Path", ["mixed.example.org"]),
    ("ftp://files.example.com/pub/x.pdf", ["files.example.com"]),
    ("http://example.com:8080/x", ["example.com"]),
    ("see (https://en.wikipedia.org/wiki/Spine_(anatomy)) for more", ["en.wikipedia.org"]),
    ("**https://bold.example.com**", ["bold.example.com"]),
    ("||https://spoiler.example.com||", ["spoiler.example.com"]),
    ("link:https://colon.example.com", ["colon.example.com"]),
    ("http:/one-slash.example.com", ["one-slash.example.com"]),
    ("https:\\\\backslash.example.com\\x", ["backslash.example.com"]),
    ("http://intranet/wiki", ["intranet"]),
    ("http://192.168.1.1/admin", ["192.168.1.1"]),
    ("http://[2001:db8::1]/x", ["[2001:db8::1]"]),
    ("192.168.1.1/admin", ["192.168.1.1"]),
    ("10.0.0.1:8080", ["10.0.0.1"]),
    # www and bare domains
    ("www.example.co.uk", ["www.example.co.uk"]),
    ("WWW.EXAMPLE.COM is shouting", ["www.example.com"]),
    ("visit example.org/page?x=1 today", ["example.org"]),
    ("example.org", ["example.org"]),
    ("I read it on healthblog.net yesterday", ["healthblog.net"]),
    ("go to example.com.", ["example.com"]),
    ("(example.com)", ["example.com"]),
    ('"example.com"', ["example.com"]),
    ("example.com,webmd.com", ["example.com", "webmd.com"]),
    ("sub.domain.example.com/a/b", ["sub.domain.example.com"]),
    ("x.com and t.co/abc", ["x.com", "t.co"]),
    ("nhs.uk/conditions/back-pain", ["nhs.uk"]),
    ("myblog.blogspot.com", ["myblog.blogspot.com"]),
    ("cheap-pills.my/buy", ["cheap-pills.my"]),
    ("www.pills24.it", ["www.pills24.it"]),
    ("WEBMD.COM", ["webmd.com"]),
    ("CHEAP-PILLS.NET", ["cheap-pills.net"]),
    ("CHEAP-PILLS.PT/buy", ["cheap-pills.pt"]),
    ("example.com/Path.It", ["example.com"]),
    ("shop.example.it", ["shop.example.it"]),
    ("Webmd.Com", ["webmd.com"]),
    ("buy at pharmacy.today/deal", ["pharmacy.today"]),
    # markdown and angle brackets
    ("[my blog](https://myblog.net/post)", ["myblog.net"]),
    ("see [spine-health.com](https://elsewhere.net/x).", ["elsewhere.net", "spine-health.com"]),
    ("<https://angle.example.org>", ["angle.example.org"]),
    ("<https://angle.example.org/path?q=1>", ["angle.example.org"]),
    # obfuscations
    ("hxxps://evil.net/x", ["evil.net"]),
    ("hxxp://evil.net", ["evil.net"]),
    ("HXXPS://EVIL.NET", ["evil.net"]),
    ("hxxps[:]//evil.net", ["evil.net"]),
    ("example[.]com", ["example.com"]),
    ("example(.)com", ["example.com"]),
    ("example{.}com", ["example.com"]),
    ("example [.] com", ["example.com"]),
    ("example [dot] com", ["example.com"]),
    ("example(dot)com", ["example.com"]),
    ("example dot com", ["example.com"]),
    ("example DOT com", ["example.com"]),
    ("example dot co dot uk", ["example.co.uk"]),
    ("example . com", ["example.com"]),
    ("example .com", ["example.com"]),
    ("ｅｘａｍｐｌｅ．ｃｏｍ", ["example.com"]),
    ("ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ", ["example.com"]),
    ("example。com", ["example.com"]),
    ("exa\u200bmple.com", ["example.com"]),
    ("example\u200b.com", ["example.com"]),
    ("ex\u00adample.com", ["example.com"]),
    ("exam\u2060ple.com", ["example.com"]),
    ("https://%77%65%62%6d%64.com/", ["webmd.com"]),
    ("https://webmd%2Ecom/x", ["webmd.com"]),
    ("https://пример.рф/", ["xn--e1afmkfd.xn--p1ai"]),
    ("пример.рф", ["xn--e1afmkfd.xn--p1ai"]),
    ("xn--e1afmkfd.xn--p1ai", ["xn--e1afmkfd.xn--p1ai"]),
    ("https://bücher.de/x", ["xn--bcher-kva.de"]),
    ("https://wеbmd.com", ["xn--wbmd-v4d.com"]),  # Cyrillic е: a lookalike, not webmd.com
    # userinfo and backslash tricks go where the browser goes
    ("https://spine-health.com@lookalike.net", ["lookalike.net"]),
    ("https://spine-health.com:secret@lookalike.net/x", ["lookalike.net"]),
    ("https://user@spine-health.com.lookalike.net", ["spine-health.com.lookalike.net"]),
    ("https://lookalike.net\\@spine-health.com", ["lookalike.net"]),
    ("spine-health.com.lookalike.net", ["spine-health.com.lookalike.net"]),
    ("spine-health-forum.com", ["spine-health-forum.com"]),
    ("lookalike.net/spine-health.com", ["lookalike.net"]),
    # Discord links
    ("discord.gg/abc123", ["discord.gg"]),
    ("https://discord.com/invite/xyz", ["discord.com"]),
    ("https://discordapp.com/invite/xyz", ["discordapp.com"]),
    # mentions and emoji around a link are not part of it
    ("<@123456789> look example.org <:smile:987654321>", ["example.org"]),
    # duplicates are reported once
    ("example.org and example.org again", ["example.org"]),
]

# Ordinary patient chat: no link, no email.
NOT_LINKS: list[str] = [
    "Had my L4/5 fusion 6 weeks ago. Walking 2 miles a day now.",
    "2.5mg twice a day",
    "I take 0.5ml and 7.5 mg of meloxicam",
    "L4/5 and L5-S1 and C5/6 and C6-7",
    "T12/L1 compression fracture",
    "surgery on 20.8.15 and again on 06/11/2012",
    "dated 2015.08.20",
    "e.g. swimming, i.e. low impact",
    "e.g.swimming is good",
    "e.g.yoga is great",
    "Dr. Smith at 5 a.m. and 3 p.m. tomorrow",
    "Dr.Smith said so",
    "St.John's wort? Mr.Jones",
    "wait... what... really...",
    "I had surgery.It was fine",
    "I had surgery.The pain is gone",
    "it hurts.my back is bad",
    "Day 3.It was rough",
    "L5-S1.It was",
    "C5-C6.My neck is stiff",
    "T12.No pain",
    "I was a 9/10.Now a 4",
    "Week 2.Is it normal to ache?",
    "diagnosed at 35.My bloodwork",
    "done in 2019.My rheumatologist",
    "on 8/4.My appointment",
    "C5/6.How long",
    "stenosis at L4/L5.My bloodwork",
    "200mg.is that a lot",
    "pre-op.no food after midnight",
    "2013-08-27.My surgery",
    "X-ray.How",
    "so frustrating.PT helped",
    "my SI joint.SI fusion next",
    "Same here.lol",
    "the ER.ER again",
    "day3.it was fine",
    "pain is worse.so is my mood",
    "lots of pain.in my back",
    "back.is it normal",
    "done.now I rest",
    "feeling better.today was good",
    "I'm done.me too",
    "readme.md and app.py and notes.sh",
    "scan.jpg and report.pdf",
    "v1.2.3 of the app",
    "No.1 tip: rest",
    "U.S.A. and U.K. patients",
    "Ph.D. and M.D. and B.Sc.",
    "approx.5 weeks",
    "the dot com boom",
    "put a dot in the box",
    "the dot is small",
    "version 3.11",
    "score 7.5/10",
    "1.5x the dose",
    "pain level 8.5",
    "thanks everyone 🙏",
    "“curly quotes” and ‘apostrophes’",
    "Ça va mieux. Merci à tous.",
    "日本語のテキスト。痛みが少し良くなりました。",
    "",
    "   ",
    ".",
    "a.",
    ".com",
    "...com",
]

EMAILS: list[tuple[str, list[str]]] = [
    ("jane@gmail.com", ["jane@gmail.com"]),
    ("write to Jane.Doe+spine@Example.co.uk please", ["Jane.Doe+spine@example.co.uk"]),
    ("mailto:jane@gmail.com", ["jane@gmail.com"]),
    ("<jane@gmail.com>", ["jane@gmail.com"]),
    ("jane at gmail dot com", ["jane@gmail.com"]),
    ("jane AT gmail DOT com", ["jane@gmail.com"]),
    ("jane[at]gmail[dot]com", ["jane@gmail.com"]),
    ("jane [at] gmail [dot] com", ["jane@gmail.com"]),
    ("jane(at)yahoo.com", ["jane@yahoo.com"]),
    ("jane(at)yahoo(dot)com", ["jane@yahoo.com"]),
    ("jane{at}yahoo.com", ["jane@yahoo.com"]),
    ("jane[@]yahoo.com", ["jane@yahoo.com"]),
    ("jane at gmail.com", ["jane@gmail.com"]),
    ("send it to me at jane dot doe at gmail dot com", ["jane.doe@gmail.com"]),
    ("jane.doe at company.org", ["jane.doe@company.org"]),
    ("jane42 at company.org", ["jane42@company.org"]),
    ("ｊａｎｅ＠ｇｍａｉｌ．ｃｏｍ", ["jane@gmail.com"]),
    ("jane@gmail.com and bob@yahoo.com", ["jane@gmail.com", "bob@yahoo.com"]),
]

NOT_EMAILS: list[str] = [
    "@mentions are fine",
    "meet @ 5pm",
    "meet @5pm",
    "follow me @jane_doe",
    "follow @jane.doe on insta",
    "take a look at spine-health.com",
    "look at webmd.com",
    "I was at home",
    "jane@gmail",
    "email me",
    "a@b",
    "<@123456789>",
]


@pytest.mark.parametrize(("text", "hosts"), LINKS)
def test_finds_every_link(text: str, hosts: list[str]) -> None:
    found = scan(text)
    assert [link.host for link in found.links] == hosts
    assert found.emails == ()


@pytest.mark.parametrize("text", NOT_LINKS)
def test_ordinary_chat_has_no_link(text: str) -> None:
    assert scan(text) == scan("")
    assert scan(text).links == ()
    assert scan(text).emails == ()


@pytest.mark.parametrize(("text", "emails"), EMAILS)
def test_finds_email_addresses(text: str, emails: list[str]) -> None:
    found = scan(text)
    assert list(found.emails) == emails
    # An address's domain is not also reported as a link.
    assert found.links == ()


@pytest.mark.parametrize("text", NOT_EMAILS)
def test_no_false_email(text: str) -> None:
    assert scan(text).emails == ()


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("check out https://example.com/page?x=1.", "https://example.com/page?x=1"),
        ("visit example.org/page?x=1 today", "example.org/page?x=1"),
        ("hxxps://evil.net/x", "https://evil.net/x"),
        ("example [dot] com", "example.com"),
        ("(https://en.wikipedia.org/wiki/Spine_(anatomy))", "https://en.wikipedia.org/wiki/Spine_(anatomy)"),
        ("[t](https://myblog.net/post)", "https://myblog.net/post"),
    ],
)
def test_reports_the_url_as_a_reader_would_copy_it(text: str, url: str) -> None:
    assert [link.url for link in scan(text).links] == [url]


@pytest.mark.parametrize(
    ("embeds", "hosts"),
    [
        (("https://embedded.example.com/a",), ["embedded.example.com"]),
        (("https://a.example.com", "https://b.example.org/x"), ["a.example.com", "b.example.org"]),
        (("not a url",), []),
    ],
)
def test_links_in_embeds(embeds: tuple[str, ...], hosts: list[str]) -> None:
    assert [link.host for link in scan("no link in the text", embeds).links] == hosts


@pytest.mark.parametrize("text", [text for text, _ in LINKS] + [text for text, _ in EMAILS])
def test_precheck_never_skips_a_link(text: str) -> None:
    assert may_contain_link(text)


@pytest.mark.parametrize(
    "text",
    [
        "Had my fusion 6 weeks ago. Walking 2 miles a day now.",
        "thanks everyone",
        "How long did it take? I am three weeks out!",
        "Ça va mieux. Merci à tous.",
    ],
)
def test_precheck_lets_plain_chat_through_cheaply(text: str) -> None:
    assert not may_contain_link(text)
