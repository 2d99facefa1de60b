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


MIRROR_SOURCES = ("file", "vanilla")
MIRROR_CHANNEL_TYPES = ("text", "forum")
DEFAULT_FORUM_FILE = DATA_DIR / "forum.toml"
DEFAULT_TOKEN_ENV = "VANILLA_API_TOKEN"


@dataclass(frozen=True, slots=True)
class MirrorSettings:
    """Where the forum mirror reads the category tree, and how it shapes the channels."""

    source: str = "file"  # "file" (no network) or "vanilla" (the forum's API)
    file: Path = DEFAULT_FORUM_FILE
    base_url: str = ""  # the Vanilla forum's address, for source = "vanilla"
    token_env: str = DEFAULT_TOKEN_ENV  # the environment variable that holds the API token
    token: str = field(default="", repr=False)  # read from token_env; never logged
    sync_minutes: int = 0  # periodic re-sync; 0 is off
    channel_type: str = "text"  # discussion categories become "text" or "forum" channels

    @classmethod
    def from_values(cls, values: Mapping[str, str]) -> MirrorSettings:
        """Read the FORUM_BRIDGE_MIRROR_* and FORUM_BRIDGE_VANILLA_* settings; raise SettingsError."""
        source = values.get("FORUM_BRIDGE_MIRROR_SOURCE", "file").strip().lower() or "file"
        if source not in MIRROR_SOURCES:
            raise SettingsError(
                f"FORUM_BRIDGE_MIRROR_SOURCE must be one of {', '.join(MIRROR_SOURCES)}, not {source!r}"
            )
        base_url = values.get("FORUM_BRIDGE_VANILLA_URL", "").strip().rstrip("/")
        if base_url and not base_url.startswith(("https://", "http://")):
            raise SettingsError(f"FORUM_BRIDGE_VANILLA_URL must start with https:// or http://, not {base_url!r}")
        if source == "vanilla" and not base_url:
            raise SettingsError("FORUM_BRIDGE_MIRROR_SOURCE is vanilla, so FORUM_BRIDGE_VANILLA_URL must be set")
        token_env = values.get("FORUM_BRIDGE_VANILLA_TOKEN_ENV", "").strip() or DEFAULT_TOKEN_ENV
        minutes = values.get("FORUM_BRIDGE_MIRROR_SYNC_MINUTES", "0").strip() or "0"
        if not minutes.isdigit():
            raise SettingsError(f"FORUM_BRIDGE_MIRROR_SYNC_MINUTES must be a whole number of minutes, not {minutes!r}")
        channel_type = values.get("FORUM_BRIDGE_MIRROR_CHANNELS", "text").strip().lower() or "text"
        if channel_type not in MIRROR_CHANNEL_TYPES:
            raise SettingsError(
                f"FORUM_BRIDGE_MIRROR_CHANNELS must be one of {', '.join(MIRROR_CHANNEL_TYPES)}, not {channel_type!r}"
            )
        return cls(
            source=source,
            file=Path(values.get("FORUM_BRIDGE_MIRROR_FILE", "").strip() or str(DEFAULT_FORUM_FILE)),
            base_url=base_url,
            token_env=token_env,
            token=values.get(token_env, "").strip(),
            sync_minutes=int(minutes),
            channel_type=channel_type,
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot needs to start; the token is kept out of repr and logs."""

    token: str = field(repr=False)
    database: Path = DATA_DIR / "bridge.db"
    policy_file: Path = DEFAULT_POLICY_FILE
    log_level: str = "INFO"
    moderator_channel_id: int | None = None
    moderator_role_id: int | None = None
    mirror: MirrorSettings = field(default_factory=MirrorSettings)

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
            mirror=MirrorSettings.from_values(values),
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
