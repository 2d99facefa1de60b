"""Starting the bot for real: settings, logging, store, policy, then the gateway."""

from __future__ import annotations

import asyncio
import logging
import sys

import aiohttp
import discord

from bot.app import open_bot, open_from_settings
from bot.policy import PolicyBundle, PolicyError, load_policy_file
from bot.settings import TOKEN_HELP, Settings, SettingsError
from bot.store import StoreError

log = logging.getLogger("bot")
EXIT_CONFIG = 2
EXIT_UNREACHABLE = 1


def _configure() -> tuple[Settings, int]:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return Settings(token=""), EXIT_CONFIG
    if not settings.token:
        print(TOKEN_HELP, file=sys.stderr, end="")
        return settings, EXIT_CONFIG
    return settings, 0


def run_bot() -> int:
    """Start the bot; return 2 with a readable message when it cannot start."""
    settings, status = _configure()
    if status:
        return status
    try:
        bundle = load_policy_file(settings.policy_file)
    except PolicyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    discord.utils.setup_logging(level=getattr(logging, settings.log_level, logging.INFO), root=True)
    try:
        return asyncio.run(_run(settings, bundle))
    except KeyboardInterrupt:
        return 0


async def _run(settings: Settings, bundle: PolicyBundle) -> int:
    try:
        async with open_from_settings(settings, policy=bundle) as bot, bot:
            await bot.start(settings.token)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except discord.LoginFailure:
        print("error: Discord refused the token in DISCORD_TOKEN; reset it in the developer portal", file=sys.stderr)
        return EXIT_CONFIG
    except discord.PrivilegedIntentsRequired:
        print(
            "error: enable the Server Members and Message Content intents for the bot in the developer portal",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    except (aiohttp.ClientError, OSError) as exc:
        print(f"error: cannot reach Discord ({exc}); check the network and try again", file=sys.stderr)
        return EXIT_UNREACHABLE
    return 0


async def sync_commands(guild_id: int | None) -> int:
    """Log in, sync the slash commands (to one guild, or globally), log out."""
    settings, status = _configure()
    if status:
        return status
    try:
        async with open_bot(settings.database, settings.policy_file) as bot, bot:
            await bot.login(settings.token)  # runs setup_hook: the cogs register their commands
            guild = discord.Object(guild_id) if guild_id else None
            if guild is not None:
                bot.tree.copy_global_to(guild=guild)
            synced = await bot.tree.sync(guild=guild)
            print(f"synced {len(synced)} commands " + (f"to guild {guild_id}" if guild_id else "globally"))
    except (PolicyError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except discord.LoginFailure:
        print("error: Discord refused the token in DISCORD_TOKEN", file=sys.stderr)
        return EXIT_CONFIG
    return 0
