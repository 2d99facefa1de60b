"""The backtest's summary for a person: counts, reasons, domains, and the held and blocked messages in columns."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import backtest
from tests.backtest.helpers import (
    EXPECTED,
    FIXTURE,
    GOOD,
    GREG_FIRST,
    LATER,
    message,
    run,
    write_export,
)

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


def test_a_skipped_message_is_counted_in_the_summary(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    export = write_export(tmp_path / "export.json", [GOOD, 42, LATER])
    status, out, err = run(capsys, export)
    assert status == 0
    assert "messages[1]: is a number, not an object; skipped" in err
    assert "Not screened: 1 malformed message" in out
    assert re.search(r"^Messages screened +2$", out, re.M)
