"""`/queue list | stats`, `/queue-admin reminders`, the queue's paging buttons, and the reminder task."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.checks import ADMIN, MODERATOR, admin_only, command_group, moderator_only
from bot.client import ForumBridge
from bot.queue import words
from bot.queue.buttons import DYNAMIC_ITEMS
from bot.queue.service import SHORTEST_SLEEP_S
from cogs.replies import guild_id_of, reply

log = logging.getLogger(__name__)

# The reminder task wakes this often, but reads the database only when an item may be due.
REMINDER_TICK_MINUTES = 5
MAX_STATS_DAYS = 365
MAX_REMINDER_HOURS = 720


class Queue(commands.Cog):
    """Thin adapter over bot.queue."""

    queue = command_group("queue", "The review queue: what is waiting, how decisions go", MODERATOR)
    # Its own top-level command: Discord shows every subcommand to whom its top-level command is shown.
    queue_admin = command_group("queue-admin", "The review queue's settings (admins): reminders", ADMIN)

    def __init__(self, bot: ForumBridge) -> None:
        self.bot = bot
        self.service = bot.services.queue
        # When the reminder task next needs the database; None: at the next tick.
        self._next_round: datetime | None = None
        self._reminders: tasks.Loop[Any] = tasks.loop(minutes=REMINDER_TICK_MINUTES)(self._tick)
        self._reminders.before_loop(self.bot.wait_until_ready)

    async def cog_load(self) -> None:
        """Register the paging buttons (lists posted before a restart keep paging) and start reminders."""
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self._reminders.start()

    async def cog_unload(self) -> None:
        """Stop reminders and unregister the buttons."""
        self._reminders.cancel()
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    async def _tick(self) -> None:
        # Most ticks cost nothing: the last round said when the next item falls due (at most an
        # hour ahead, so items held since are never missed).
        now = self.service.now()
        if self._next_round is not None and now < self._next_round:
            return
        try:
            delay = await self.service.remind_round()
        except Exception:
            # An error escaping a tasks.loop ends the loop for good; the next round may succeed.
            log.exception("queue reminders failed; trying again in %d seconds", SHORTEST_SLEEP_S)
            delay = SHORTEST_SLEEP_S
        self._next_round = now + timedelta(seconds=delay)

    async def _private_unless_moderator_channel(self, interaction: discord.Interaction[ForumBridge]) -> bool:
        # In the moderator channel the team sees the reply together; anywhere else only the asker does.
        return not await self.service.is_moderator_channel(guild_id_of(interaction), interaction.channel_id)

    @queue.command(name="list", description="Pending held messages, oldest first, with links to their cards")
    @moderator_only()
    async def list_command(self, interaction: discord.Interaction[ForumBridge]) -> None:
        """Reply with the first page of the pending list."""
        ephemeral = await self._private_unless_moderator_channel(interaction)
        # Answer Discord within its 3 seconds before reading the store, however busy it is.
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        embed, view = await self.service.page(guild_id_of(interaction), 0)
        await reply(interaction, embed=embed, view=view, ephemeral=ephemeral)

    @queue.command(name="stats", description="Held by reason, approval rates, time to decision, busiest moderators")
    @app_commands.describe(days=f"how many days back to count (1 to {MAX_STATS_DAYS}; default 30)")
    @moderator_only()
    async def stats_command(self, interaction: discord.Interaction[ForumBridge], days: int = 30) -> None:
        """Reply with the statistics and a chart."""
        if not 1 <= days <= MAX_STATS_DAYS:
            await reply(interaction, f"`days` must be between 1 and {MAX_STATS_DAYS}; you gave {days}.")
            return
        ephemeral = await self._private_unless_moderator_channel(interaction)
        # A month of decisions takes a while to read and chart: answer Discord's 3-second deadline first.
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        embed, file = await self.service.stats(guild_id_of(interaction), days)
        await reply(interaction, embed=embed, file=file, ephemeral=ephemeral)

    @queue_admin.command(name="reminders", description="Remind the moderator role of messages waiting longer than this")
    @app_commands.describe(hours=f"hours a message may wait before a reminder (1 to {MAX_REMINDER_HOURS}; 0 = off)")
    @admin_only()
    async def reminders_command(self, interaction: discord.Interaction[ForumBridge], hours: int | None = None) -> None:
        """Set the reminder period, or show it when no hours are given."""
        guild_id = guild_id_of(interaction)
        if hours is not None and not 0 <= hours <= MAX_REMINDER_HOURS:
            await reply(interaction, f"`hours` must be between 0 (off) and {MAX_REMINDER_HOURS}; you gave {hours}.")
            return
        # Answer Discord within its 3 seconds before reading or writing the store.
        await interaction.response.defer(ephemeral=True, thinking=True)
        if hours is None:
            current = await self.service.reminder_period(guild_id)
            text = (
                "Queue reminders are off. Turn them on with `/queue-admin reminders hours:12`."
                if current == 0
                else f"The moderator role is reminded of held messages waiting more than {words.hours_text(current)}."
            )
            await reply(interaction, text)
            return
        await self.service.set_reminder_period(guild_id, hours * 3600, actor_id=interaction.user.id)
        # The next round was worked out from the old period.
        self._next_round = None
        if hours == 0:
            text = "Queue reminders are now off."
        else:
            text = (
                f"Done: the moderator role will be reminded, in the moderator channel, of held messages waiting"
                f" more than {words.hours_text(hours * 3600)}, and again every {words.hours_text(hours * 3600)}"
                " while they wait."
            )
        await reply(interaction, text)


async def setup(bot: ForumBridge) -> None:
    """Load the cog."""
    await bot.add_cog(Queue(bot))
