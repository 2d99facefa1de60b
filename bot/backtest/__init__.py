"""`python -m bot backtest`: replay a DiscordChatExporter JSON export through the policy engine.

The export is read whole, checked, and replayed in timestamp order. Every author starts
new (the export is all the history there is) and each of their earlier messages counts
as approved, as if moderators had approved every first post. The result is either a
summary for a person or, with ``--json``, one JSON object per message for a program.

Its parts: ``export.py`` (reading the export), ``replay.py`` (judging it), ``report.py`` (the
summary) and ``lines.py`` (safe terminal text); this module runs them and writes the report.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from bot.backtest.export import (
    SYSTEM_MESSAGE_TYPES,
    Export,
    ExportedMessage,
    ExportError,
    load_export,
    parse_export,
)
from bot.backtest.replay import Replay, Screened, json_lines, replay, verdict_record
from bot.backtest.report import AUTHOR_WIDTH, CONTENT_WIDTH, TOP_DOMAINS, summary_lines
from bot.policy import PolicyError, load_policy_file
from bot.rules import Engine

__all__ = [
    "AUTHOR_WIDTH",
    "CONTENT_WIDTH",
    "EXIT_BAD_INPUT",
    "EXIT_INCOMPLETE",
    "EXIT_OK",
    "SYSTEM_MESSAGE_TYPES",
    "TOP_DOMAINS",
    "Export",
    "ExportError",
    "ExportedMessage",
    "Replay",
    "Screened",
    "json_lines",
    "load_export",
    "parse_export",
    "replay",
    "run_backtest",
    "summary_lines",
    "verdict_record",
]

EXIT_OK = 0
EXIT_INCOMPLETE = 1  # the report is missing messages: the engine failed on some, or stdout closed
EXIT_BAD_INPUT = 2


def run_backtest(export: Path, policy: Path, *, assume_established: bool, as_json: bool) -> int:
    """Replay an export under a policy file, print the report, and return the exit status."""
    try:
        loaded = load_export(export)
        bundle = load_policy_file(policy)
    except (ExportError, PolicyError) as exc:
        _stderr(f"error: {exc}")
        return EXIT_BAD_INPUT
    for problem in loaded.problems:
        _stderr(f"warning: {problem}")

    result = replay(
        loaded.messages,
        Engine(bundle.lists),
        bundle.policy,
        guild_id=loaded.guild_id,
        assume_established=assume_established,
    )
    for failure in result.failures:
        _stderr(f"error: {export}: {failure}")

    if as_json:
        output: Iterable[str] = json_lines(result.screened)
    else:
        lines = summary_lines(loaded, result, bundle.policy, policy, assume_established=assume_established)
        output = (line + "\n" for line in lines)
    if not _write_all(sys.stdout, output):
        return EXIT_INCOMPLETE
    return EXIT_INCOMPLETE if result.failures else EXIT_OK


def _write_all(stream: TextIO, chunks: Iterable[str]) -> bool:
    """Write everything; False when the reader went away (`backtest … | head`)."""
    try:
        for chunk in chunks:
            stream.write(chunk)
        stream.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not complain too.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):
            pass
        return False
    return True


def _stderr(line: str) -> None:
    sys.stderr.write(line.replace("\r", " ").replace("\n", " ") + "\n")
