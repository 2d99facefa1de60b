"""`python -m bot demo`: the real bot in a simulated Discord, playing a short scene from the forum's life.

SimCord is needed only here, so this module imports it lazily and says how to install it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import sys
from typing import TextIO

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
# What `simcord[preview]` brings (module names), checked before the scene so a missing one is said up front.
PREVIEW_MODULES = ("aiohttp", "markdown_it", "linkify_it", "regex", "PIL")
INSTALL_HINT = "run `make demo`, or install the demo extra: .venv/bin/pip install -e '.[demo]'"


def missing_modules(*, interactive: bool) -> list[str]:
    """The packages the demo needs that are not installed."""
    needed = ("simcord", *PREVIEW_MODULES) if interactive else ("simcord",)
    return [name for name in needed if importlib.util.find_spec(name) is None]


def run_demo(*, interactive: bool = False, port: int = 0, out: TextIO | None = None) -> int:
    """Play the demo in this process; return the exit status."""
    missing = missing_modules(interactive=interactive)
    if missing:
        print(f"error: the demo needs {', '.join(missing)}; {INSTALL_HINT}", file=sys.stderr)
        return EXIT_USAGE
    stream = out or sys.stdout
    if stream is sys.stdout and hasattr(sys.stdout, "reconfigure"):
        # A terminal that cannot show ✔ or → still gets the whole transcript.
        sys.stdout.reconfigure(errors="replace")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    # discord.py's start-up notes (no voice libraries, how SimCord's READY looks) are not news here.
    logging.getLogger("discord").setLevel(logging.ERROR)
    from bot.demo.runner import play

    try:
        return asyncio.run(play(stream, interactive=interactive, port=port))
    except KeyboardInterrupt:
        print("\nThe demo was interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
