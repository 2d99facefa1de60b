"""The backtest's replay: every human message judged in timestamp order, as the --json records say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.backtest.helpers import (
    BOT_MESSAGE,
    CAROL_FIRST,
    CAROL_SECOND,
    CHANNEL,
    DAVE_BLOG,
    DAVE_VIDEO,
    DAVE_WEBMD,
    ERIN_FIRST,
    ERIN_SECOND,
    EXPECTED,
    FIXTURE,
    GREG_FIRST,
    GUILD,
    JOIN_MESSAGE,
    message,
    records,
    run,
    write_export,
    write_policy,
)

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
