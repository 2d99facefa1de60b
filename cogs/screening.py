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
        if after.guild is None or (after.author.bot and after.webhook_id is None):
            return  # a bot's own messages; a webhook's edit is the gate's to judge (ours are never screened)
        if payload.cached_message is not None and payload.cached_message.content == after.content:
            return  # an embed unfurled, or a pin: the text did not change
        await self.bot.gate.screen_edit(after, payload.cached_message)


async def setup(bot: ForumBridge) -> None:
    """Load the cog."""
    await bot.add_cog(Screening(bot))
