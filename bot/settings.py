"""Run-time settings from the environment and an optional `.env` file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.policy import DATA_DIR, DEFAULT_POLICY_FILE

TOKEN_HELP = """\
DISCORD_TOKEN is not set, so the bot cannot log in.

To get a token:
  1. Open https://discord.com/developers/applications and create an application.
  2. Under "Bot", reset the token and copy it. Turn on the privileged intents
     "Server Members" and "Message Content".
  3. Put it in a file named .env at the top of this project (it is git-ignored):
         DISCORD_TOKEN=your-token-here
     or export DISCORD_TOKEN in your shell.
"""


class SettingsError(ValueError):
    """A setting has a value the bot cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot needs to start; the token is kept out of repr and logs."""

    token: str = field(repr=False)
    database: Path = DATA_DIR / "bridge.db"
    policy_file: Path = DEFAULT_POLICY_FILE
    log_level: str = "INFO"
    moderator_channel_id: int | None = None
    moderator_role_id: int | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
        """Read settings from the environment, after filling gaps from a `.env` file."""
        values = dict(read_dotenv(dotenv)) if dotenv is not None else {}
        values.update(os.environ if environ is None else environ)
        return cls(
            token=values.get("DISCORD_TOKEN", "").strip(),
            database=Path(values.get("FORUM_BRIDGE_DB", str(DATA_DIR / "bridge.db"))),
            policy_file=Path(values.get("FORUM_BRIDGE_POLICY", str(DEFAULT_POLICY_FILE))),
            log_level=values.get("FORUM_BRIDGE_LOG_LEVEL", "INFO").upper(),
            moderator_channel_id=_optional_id(values, "FORUM_BRIDGE_MOD_CHANNEL_ID"),
            moderator_role_id=_optional_id(values, "FORUM_BRIDGE_MOD_ROLE_ID"),
        )


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines (optional quotes, # comments); a missing file is empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise SettingsError(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _optional_id(values: Mapping[str, str], key: str) -> int | None:
    raw = values.get(key, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise SettingsError(f"{key} must be a Discord ID (digits only), not {raw!r}")
    return int(raw)
