"""`python -m bot backtest`: replaying a DiscordChatExporter export through the policy."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot import backtest
from bot.cli import main
from bot.rules import Engine

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "export.json"
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


# --json ------------------------------------------------------------------------------


def test_json_has_one_line_per_human_message_in_timestamp_order(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, FIXTURE, "--json")
    assert (status, err) == (0, "")
    assert [item["id"] for item in records(out)] == [row[0] for row in EXPECTED]


def test_json_verdicts_reasons_and_links_are_exact(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, FIXTURE, "--json")
    got = {item["id"]: item for item in records(out)}
    for message_id, _author, verdict, reasons, links in EXPECTED:
        expected_links = [{"url": url, "domain": domain, "class": kind} for url, domain, kind in links]
        assert got[message_id] == {
            "id": message_id,
            "verdict": verdict,
            "reasons": reasons,
            "links": expected_links,
        }, message_id


def test_json_keys_come_in_the_documented_order(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, FIXTURE, "--json")
    for line in out.splitlines():
        item = json.loads(line)
        assert list(item) == ["id", "verdict", "reasons", "links"]
        assert isinstance(item["id"], str)
        for link in item["links"]:
            assert list(link) == ["url", "domain", "class"]


def test_bot_and_system_messages_are_not_output(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, FIXTURE, "--json")
    ids = {item["id"] for item in records(out)}
    assert BOT_MESSAGE not in ids
    assert JOIN_MESSAGE not in ids
    raw = json.loads(FIXTURE.read_text(encoding="utf-8"))["messages"]
    assert len(ids) == len(raw) - 2


def test_embed_urls_are_screened(capsys: pytest.CaptureFixture[str]) -> None:
    raw = {m["id"]: m for m in json.loads(FIXTURE.read_text(encoding="utf-8"))["messages"]}
    assert "youtube" not in raw[DAVE_VIDEO]["content"]  # the link is only in the embed
    _, out, _ = run(capsys, FIXTURE, "--json")
    video = next(item for item in records(out) if item["id"] == DAVE_VIDEO)
    assert video["verdict"] == "hold"
    assert [link["domain"] for link in video["links"]] == ["youtube.com"]


# New members -----------------------------------------------------------------------------


def test_a_new_members_first_post_is_held_and_the_second_is_not(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, FIXTURE, "--json")
    got = {item["id"]: item for item in records(out)}
    assert got[CAROL_FIRST]["verdict"] == "hold"
    assert got[CAROL_FIRST]["reasons"] == ["new_member"]
    assert got[CAROL_SECOND]["verdict"] == "allow"
    assert got[CAROL_SECOND]["reasons"] == []


def test_first_means_first_in_time_not_in_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    raw_ids = [m["id"] for m in json.loads(FIXTURE.read_text(encoding="utf-8"))["messages"]]
    assert raw_ids.index(ERIN_SECOND) < raw_ids.index(ERIN_FIRST)  # the fixture really is out of order
    _, out, _ = run(capsys, FIXTURE, "--json")
    got = {item["id"]: item for item in records(out)}
    assert got[ERIN_FIRST]["reasons"] == ["new_member"]
    assert got[ERIN_SECOND]["reasons"] == []


def test_a_join_notification_is_not_a_first_post(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, FIXTURE, "--json")
    greg = next(item for item in records(out) if item["id"] == GREG_FIRST)
    assert "new_member" in greg["reasons"]


def test_assume_established_holds_nobody_as_new(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, FIXTURE, "--json", "--assume-established")
    assert status == 0
    got = {item["id"]: item for item in records(out)}
    assert list(got) == [row[0] for row in EXPECTED]
    for message_id, _author, verdict, reasons, _links in EXPECTED:
        without = [reason for reason in reasons if reason != "new_member"]
        assert got[message_id]["reasons"] == without, message_id
        if reasons == ["new_member"]:
            assert got[message_id]["verdict"] == "allow", message_id
        else:
            assert got[message_id]["verdict"] == verdict, message_id


def test_approved_posts_required_comes_from_the_policy(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = write_policy(tmp_path, "[new_members]\napproved_posts_required = 2\n")
    _, out, _ = run(capsys, FIXTURE, "--json", "--policy", policy)
    got = {item["id"]: item for item in records(out)}
    assert got[CAROL_FIRST]["reasons"] == ["new_member"]
    assert got[CAROL_SECOND]["reasons"] == ["new_member"]  # two posts to become established
    # Carol's third message is an attachment, her first after two approved posts.
    assert got["1080746625305849937"]["reasons"] == []


# --policy ----------------------------------------------------------------------------------


def test_a_custom_policy_changes_the_outcome(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = write_policy(tmp_path, '[links]\n[links.actions]\nexternal = "allow"\n')
    status, out, err = run(capsys, FIXTURE, "--json", "--policy", policy)
    assert (status, err) == (0, "")
    got = {item["id"]: item for item in records(out)}
    for message_id in (DAVE_BLOG, DAVE_VIDEO):
        assert got[message_id]["verdict"] == "allow"
        assert got[message_id]["reasons"] == []
        assert [link["class"] for link in got[message_id]["links"]] == ["external"]
    assert got[DAVE_WEBMD]["verdict"] == "block"  # medical sites are another class


# Human summary -----------------------------------------------------------------------------


def test_summary_has_the_counts_reasons_and_domains(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, FIXTURE)
    assert (status, err) == (0, "")
    assert re.search(r"^Messages screened +18$", out, re.M)
    assert re.search(r"^  allow +8 +44\.4%$", out, re.M)
    assert re.search(r"^  hold +9 +50\.0%$", out, re.M)
    assert re.search(r"^  block +1 +5\.6%$", out, re.M)
    assert "Not screened: 1 bot message, 1 system message" in out
    for reason, count in [
        ("new_member", 5),
        ("external_link", 2),
        ("medical_site", 1),
        ("shortened_link", 1),
        ("invite", 1),
        ("email", 1),
    ]:
        assert re.search(rf"^  {reason} +{count}$", out, re.M), reason
    for domain in ("bit.ly", "davesfusionjourney.blogspot.com", "discord.gg", "webmd.com", "youtube.com"):
        assert re.search(rf"^  {re.escape(domain)} +1$", out, re.M), domain
    # Erin's held first post links to the forum, which is not what held it.
    assert "spine-health.com" not in out.split("Most-held domains", 1)[1].split("Held or blocked", 1)[0]


def test_summary_lists_held_and_blocked_messages_in_aligned_columns(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, FIXTURE)
    table = out.split("Held or blocked (10)\n", 1)[1].splitlines()
    header, rows = table[0], table[1:]
    assert header.split() == ["ID", "AUTHOR", "VERDICT", "REASONS", "CONTENT"]
    flagged = [row for row in EXPECTED if row[2] != "allow"]
    assert [row.split()[0] for row in rows] == [row[0] for row in flagged]
    for line, (message_id, _author, verdict, reasons, _links) in zip(rows, flagged, strict=True):
        assert line[header.index("VERDICT") :].startswith(verdict), message_id
        assert line[header.index("REASONS") :].startswith(",".join(reasons)), message_id
    greg = next(line for line in rows if line.split()[0] == GREG_FIRST)
    assert "greg.t" in greg
    assert "new_member,shortened_link" in greg
    assert greg.endswith("…")
    assert len(greg) - header.index("CONTENT") == backtest.CONTENT_WIDTH


def test_summary_content_is_one_safe_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = "Line one\nline two with a \x1b[31mred\x1b[0m escape and bit.ly/abc " + "very long " * 20
    export = write_export(tmp_path / "export.json", [message("1", "2023-03-01T09:00:00+00:00", text)])
    _, out, _ = run(capsys, export)
    row = next(line for line in out.splitlines() if line.startswith("  1 "))
    assert "Line one line two" in row
    assert "\x1b" not in out
    assert row.endswith("…")


def test_summary_of_an_export_with_no_messages(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    export = write_export(tmp_path / "empty.json", [])
    status, out, _ = run(capsys, export)
    assert status == 0
    assert re.search(r"^Messages screened +0$", out, re.M)
    assert "Held or blocked (0)\n  none" in out


def test_summary_says_when_everyone_is_established(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, FIXTURE, "--assume-established")
    assert "--assume-established" in out
    assert not re.search(r"^  new_member ", out, re.M)
    assert re.search(r"^  hold +5 ", out, re.M)


# Timestamps and guilds -------------------------------------------------------------------


def test_offsets_are_compared_as_instants_and_ties_keep_file_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    export = write_export(
        tmp_path / "export.json",
        [
            message("a", "2023-03-01T10:00:00+00:00", "third"),
            message("b", "2023-03-01T11:30:00+02:00", "second (09:30 UTC)"),
            message("c", "2023-03-01T04:00:00.1234567-05:00", "first (09:00 UTC, seven fraction digits)"),
            message("d", "2023-03-01T10:00:00Z", "fourth (ties with a)"),
            message("e", "2023-03-01T10:30:00", "fifth (no offset: read as UTC)"),
        ],
    )
    status, out, err = run(capsys, export, "--json")
    assert (status, err) == (0, "")
    assert [item["id"] for item in records(out)] == ["c", "b", "a", "d", "e"]


def test_jump_links_are_internal_only_to_the_exported_guild(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    link = f"https://discord.com/channels/{GUILD}/{CHANNEL}/1"
    messages = [message("1", "2023-03-01T09:00:00+00:00", "hello"), message("2", "2023-03-01T09:01:00+00:00", link)]
    same = write_export(tmp_path / "same.json", messages)
    other = write_export(tmp_path / "other.json", messages, guild_id="111111111111111111")
    _, out_same, _ = run(capsys, same, "--json")
    _, out_other, _ = run(capsys, other, "--json")
    assert records(out_same)[1]["links"][0]["class"] == "internal"
    assert records(out_other)[1]["links"][0]["class"] != "internal"
    assert records(out_other)[1]["verdict"] != "allow"


# Bad input -----------------------------------------------------------------------------------


def _bad_export(tmp_path: Path, case: str) -> Path:
    path = tmp_path / f"{case}.json"
    if case == "missing":
        return path
    if case == "directory":
        path.mkdir()
        return path
    contents: dict[str, bytes] = {
        "not-json": b'{"messages": [',
        "empty": b"",
        "bad-utf8": b'{"messages": ["\xff\xfe\xfa"]}',
        "root-list": b"[]",
        "no-messages": b'{"guild": {"id": "1"}, "channel": {}}',
        "messages-object": b'{"messages": {"0": {}}}',
        "guild-string": b'{"guild": "spine", "messages": []}',
    }
    path.write_bytes(contents[case])
    return path


BAD_EXPORTS = [
    ("missing", "no such file"),
    ("directory", "cannot read it"),
    ("not-json", "not valid JSON"),
    ("empty", "not valid JSON"),
    ("bad-utf8", "not valid JSON"),
    ("root-list", "the top level is a list"),
    ("no-messages", "no 'messages' list"),
    ("messages-object", "'messages' is an object, not a list"),
    ("guild-string", "'guild' is a string, not an object"),
]


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize(("case", "problem"), BAD_EXPORTS)
def test_a_bad_export_exits_2_with_one_line_naming_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str, problem: str, as_json: bool
) -> None:
    export = _bad_export(tmp_path, case)
    status, out, err = run(capsys, export, *(["--json"] if as_json else []))
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert str(export) in err
    assert problem in err


def test_an_unreadable_export_is_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = write_export(tmp_path / "locked.json", [])
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == export:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    # Tests may run as root, for whom chmod 000 changes nothing.
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    status, out, err = run(capsys, export)
    assert (status, out) == (2, "")
    assert err == f"error: {export}: cannot read it (Permission denied)\n"


@pytest.mark.parametrize(
    ("policy_text", "problem"),
    [
        (None, "no such file"),
        ("[links\n", "not valid TOML"),
        ("[links]\nexternal_domains = []\n", "unknown key links.external_domains"),
        ('[links.actions]\nexternal = "delete"\n', "must be one of allow, hold, block"),
    ],
)
def test_a_bad_policy_file_exits_2_with_one_line_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, policy_text: str | None, problem: str
) -> None:
    policy = tmp_path / "policy.toml"
    if policy_text is not None:
        policy.write_text(policy_text, encoding="utf-8")
    status, out, err = run(capsys, FIXTURE, "--json", "--policy", policy)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert str(policy) in err
    assert problem in err


GOOD = message("100", "2023-03-01T09:00:00+00:00", "Hi all, first post here")
LATER = message("300", "2023-03-01T09:10:00+00:00", "And my second one, with no links")


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("just a string", "is a string, not an object"),
        ({k: v for k, v in message("200", "2023-03-01T09:05:00+00:00", "x").items() if k != "id"}, "no message id"),
        ({k: v for k, v in message("200", "2023-03-01T09:05:00+00:00", "x").items() if k != "content"}, "no content"),
        (message("200", "2023-03-01T09:05:00+00:00", None), "content is null, not a string"),
        (message("200", "2023-03-01T09:05:00+00:00", "x", author=None), "no author"),
        (
            message("200", "2023-03-01T09:05:00+00:00", "x", author={"id": "maria", "name": "maria"}),
            "bad author id 'maria'",
        ),
        (message("200", "yesterday at 5", "x"), "timestamp 'yesterday at 5' is not an ISO 8601"),
        (message("200", "2023-02-30T09:05:00+00:00", "x"), "is not an ISO 8601"),
        (message("200", 1677661500, "x"), "timestamp is a number, not a string"),
        (message("200", "2023-03-01T09:05:00+00:00", "x", attachments="photo.jpg"), "attachments is a string"),
        (message("200", "2023-03-01T09:05:00+00:00", "x", embeds=[{"url": 5}]), "embeds[0].url is a number"),
    ],
)
def test_a_bad_message_is_reported_and_skipped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, bad: Any, problem: str
) -> None:
    export = write_export(tmp_path / "export.json", [GOOD, bad, LATER])
    status, out, err = run(capsys, export, "--json")
    assert status == 0
    assert err.count("\n") == 1
    assert err.startswith(f"warning: {export}: messages[1]")
    assert problem in err
    if isinstance(bad, dict) and "id" in bad:
        assert "(id 200)" in err
    got = records(out)
    assert [item["id"] for item in got] == ["100", "300"]
    # The skipped message is not an approved post either: the author's second screened
    # message is what follows their first.
    assert got[1]["verdict"] == "allow"


def test_a_skipped_message_is_counted_in_the_summary(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    export = write_export(tmp_path / "export.json", [GOOD, 42, LATER])
    status, out, err = run(capsys, export)
    assert status == 0
    assert "messages[1]: is a number, not an object; skipped" in err
    assert "Not screened: 1 malformed message" in out
    assert re.search(r"^Messages screened +2$", out, re.M)


def test_an_engine_failure_skips_the_message_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_evaluate = Engine.evaluate

    def evaluate(self: Engine, author: Any, facts: Any, policy: Any) -> Any:
        if facts.text == "boom":
            raise RuntimeError("kaboom")
        return real_evaluate(self, author, facts, policy)

    monkeypatch.setattr(Engine, "evaluate", evaluate)
    export = write_export(tmp_path / "export.json", [GOOD, message("200", "2023-03-01T09:05:00+00:00", "boom"), LATER])
    status, out, err = run(capsys, export, "--json")
    assert status == 1
    assert [item["id"] for item in records(out)] == ["100", "300"]
    assert err == f"error: {export}: message id 200: the engine failed (RuntimeError: kaboom); skipped\n"


def test_a_closed_pipe_ends_output_quietly() -> None:
    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    assert backtest._write_all(ClosedPipe(), ["{}\n"]) is False
    assert backtest._write_all(io.StringIO(), ["{}\n"]) is True


# As a real process ---------------------------------------------------------------------------


def _subprocess(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot", "backtest", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def test_the_command_runs_as_a_process() -> None:
    result = _subprocess(str(FIXTURE), "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    got = records(result.stdout)
    assert [item["id"] for item in got] == [row[0] for row in EXPECTED]
    assert got[0] == {"id": EXPECTED[0][0], "verdict": "hold", "reasons": ["new_member"], "links": []}


def test_bad_input_in_a_process_gives_no_traceback(tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_text("<html>not an export</html>", encoding="utf-8")
    result = _subprocess(str(export))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {export}: not valid JSON")
    assert result.stderr.count("\n") == 1
