"""Listeners that hand every new or edited member message to the gate."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.client import ForumBridge

log = logging.getLogger(__name__)


class Screening(commands.Cog):
    """Screens messages and edits; the gate decides and acts."""

    def __init__(self, bot: ForumBridge) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Screen a new message."""
        await self.bot.gate.screen(message)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """Screen an edit, judged on what it adds."""
        after = payload.message
        if after.guild is None or after.author.bot or after.webhook_id is not None:
            return
        # The gate ignores an update whose text did not change (an embed unfurled, a pin, a thread started).
        await self.bot.gate.screen_edit(after, payload.cached_message)


async def setup(bot: ForumBridge) -> None:
    """Load the cog."""
    await bot.add_cog(Screening(bot))
