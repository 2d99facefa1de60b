"""Edge cases the scanner's fast paths must answer exactly as the plain reading of its rules does.

Each row pins what ``scan`` returned before its searches were reshaped for speed (one pre-check
regex, literal-led searches, per-host caches); a change here is a change of behaviour.
"""

from __future__ import annotations

import pytest

from bot.rules import scan
from bot.rules.scan import may_contain_link

# (text, [(url, host)], [email])
EDGES: list[tuple[str, list[tuple[str, str]], list[str]]] = [
    # Unicode full stops: every form folds to "." (NFKC, then the ideographic one by hand)
    ("example\uff61com", [("example.com", "example.com")], []),
    ("example\ufe52com", [("example.com", "example.com")], []),
    ("example\u2024com", [("example.com", "example.com")], []),
    ("example\u3002com", [("example.com", "example.com")], []),
    # tokens end at any whitespace, not only at spaces
    ("example.com\xa0webmd.com", [("example.com", "example.com"), ("webmd.com", "webmd.com")], []),
    (
        "see http://example.com\u2003and webmd.com",
        [("http://example.com", "example.com"), ("webmd.com", "webmd.com")],
        [],
    ),
    # IPv4 addresses: read in a token that starts with a digit or has a "/"
    ("(192.168.1.1/admin)", [("192.168.1.1/admin", "192.168.1.1")], []),
    ("x,10.0.0.1/admin", [("10.0.0.1/admin", "10.0.0.1")], []),
    ("x,10.0.0.1:8080", [], []),
    # a bare host only starts after a character that cannot continue a name
    ("a.com:123abc.com", [("a.com:123", "a.com")], []),
    ("xhttps://example.com", [("example.com", "example.com")], []),
    ("a:b,https://x.example.org/p", [("https://x.example.org/p", "x.example.org")], []),
    ("user@example.com,webmd.com", [("webmd.com", "webmd.com")], ["user@example.com"]),
    # defanged schemes, and the text that makes the defanging count
    ("h**ps://evil.net/x", [("https://evil.net/x", "evil.net")], []),
    ("https://evil.net/x **bold**", [("https://evil.net/x", "evil.net")], []),
    ("http ://example.net xx", [("http://example.net", "example.net")], []),
    # the same host judged with and without evidence
    ("see example.it", [], []),
    ("see example[.]it", [("example.it", "example.it")], []),
    ("see example.it/x", [("example.it/x", "example.it")], []),
    ("WWW.Example.It", [("WWW.Example.It", "www.example.it")], []),
    ("Go to e.g.yoga.com", [("yoga.com", "yoga.com")], []),
    ("B.Sc", [], []),
    ("B.Sc/x", [("B.Sc/x", "b.sc")], []),
    # a bracketed dot takes the spaces around it, and around any NUL already in the text
    ("ex \x00 ample [.] com", [("example.com", "example.com")], []),
    ("see example [.] com [.] au", [("example.com.au", "example.com.au")], []),
    # " at " before a host: an address only when the name or the domain says so
    ("join us at gofundme.com/f/x", [("gofundme.com/f/x", "gofundme.com")], []),
    ("write to jane42 at company.org", [], ["jane42@company.org"]),
    ("write to jane_d at company.org", [], ["jane_d@company.org"]),
    ("write to jane at company.org", [("company.org", "company.org")], []),
    # ... never when a path follows the domain, the name is a word of prose or the host a web site's
    ("my story at mayoclinic[.]org/x", [("mayoclinic.org/x", "mayoclinic.org")], []),
    ("Look at webmd[.]com/back-pain", [("webmd.com/back-pain", "webmd.com")], []),
    ("Look at webmd[.]com.", [("webmd.com", "webmd.com")], []),
    ("see it at www.mayoclinic[.]org", [("www.mayoclinic.org", "www.mayoclinic.org")], []),
    ("story [at] mayoclinic[.]org/x", [("mayoclinic.org/x", "mayoclinic.org")], []),
    ("story@mayoclinic.org/x", [("mayoclinic.org/x", "mayoclinic.org")], []),
    # an obfuscation alone is weak evidence: the address is kept, and so is the link it could be
    ("info at webmd[.]com", [("webmd.com", "webmd.com")], ["info@webmd.com"]),
    ("jane at company dot org", [("company.org", "company.org")], ["jane@company.org"]),
    # strong evidence (a mail provider, an address-like name) is an address alone
    ("jane at gmail dot com", [], ["jane@gmail.com"]),
    ("jane [at] gmail [dot] com", [], ["jane@gmail.com"]),
    ("jane.doe at webmd.com", [], ["jane.doe@webmd.com"]),
    # trailing punctuation and brackets
    ("example.com.", [("example.com", "example.com")], []),
    ("example.com)", [("example.com", "example.com")], []),
    ("(example.com/a_(b))", [("example.com/a_(b)", "example.com")], []),
]


@pytest.mark.parametrize(("text", "links", "emails"), EDGES)
def test_edge_cases(text: str, links: list[tuple[str, str]], emails: list[str]) -> None:
    found = scan(text)
    assert [(link.url, link.host) for link in found.links] == links
    assert list(found.emails) == emails


def test_cached_judgements_depend_on_the_evidence() -> None:
    # The bare-host judgement is cached per host and per kind of evidence: asking again, in
    # any order, gives the same answers as asking once.
    for _ in range(2):
        assert scan("see example.it").links == ()
        assert [link.host for link in scan("see example[.]it").links] == ["example.it"]
        assert [link.url for link in scan("see example.it/x").links] == ["example.it/x"]


@pytest.mark.parametrize(
    "text",
    [
        "example\uff0ecom",
        "jane\uff20gmail",
        "a\uff1a//b",
        "x\u2060.com",
        "x-.com",
        "x_.co",
        "jane.doe@gmail",
        "example . com",
        "see [ dot ] here",
        "{at}",
        "(DoT)",
        "ftp:\\\\host",
    ],
)
def test_precheck_alternatives(text: str) -> None:
    assert may_contain_link(text)


@pytest.mark.parametrize(
    "text",
    ["a.m. and p.m.", "2.5mg", "Dr. Patel", "meet @ 5", "@jane", ".com", "x .5", "a [ ] b", "ratio 3:1"],
)
def test_precheck_passes(text: str) -> None:
    assert not may_contain_link(text)
