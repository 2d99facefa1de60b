"""Listeners that hand every new or edited member message to the gate."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.ext import commands, tasks

from bot.client import ForumBridge
from bot.gate.memory import FLUSH_DELAY_S

log = logging.getLogger(__name__)


class Screening(commands.Cog):
    """Screens messages and edits; the gate decides and acts."""

    def __init__(self, bot: ForumBridge) -> None:
        self.bot = bot
        # What screening remembers (allowed messages' links, channel marks) goes to the database in batches.
        self._memory_writer: tasks.Loop[Any] = tasks.loop(seconds=FLUSH_DELAY_S)(self._write_memory)

    async def cog_load(self) -> None:
        """Start writing screening memory behind."""
        self._memory_writer.start()

    async def cog_unload(self) -> None:
        """Stop the write-behind loop (the client's close writes what is left)."""
        self._memory_writer.cancel()

    async def _write_memory(self) -> None:
        try:
            await self.bot.gate.memory.write()
        except Exception:
            # An error escaping a tasks.loop ends the loop for good; what failed is kept for the next tick.
            log.exception("writing screening memory failed; trying again in %s seconds", FLUSH_DELAY_S)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Screen a new message."""
        await self.bot.gate.screen(message)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """Screen an edit, judged on what it adds."""
        after = payload.message
        if after.guild is None or (after.author.bot and after.webhook_id is None):
            return  # a bot's own messages; a webhook's edit is the gate's to judge (ours are never screened)
        # The gate ignores an update whose text did not change (an embed unfurled, a pin, a thread started).
        await self.bot.gate.screen_edit(after, payload.cached_message)


async def setup(bot: ForumBridge) -> None:
    """Load the cog."""
    await bot.add_cog(Screening(bot))
