"""Loading policy.toml: the shipped file, overrides, and a readable error for every mistake."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.policy import DATA_DIR, PolicyError, load_policy_file
from bot.rules import Action, LinkClass, Policy


def test_shipped_policy_matches_the_forum_rules() -> None:
    bundle = load_policy_file()
    policy = bundle.policy
    assert policy.new_member_hold is True
    assert policy.new_member_posts == 1
    assert policy.link_actions[LinkClass.MEDICAL] is Action.BLOCK
    assert policy.link_actions[LinkClass.EXTERNAL] is Action.HOLD
    assert policy.email_action is Action.HOLD
    assert policy.internal_domains == frozenset({"spine-health.com", "arthritis-health.com", "veritashealth.com"})
    assert policy == Policy()  # the file and the code defaults agree


def _copy_data(tmp_path: Path, policy_text: str) -> Path:
    for name in ("medical_domains.txt", "shorteners.txt"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    path = tmp_path / "policy.toml"
    path.write_text(policy_text, encoding="utf-8")
    return path


def test_overrides_are_read(tmp_path: Path) -> None:
    path = _copy_data(
        tmp_path,
        """
        [new_members]
        approved_posts_required = 3
        [links]
        allowed_domains = ["Example.org"]
        [links.actions]
        external = "allow"
        [emails]
        action = "block"
        """,
    )
    policy = load_policy_file(path).policy
    assert policy.new_member_posts == 3
    assert policy.allowed_domains == frozenset({"example.org"})
    assert policy.link_actions[LinkClass.EXTERNAL] is Action.ALLOW
    assert policy.link_actions[LinkClass.MEDICAL] is Action.BLOCK
    assert policy.email_action is Action.BLOCK


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        ("[new_member]\nhold = true\n", ["unknown section [new_member]"]),
        ("[new_members]\nhodl = true\n", ["unknown key new_members.hodl"]),
        ("[new_members]\nhold = 'yes'\n", ["new_members.hold must be true or false"]),
        ("[new_members]\napproved_posts_required = true\n", ["approved_posts_required must be a whole number"]),
        ("[new_members]\napproved_posts_required = -2\n", ["between 0 and 1000"]),
        ("[links.actions]\nexternal = 'delete'\n", ["links.actions.external must be one of allow, hold, block"]),
        ("[links.actions]\nexternals = 'hold'\n", ["unknown link class links.actions.externals"]),
        ("[links]\nallowed_domains = 'example.org'\n", ["links.allowed_domains must be a list"]),
        ("[links]\nallowed_domains = ['not a domain']\n", ["'not a domain' is not a domain"]),
        ("[emails]\naction = 3\n", ["emails.action must be one of"]),
        (
            "[emails]\naction = 'x'\n[links.actions]\nmedical = 'y'\n",
            ["links.actions.medical must be one of", "emails.action must be one of"],
        ),
        ("links = 3\n", ["[links] must be a table"]),
    ],
)
def test_every_mistake_is_named(tmp_path: Path, text: str, errors: list[str]) -> None:
    path = _copy_data(tmp_path, text)
    with pytest.raises(PolicyError) as excinfo:
        load_policy_file(path)
    message = str(excinfo.value)
    assert message.startswith(str(path))
    for error in errors:
        assert error in message


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_text("[links\n", encoding="utf-8"), "not valid TOML"),
        (lambda p: p.write_bytes(b"\xff\xfe\x00bad"), "cannot read it"),
    ],
)
def test_unreadable_policy_files(tmp_path: Path, setup: object, error: str) -> None:
    path = tmp_path / "policy.toml"
    setup(path)  # type: ignore[operator]
    with pytest.raises(PolicyError, match=error):
        load_policy_file(path)


def test_missing_or_broken_list_is_named(tmp_path: Path) -> None:
    path = _copy_data(tmp_path, "[links]\nshortener_list = 'missing.txt'\n")
    with pytest.raises(PolicyError, match=r"missing\.txt"):
        load_policy_file(path)
    (tmp_path / "shorteners.txt").write_text("bit.ly\nbit.ly\n", encoding="utf-8")
    path.write_text("", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"shorteners\.txt: line 2: bit\.ly is listed twice"):
        load_policy_file(path)
