"""The command line and settings: help, the missing-token exit, .env parsing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import Settings, SettingsError, read_dotenv

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    base["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_the_subcommands() -> None:
    result = _run("--help")
    assert result.returncode == 0
    for command in ("run", "backtest"):
        assert command in result.stdout


def test_run_without_a_token_exits_2_and_says_how_to_get_one(tmp_path: Path) -> None:
    result = _run("run", cwd=tmp_path)  # no .env in tmp_path
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr
    assert "discord.com/developers" in result.stderr
    assert ".env" in result.stderr
    assert result.stdout == ""


def test_run_with_a_bad_policy_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text("[links\n", encoding="utf-8")
    result = _run("run", cwd=tmp_path, env={"DISCORD_TOKEN": "x", "FORUM_BRIDGE_POLICY": str(bad)})
    assert result.returncode == 2
    assert "not valid TOML" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["frobnicate"])
    assert excinfo.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_dotenv_is_read_and_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# comment\nDISCORD_TOKEN='from-file'\nexport FORUM_BRIDGE_DB=\"/tmp/x.db\"\nFORUM_BRIDGE_MOD_ROLE_ID=123\n",
        encoding="utf-8",
    )
    settings = Settings.from_env(environ={"FORUM_BRIDGE_DB": "/tmp/env.db"}, dotenv=dotenv)
    assert settings.token == "from-file"
    assert settings.database == Path("/tmp/env.db")
    assert settings.moderator_role_id == 123
    assert "from-file" not in repr(settings)


@pytest.mark.parametrize(
    ("text", "error"),
    [("JUST_A_WORD\n", "expected KEY=VALUE"), ("=value\n", "expected KEY=VALUE")],
)
def test_bad_dotenv_lines_are_named(tmp_path: Path, text: str, error: str) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=f"{dotenv}:1: {error}"):
        read_dotenv(dotenv)


def test_bad_id_setting_is_refused() -> None:
    with pytest.raises(SettingsError, match="FORUM_BRIDGE_MOD_CHANNEL_ID must be a Discord ID"):
        Settings.from_env(environ={"FORUM_BRIDGE_MOD_CHANNEL_ID": "general"}, dotenv=None)


async def test_run_without_a_reachable_discord_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    import discord.http

    from bot.policy import load_policy_file
    from bot.runner import EXIT_UNREACHABLE, _run

    with socket.socket() as probe:  # a loopback port nobody listens on: the connection is refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
    settings = Settings(token="abc.def.ghi", database=tmp_path / "bridge.db")
    status = await _run(settings, load_policy_file())
    assert status == EXIT_UNREACHABLE
    err = capsys.readouterr().err
    assert err.startswith("error: cannot reach Discord")
    assert "abc.def.ghi" not in err  # the token is never printed
    assert (tmp_path / "bridge.db").exists()
