"""Starting the bot for real: settings, logging, policy, then the gateway."""

from __future__ import annotations

import logging
import sys

import discord

from bot.client import ForumBridge
from bot.policy import PolicyError, load_policy_file
from bot.settings import TOKEN_HELP, Settings, SettingsError

log = logging.getLogger("bot")
EXIT_CONFIG = 2


def run_bot() -> int:
    """Start the bot; return 2 with a readable message when it cannot start."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if not settings.token:
        print(TOKEN_HELP, file=sys.stderr, end="")
        return EXIT_CONFIG
    try:
        bundle = load_policy_file(settings.policy_file)
    except PolicyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG

    discord.utils.setup_logging(level=getattr(logging, settings.log_level, logging.INFO), root=True)
    bot = ForumBridge(bundle=bundle)
    try:
        bot.run(settings.token, log_handler=None)
    except discord.LoginFailure:
        print("error: Discord refused the token in DISCORD_TOKEN; reset it in the developer portal", file=sys.stderr)
        return EXIT_CONFIG
    except discord.PrivilegedIntentsRequired:
        print(
            "error: enable the Server Members and Message Content intents for the bot in the developer portal",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    return 0
