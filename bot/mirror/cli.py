"""`python -m bot mirror preview`: the Discord channels the forum calls for, without touching Discord."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from bot.mirror.model import ChannelKind, ForumTree
from bot.mirror.plan import MirrorOptions, desired_tree
from bot.mirror.source import ForumSourceError, load_forum_file
from bot.mirror.vanilla import VanillaClient
from bot.mirror.words import tree_text
from bot.settings import MirrorSettings, SettingsError, read_dotenv

EXIT_SOURCE = 2


def run_preview(
    *,
    source: str | None = None,
    file: Path | None = None,
    base_url: str | None = None,
    channels: str | None = None,
    environ: Mapping[str, str] | None = None,
    dotenv: Path | None = Path(".env"),
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Print the desired tree from the configured source (flags override the settings); 2 on any error."""
    logging.basicConfig(level=logging.WARNING, stream=err, format="%(levelname)s %(message)s")
    values = dict(read_dotenv(dotenv)) if dotenv is not None else {}
    values.update(os.environ if environ is None else environ)
    overrides = {
        "FORUM_BRIDGE_MIRROR_SOURCE": source,
        "FORUM_BRIDGE_MIRROR_FILE": str(file) if file is not None else None,
        "FORUM_BRIDGE_VANILLA_URL": base_url,
        "FORUM_BRIDGE_MIRROR_CHANNELS": channels,
    }
    values.update({key: value for key, value in overrides.items() if value is not None})
    try:
        settings = MirrorSettings.from_values(values)
        tree = read_tree(settings)
    except (SettingsError, ForumSourceError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_SOURCE
    kind = ChannelKind.FORUM if settings.channel_type == "forum" else ChannelKind.TEXT
    try:
        print(
            tree_text(
                desired_tree(tree.categories, MirrorOptions(channel_kind=kind), left_out=tree.left_out), tree.source
            ),
            file=out,
        )
        out.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


def read_tree(settings: MirrorSettings) -> ForumTree:
    """The category tree from the file or the forum's API."""
    if settings.source == "vanilla":
        return asyncio.run(VanillaClient(settings.base_url, token=settings.token).fetch_tree())
    return load_forum_file(settings.file)
