"""Moderator actions on cards: persistent buttons (registered here) and reactions."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.client import ForumBridge
from bot.gate.buttons import DYNAMIC_ITEMS


class Moderation(commands.Cog):
    """Card buttons and ✅ / ❌ reactions."""

    def __init__(self, bot: ForumBridge) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        """Register the buttons, so cards posted before a restart keep working."""
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        """Unregister the buttons."""
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """A reaction on a card may decide it."""
        await self.bot.gate.decide_from_reaction(payload)


async def setup(bot: ForumBridge) -> None:
    """Load the cog."""
    await bot.add_cog(Moderation(bot))
