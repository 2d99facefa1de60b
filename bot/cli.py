"""The command line: `python -m bot run | backtest | …`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.policy import DEFAULT_POLICY_FILE

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Forum Bridge: carries a patient forum's moderation rules into Discord.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    commands.add_parser("run", help="start the bot (needs DISCORD_TOKEN in the environment or .env)")

    sync = commands.add_parser(
        "sync-commands",
        help="publish the slash commands to Discord (run after an upgrade; never done on start)",
    )
    sync.add_argument("--guild", type=int, metavar="ID", help="sync to one guild only (instant), not globally")

    backtest = commands.add_parser(
        "backtest",
        help="replay an exported Discord channel through the policy and report what it would do",
        description="Replay a DiscordChatExporter JSON export through the policy engine.",
    )
    backtest.add_argument("export", type=Path, metavar="EXPORT.json", help="a DiscordChatExporter JSON export")
    backtest.add_argument(
        "--policy", type=Path, default=DEFAULT_POLICY_FILE, metavar="FILE", help="policy file (default: %(default)s)"
    )
    backtest.add_argument(
        "--assume-established", action="store_true", help="treat every author as established (nobody is new)"
    )
    backtest.add_argument("--json", action="store_true", help="one JSON object per message on stdout, nothing else")

    demo = commands.add_parser(
        "demo",
        help="watch the bot work in a simulated Discord: no token, no network (needs the demo extra)",
        description="Run the real bot in a simulated Discord (SimCord) and play a short scene, printing what "
        "each channel and DM shows.",
    )
    demo.add_argument(
        "--interactive",
        action="store_true",
        help="after the scene, serve the moderator channel as a local web page where you decide held messages",
    )
    demo.add_argument(
        "--port", type=_port, default=0, metavar="N", help="with --interactive: the local port (default: a free one)"
    )

    mirror = commands.add_parser(
        "mirror",
        help="the forum mirror: what the forum's categories become in Discord",
        description="The forum mirror. In Discord, admins use /mirror preview, /mirror apply and /mirror status.",
    )
    mirror_commands = mirror.add_subparsers(dest="mirror_command", metavar="ACTION", required=True)
    preview = mirror_commands.add_parser(
        "preview",
        help="print the Discord categories and channels the forum calls for (touches nothing in Discord)",
        description="Read the forum's categories from the file or the forum's API and print the Discord "
        "categories and channels they become. Flags override the FORUM_BRIDGE_MIRROR_* settings.",
    )
    preview.add_argument(
        "--source", choices=("file", "vanilla"), help="where to read the categories (default: the setting, else file)"
    )
    preview.add_argument("--file", type=Path, metavar="FILE", help="the forum file (default: data/forum.toml)")
    preview.add_argument("--base-url", metavar="URL", help="the Vanilla forum's address, for --source vanilla")
    preview.add_argument(
        "--channels", choices=("text", "forum"), help="make discussion categories text or forum channels"
    )
    return parser


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "run":
        from bot.runner import run_bot

        return run_bot()
    if args.command == "sync-commands":
        import asyncio

        from bot.runner import sync_commands

        return asyncio.run(sync_commands(args.guild))
    if args.command == "backtest":
        from bot.backtest import run_backtest

        logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s")
        return run_backtest(args.export, args.policy, assume_established=args.assume_established, as_json=args.json)
    if args.command == "demo":
        from bot.demo import run_demo

        return run_demo(interactive=args.interactive, port=args.port)
    if args.command == "mirror":
        from bot.mirror.cli import run_preview

        return run_preview(source=args.source, file=args.file, base_url=args.base_url, channels=args.channels)
    raise AssertionError(f"unhandled command {args.command}")  # argparse rejects unknown ones first
