"""The mirror's settings from the environment: defaults, the Vanilla source, and readable mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_FORUM_FILE, MirrorSettings, Settings, SettingsError


def test_defaults_read_the_shipped_file_with_no_network() -> None:
    settings = Settings.from_env({}, dotenv=None).mirror
    assert settings == MirrorSettings()
    assert (settings.source, settings.file, settings.sync_minutes, settings.channel_type) == (
        "file",
        DEFAULT_FORUM_FILE,
        0,
        "text",
    )


def test_the_vanilla_source_with_its_token_from_the_named_variable(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("FORUM_BRIDGE_VANILLA_TOKEN_ENV=FORUM_API_TOKEN\nFORUM_API_TOKEN=va.s3cret\n", encoding="utf-8")
    environ = {
        "FORUM_BRIDGE_MIRROR_SOURCE": "Vanilla",
        "FORUM_BRIDGE_VANILLA_URL": "https://forum.spine-health.com/",
        "FORUM_BRIDGE_MIRROR_SYNC_MINUTES": "30",
        "FORUM_BRIDGE_MIRROR_CHANNELS": "forum",
        "FORUM_BRIDGE_MIRROR_FILE": "elsewhere.toml",
    }
    settings = Settings.from_env(environ, dotenv=dotenv).mirror
    assert settings.source == "vanilla"
    assert settings.base_url == "https://forum.spine-health.com"
    assert (settings.token_env, settings.token) == ("FORUM_API_TOKEN", "va.s3cret")
    assert (settings.sync_minutes, settings.channel_type, settings.file) == (30, "forum", Path("elsewhere.toml"))
    assert "va.s3cret" not in repr(settings)


def test_the_default_token_variable() -> None:
    settings = MirrorSettings.from_values({"VANILLA_API_TOKEN": "t"})
    assert (settings.token_env, settings.token) == ("VANILLA_API_TOKEN", "t")


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"FORUM_BRIDGE_MIRROR_SOURCE": "api"}, "must be one of file, vanilla, not 'api'"),
        ({"FORUM_BRIDGE_MIRROR_SOURCE": "vanilla"}, "FORUM_BRIDGE_VANILLA_URL must be set"),
        ({"FORUM_BRIDGE_VANILLA_URL": "forum.example"}, "must start with https:// or http://"),
        ({"FORUM_BRIDGE_MIRROR_SYNC_MINUTES": "hourly"}, "a whole number of minutes, not 'hourly'"),
        ({"FORUM_BRIDGE_MIRROR_SYNC_MINUTES": "-5"}, "a whole number of minutes"),
        ({"FORUM_BRIDGE_MIRROR_CHANNELS": "voice"}, "must be one of text, forum, not 'voice'"),
    ],
)
def test_mistakes_are_named(values: dict[str, str], words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        MirrorSettings.from_values(values)
