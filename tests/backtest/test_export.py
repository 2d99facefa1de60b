"""Reading an export: a bad export exits 2 naming the file; a bad message is named and skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.backtest.helpers import (
    GOOD,
    LATER,
    message,
    records,
    run,
    write_export,
)

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
