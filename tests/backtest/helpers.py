"""What the backtest's tests share: the fixture export, its expected verdicts, and builders of exports and policies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "export.json"
DATA = ROOT / "data"

GUILD = "739540413012410418"
CHANNEL = "739540413012410421"

# Every message of the fixture export, as the shipped policy judges it, in timestamp
# order: (id, author, verdict, reasons, links as (url, domain, class)).
EXPECTED: list[tuple[str, str, str, list[str], list[tuple[str, str, str]]]] = [
    ("1080731525006000128", "maria", "hold", ["new_member"], []),
    ("1080732531697807420", "dave", "hold", ["new_member"], []),
    (
        "1080733034368356402",
        "maria",
        "allow",
        [],
        [
            (
                "https://www.spine-health.com/treatment/back-surgery/microdiscectomy-surgery-recovery",
                "spine-health.com",
                "internal",
            )
        ],
    ),
    (
        "1080734040951001180",
        "dave",
        "hold",
        ["external_link"],
        [
            (
                "https://davesfusionjourney.blogspot.com/2021/05/week-one.html",
                "davesfusionjourney.blogspot.com",
                "external",
            )
        ],
    ),
    ("1080736557860536380", "carol", "hold", ["new_member"], []),
    ("1080737061441257582", "maria", "allow", [], []),
    ("1080737816063660112", "carol", "allow", [], []),
    (
        "1080739325149085806",
        "dave",
        "block",
        ["medical_site"],
        [("https://www.webmd.com/back-pain/guide/laminectomy", "webmd.com", "medical")],
    ),
    (
        "1080739829530824815",
        "erin",
        "hold",
        ["new_member"],
        [("www.spine-health.com/forum", "spine-health.com", "internal")],
    ),
    ("1080740334445412422", "erin", "allow", [], []),
    (
        "1080741590425546863",
        "greg",
        "hold",
        ["new_member", "shortened_link"],
        [("bit.ly/3xSpIn3", "bit.ly", "shortener")],
    ),
    (
        "1080742851929591828",
        "dave",
        "hold",
        ["invite"],
        [("discord.gg/fusionfriends", "discord.gg", "invite")],
    ),
    ("1080744109377736765", "maria", "hold", ["email"], []),
    (
        "1080745367094337556",
        "dave",
        "hold",
        ["external_link"],
        [("https://www.youtube.com/watch?v=5uYkQ1mD0cE", "youtube.com", "external")],
    ),
    ("1080746625305849937", "carol", "allow", [], []),
    (
        "1080747883165356042",
        "maria",
        "allow",
        [],
        [(f"https://discord.com/channels/{GUILD}/{CHANNEL}/1080739325149085806", "discord.com", "internal")],
    ),
    ("1080747883165356043", "greg", "allow", [], []),
    ("1080750399151632434", "dave", "allow", [], []),
]
EXPECTED_BY_ID = {row[0]: row for row in EXPECTED}
BOT_MESSAGE = "1080734544015826974"
JOIN_MESSAGE = "1080735299170902096"
CAROL_FIRST, CAROL_SECOND = "1080736557860536380", "1080737816063660112"
ERIN_FIRST, ERIN_SECOND = "1080739829530824815", "1080740334445412422"
GREG_FIRST = "1080741590425546863"
DAVE_BLOG, DAVE_VIDEO, DAVE_WEBMD = "1080734040951001180", "1080745367094337556", "1080739325149085806"


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run the CLI in-process; return (status, stdout, stderr)."""
    status = main(["backtest", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def records(out: str) -> list[dict[str, Any]]:
    """Parse --json output, insisting every line is one JSON object."""
    lines = out.splitlines()
    parsed = [json.loads(line) for line in lines]
    assert all(isinstance(item, dict) for item in parsed)
    return parsed


def message(
    message_id: str, timestamp: Any, content: Any, *, author_id: str = "402118855392313345", **extra: Any
) -> dict[str, Any]:
    """A message in DiscordChatExporter's shape."""
    return {
        "id": message_id,
        "type": "Default",
        "timestamp": timestamp,
        "timestampEdited": None,
        "isPinned": False,
        "content": content,
        "author": {"id": author_id, "name": "maria_l", "discriminator": "0000", "nickname": "Maria", "isBot": False},
        "attachments": [],
        "embeds": [],
        **extra,
    }


def write_export(path: Path, messages: list[Any], *, guild_id: str = GUILD) -> Path:
    """Write an export with these messages; return its path."""
    document = {"guild": {"id": guild_id, "name": "Spine-health Community"}, "channel": {"id": CHANNEL}}
    path.write_text(json.dumps({**document, "messages": messages}), encoding="utf-8")
    return path


def write_policy(directory: Path, body: str) -> Path:
    """A policy file using the shipped lists, with these extra TOML lines."""
    policy = directory / "custom-policy.toml"
    lists = (
        "[links]\n"
        f"medical_list = '{(DATA / 'medical_domains.txt').as_posix()}'\n"
        f"shortener_list = '{(DATA / 'shorteners.txt').as_posix()}'\n"
    )
    policy.write_text(body.replace("[links]\n", lists) if "[links]" in body else body + "\n" + lists, encoding="utf-8")
    return policy


# A well-formed first and second post, around a bad one.
GOOD = message("100", "2023-03-01T09:00:00+00:00", "Hi all, first post here")
LATER = message("300", "2023-03-01T09:10:00+00:00", "And my second one, with no links")
