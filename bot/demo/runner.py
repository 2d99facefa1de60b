"""Running the demo: the real bot over a fresh temporary database, in SimCord, no token, no network."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import simcord

from bot.app import open_bot
from bot.demo.interactive import serve
from bot.demo.scene import Scene
from bot.demo.transcript import BOT_NAME, Transcript
from bot.demo.world import DemoSetupError, DemoWorld, build_world, watch
from bot.models import ItemState
from bot.policy import DATA_DIR, load_policy_file
from bot.settings import DEFAULT_FORUM_FILE, MirrorSettings

EXIT_USAGE = 2
_MAX_GROUPS = 10
_MAX_PER_GROUP = 8


async def play(
    out: TextIO,
    *,
    interactive: bool = False,
    port: int = 0,
    stop: asyncio.Event | None = None,
    forum_file: Path = DEFAULT_FORUM_FILE,
) -> int:
    """Play the scene (then serve the moderator channel if interactive); return the exit status."""
    bundle = load_policy_file()
    with tempfile.TemporaryDirectory(prefix="forum-bridge-demo-") as folder:
        try:
            # The same factory, cogs and policy as `make run`; only Discord is simulated, and the
            # mirror reads the forum file (never the forum's API: the demo stays off the network).
            async with (
                open_bot(Path(folder) / "demo.db", bundle, mirror=MirrorSettings(file=forum_file)) as bot,
                simcord.run(bot, check_errors=False) as env,
            ):
                transcript = Transcript(out, bot.store)
                welcome(transcript)
                world = await build_world(env, bot, transcript, source=shown_path(forum_file))
                introduce(world, transcript)
                watch(world, transcript)
                waiting = await Scene(world, transcript).play()
                if interactive:
                    with _stop_on_signals(stop or asyncio.Event()) as stopping:
                        await serve(world, transcript, port=port, stop=stopping, waiting=waiting)
                    transcript.heading("The demo has ended.")
                else:
                    await conclude(world, transcript, waiting)
                errors = env.errors
        except simcord.SetupError as exc:
            # A busy --port, or the preview's packages missing: say so, no traceback.
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except DemoSetupError as exc:
            # An unreadable forum file, most likely: the bot's own words say what is wrong with it.
            print(f"error: the demo cannot play: {exc}", file=sys.stderr)
            return 1
    for error in errors:
        print(f"error: the bot failed during the demo: {error!r}", file=sys.stderr)
    return 1 if errors else 0


def shown_path(path: Path) -> str:
    """The forum file as the transcript names it: data/forum.toml for the shipped one."""
    return f"data/{path.name}" if path.parent == DATA_DIR else str(path)


def welcome(transcript: Transcript) -> None:
    """Say what the demo is."""
    say = transcript.say
    say(f"{BOT_NAME} demo: the real bot, unmodified, in a simulated Discord (SimCord). No token, no network.")
    say("It uses a fresh database in a temporary folder, deleted at the end.")


def introduce(world: DemoWorld, transcript: Transcript) -> None:
    """Say what the server holds now that it is set up, and who is in it."""
    say = transcript.say
    say("")
    say(f'The server "{world.guild.name}" now:')
    groups = world.groups
    for heading, channels in groups[:_MAX_GROUPS]:
        names = " ".join(f"#{channel.name}" for channel in channels[:_MAX_PER_GROUP])
        more = f" and {len(channels) - _MAX_PER_GROUP} more" if len(channels) > _MAX_PER_GROUP else ""
        transcript.block(f"  {heading or 'No category'}: ", f"{names}{more}")
    if len(groups) > _MAX_GROUPS:
        say(f"  … and {len(groups) - _MAX_GROUPS} more categories")
    say(f"  Private: #{world.mod_channel.name} (only the {world.moderators.name} role and the bot can see it)")
    name = world.name
    transcript.block(
        "People: ",
        f"{name(world.ada)} (admin) · {name(world.maria)} (moderator) · {name(world.ruth)} and {name(world.tom)}"
        f" (established members) · {name(world.newcomer)} (a new member, joins during the scene)",
    )
    say(f"The scene is played in #{world.scene_channel.name}; {name(world.maria)} reads #{world.mod_channel.name}.")


async def conclude(world: DemoWorld, transcript: Transcript, waiting: list[int]) -> None:
    """Say what is left for a moderator, and how to decide it in a browser."""
    transcript.heading("The end")
    pending: list[str] = []
    blocked: list[str] = []
    for item_id in waiting:
        item = await world.bot.store.items.get(item_id)
        if item is not None:
            (blocked if item.state is ItemState.BLOCKED else pending).append(f"#{item_id}")
    if pending:
        transcript.say(f"Waiting for a moderator: card {', card '.join(pending)}.")
    if blocked:
        transcript.say(f"Removed, and can still be restored: card {', card '.join(blocked)}.")
    transcript.say("Decide them yourself in a browser: make demo ARGS=--interactive")


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[asyncio.Event]:
    """Ctrl-C (or SIGTERM) sets `stop`, so the demo shuts down in order instead of being interrupted."""
    loop = asyncio.get_running_loop()
    installed: list[tuple[signal.Signals, Any]] = []
    for number in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(number)
        try:
            loop.add_signal_handler(number, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):
            continue  # not the main thread, or Windows: Ctrl-C interrupts as usual
        installed.append((number, previous))
    try:
        yield stop
    finally:
        for number, previous in installed:
            loop.remove_signal_handler(number)
            if previous is not None:  # None: a handler Python did not install, nothing to restore
                # Hand Ctrl-C back to asyncio.run, which interrupts the rest of the shutdown cleanly.
                signal.signal(number, previous)
