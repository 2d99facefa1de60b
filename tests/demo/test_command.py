"""`python -m bot demo`: its options, and what it says when it cannot run."""

from __future__ import annotations

import io
import socket

import pytest

import bot.demo
from bot.cli import build_parser, main
from bot.demo.runner import play


def test_demo_is_a_subcommand_with_interactive_and_port() -> None:
    assert "demo" in build_parser().format_help()
    args = build_parser().parse_args(["demo", "--interactive", "--port", "8765"])
    assert (args.command, args.interactive, args.port) == ("demo", True, 8765)
    assert build_parser().parse_args(["demo"]).port == 0  # a free port


@pytest.mark.parametrize("port", ["http", "-1", "65536"])
def test_a_bad_port_is_a_usage_error(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["demo", "--interactive", "--port", port])
    assert excinfo.value.code == 2
    assert "not a port number" in capsys.readouterr().err


def test_without_simcord_it_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bot.demo, "missing_modules", lambda *, interactive: ["simcord", "aiohttp"])
    assert main(["demo", "--interactive"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "the demo needs simcord, aiohttp" in captured.err
    assert "make demo" in captured.err


async def test_a_busy_port_is_said_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status = await play(io.StringIO(), interactive=True, port=port)
    assert status == 2
    assert f"error: preview could not bind port {port}" in capsys.readouterr().err
