"""`--interactive`: the moderator channel as a local web page, where a person decides as Maria.

SimCord's preview serves the channel on 127.0.0.1 and runs every click through the real bot.
The terminal keeps printing the transcript: it polls what people would see and prints once
the world has stopped changing, so a click's effects (card, repost, DM) come out together.
"""

from __future__ import annotations

import asyncio
import contextlib

from simcord import Preview

from bot.demo.transcript import Transcript
from bot.demo.world import DemoWorld

POLL_SECONDS = 0.2


async def serve(
    world: DemoWorld, transcript: Transcript, *, port: int, stop: asyncio.Event, waiting: list[int]
) -> None:
    """Serve the moderator channel until `stop` is set or the page ends the session."""
    maria = world.name(world.maria)
    preview = world.env.preview(world.mod_channel, viewers=[world.maria], layout="channel", port=port)
    async with preview:
        transcript.heading(f"Your turn: you are {maria}, a moderator")
        transcript.say(f"Open the moderator channel in your browser (as {maria}):")
        transcript.say(f"   {preview.url}")
        if waiting:
            cards = ", ".join(f"#{item_id}" for item_id in waiting)
            transcript.say(f"Cards {cards} have buttons: Approve, Approve & allow domain, Reject, Restore anyway.")
        transcript.say("What the members see is printed here as you click. Press Ctrl-C to end.")
        await follow(preview, transcript, stop)


async def follow(preview: Preview, transcript: Transcript, stop: asyncio.Event) -> None:
    """Print the transcript's changes until `stop` is set or the preview closes."""
    ended = asyncio.ensure_future(preview.wait_closed())
    stopping = asyncio.ensure_future(stop.wait())
    printed = last = transcript.signature()
    try:
        while not (ended.done() or stopping.done()):
            await asyncio.wait({ended, stopping}, timeout=POLL_SECONDS)
            now = transcript.signature()
            # Print only once nothing moved for a whole poll, so one click reads as one story.
            if now == last and now != printed:
                await transcript.flush()
                printed = transcript.signature()
            last = now
        await transcript.flush()
    finally:
        for waiter in (ended, stopping):
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
