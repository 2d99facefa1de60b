"""`python -m bot backtest` as a command: its policy file, its exit statuses, a closed pipe, a real process."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot import backtest
from bot.rules import Engine
from tests.backtest.helpers import (
    EXPECTED,
    FIXTURE,
    GOOD,
    LATER,
    ROOT,
    message,
    records,
    run,
    write_export,
)


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
