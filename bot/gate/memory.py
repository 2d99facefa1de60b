"""What screening remembers across restarts, kept off the database on the hot path.

Two things: what each allowed message already carried (its outside links and addresses), so that
an edit is judged only on what it adds even when discord.py no longer has the message before the
edit (after a restart, or an old message); and the newest message seen in each channel, so that
the start-up catch-up knows where to resume reading.

Both live in memory and are written behind, in one transaction per batch: every FLUSH_DELAY_S
(the screening cog's loop), at once when many changes have piled up, and on shutdown. Only messages that carry
something flaggable are remembered at all; the database is read only for an edit whose message
is neither in discord.py's cache nor in this memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable

from bot.models import AllowedMessage, ChannelMark
from bot.store import DatabaseError, Store

log = logging.getLogger(__name__)

REMEMBERED = 20_000  # allowed messages kept in memory (the database keeps the rest)
FLUSH_DELAY_S = 10.0  # a change reaches the database at most this late (lost in a crash, at worst)
FLUSH_BATCH = 500  # or at once, when this many changes wait


class ScreeningMemory:
    """Allowed messages' flaggables and channel marks: in memory, written behind in batches."""

    def __init__(self, store: Callable[[], Store], *, batch: int = FLUSH_BATCH) -> None:
        self._store = store
        self._batch = batch
        self._allowed: OrderedDict[int, frozenset[str]] = OrderedDict()
        self._pending_allowed: dict[int, AllowedMessage] = {}
        self._marks: dict[int, int] = {}
        # By channel: (guild, message), made a ChannelMark only when written (this runs for every message).
        self._pending_marks: dict[int, tuple[int, int]] = {}
        self._batch_writer: asyncio.Task[bool] | None = None
        self._marks_held = False

    # --- allowed messages ---------------------------------------------------------------

    def remember(self, allowed: AllowedMessage, *, saved: bool = False) -> None:
        """Keep what an allowed message carried; `saved` when the store already has it."""
        self._keep(allowed.message_id, allowed.flaggable)
        if not saved:
            self._pending_allowed[allowed.message_id] = allowed
            self._schedule()

    def _keep(self, message_id: int, flaggable: frozenset[str]) -> None:
        self._allowed[message_id] = flaggable
        self._allowed.move_to_end(message_id)
        if len(self._allowed) > REMEMBERED:
            self._allowed.popitem(last=False)

    def known(self, message_id: int) -> frozenset[str] | None:
        """What an allowed message carried, from memory only (None when not there)."""
        return self._allowed.get(message_id)

    async def carried(self, message_id: int) -> frozenset[str]:
        """What an allowed message carried: memory first, then the database (empty when never remembered)."""
        found = self._allowed.get(message_id)
        if found is not None:
            return found
        try:
            stored = await self._store().screening.allowed_flaggables(message_id)
        except DatabaseError as exc:
            log.error("could not read what message %s carried (%s): judged as carrying nothing", message_id, exc)
            return frozenset()
        if stored is None:
            return frozenset()
        self._keep(message_id, stored)
        return stored

    # --- channel marks ------------------------------------------------------------------

    def saw(self, guild_id: int, channel_id: int, message_id: int) -> None:
        """The bot saw this message: the channel's mark moves forward (never back)."""
        if message_id <= self._marks.get(channel_id, 0):
            return
        self._marks[channel_id] = message_id
        pending = self._pending_marks
        pending[channel_id] = (guild_id, message_id)
        # _schedule's own test, without its call (this runs for every message): it writes only a full batch.
        if len(self._pending_allowed) + (0 if self._marks_held else len(pending)) >= self._batch:
            self._schedule()

    def marks(self) -> dict[int, int]:
        """The newest message this process saw in each channel, by channel id."""
        return dict(self._marks)

    def hold_marks(self) -> None:
        """Keep channel marks out of the database until release_marks (the catch-up reads the old ones)."""
        self._marks_held = True

    def release_marks(self) -> None:
        """Let channel marks be written again."""
        self._marks_held = False

    # --- writing behind -----------------------------------------------------------------

    def _schedule(self) -> None:
        # The regular write is the screening cog's loop (every FLUSH_DELAY_S); a full batch goes at once.
        full = len(self._pending_allowed) + (0 if self._marks_held else len(self._pending_marks)) >= self._batch
        if full and (self._batch_writer is None or self._batch_writer.done()):
            self._batch_writer = asyncio.get_running_loop().create_task(self._write(), name="screening memory batch")

    @property
    def pending(self) -> int:
        """Changes not yet in the database."""
        return len(self._pending_allowed) + len(self._pending_marks)

    async def write(self) -> None:
        """Write what waits (the regular write-behind tick; a no-op when nothing changed)."""
        if self.pending:
            await self._write()

    async def _write(self) -> bool:
        allowed, self._pending_allowed = self._pending_allowed, {}
        marks: dict[int, tuple[int, int]] = {}
        if not self._marks_held:
            marks, self._pending_marks = self._pending_marks, {}
        if not allowed and not marks:
            return True
        try:
            channel_marks = [ChannelMark(channel_id, guild_id, seen) for channel_id, (guild_id, seen) in marks.items()]
            await self._store().screening.save(list(allowed.values()), channel_marks)
        except (DatabaseError, ValueError) as exc:
            # Kept for the next try (newer changes win); a restart before then re-screens a little.
            log.error("could not save screening memory (%d messages, %d channels): %s", len(allowed), len(marks), exc)
            self._pending_allowed = allowed | self._pending_allowed
            self._pending_marks = marks | self._pending_marks
            return False
        return True

    async def flush(self) -> None:
        """Write whatever waits now (shutdown, the end of a catch-up)."""
        batch = self._batch_writer
        if batch is not None and not batch.done():
            await batch
        await self._write()
