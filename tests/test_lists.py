"""The shipped lists are well-formed, large enough, and never list the forum itself."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.policy import DATA_DIR, PolicyBundle
from bot.rules import DEFAULT_INTERNAL_DOMAINS, DomainListError, DomainLists, registrable_domain
from bot.rules.domains import MEDICAL_KINDS, parse_domain_list


def test_medical_list_is_large_and_covers_every_kind(shipped: PolicyBundle) -> None:
    medical = shipped.lists.medical
    registrable = [domain for domain in medical if registrable_domain(domain) == domain]
    assert len(registrable) >= 300
    kinds = Counter(medical.values())
    assert set(kinds) == MEDICAL_KINDS
    assert min(kinds.values()) >= 10


def test_shortener_list_is_large(shipped: PolicyBundle) -> None:
    assert len(shipped.lists.shorteners) >= 50
    assert "bit.ly" in shipped.lists.shorteners


def test_lists_do_not_overlap_or_name_the_forum(shipped: PolicyBundle) -> None:
    medical = set(shipped.lists.medical)
    assert not medical & shipped.lists.shorteners
    assert not (medical | shipped.lists.shorteners) & DEFAULT_INTERNAL_DOMAINS


@pytest.mark.parametrize("name", ["medical_domains.txt", "shorteners.txt", "policy.toml"])
def test_data_files_document_themselves(name: str) -> None:
    head = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()[:5]
    assert len(head) == 5
    assert all(line.startswith("#") for line in head[:3])


@pytest.mark.parametrize(
    ("text", "kinds", "error"),
    [
        ("webmd.com\n", MEDICAL_KINDS, "expected a domain and a kind"),
        ("webmd.com consumer extra\n", MEDICAL_KINDS, "expected a domain and a kind"),
        ("webmd.com pharmacy\n", MEDICAL_KINDS, "unknown kind 'pharmacy'"),
        ("webmd.com consumer\nwebmd.com drug\n", MEDICAL_KINDS, "listed twice"),
        ("localhost consumer\n", MEDICAL_KINDS, "not a domain"),
        ("bit.ly extra\n", None, "expected a domain"),
        ("not-a-domain.invalidtld\n", None, "not a domain"),
    ],
)
def test_bad_list_lines_are_named(text: str, kinds: frozenset[str] | None, error: str) -> None:
    with pytest.raises(DomainListError, match=error) as excinfo:
        list(parse_domain_list(text, kinds=kinds))
    assert "line " in str(excinfo.value)


def test_list_entries_are_canonicalised() -> None:
    lists = DomainLists.from_text("WebMD.com consumer\n", "BIT.LY\n")
    assert dict(lists.medical) == {"webmd.com": "consumer"}
    assert lists.shorteners == frozenset({"bit.ly"})


def test_list_files_are_sorted_within_sections() -> None:
    for name in ("medical_domains.txt", "shorteners.txt"):
        section: list[str] = []
        for line in [*Path(DATA_DIR / name).read_text(encoding="utf-8").splitlines(), "# end"]:
            if line.startswith("#") or not line.strip():
                assert section == sorted(section), f"{name}: section not sorted near {section[:1]}"
                section = []
            else:
                section.append(line.split()[0])
