"""The review queue on Discord: list pages, statistics with a chart, and reminders to the moderator role.

Built once per client (`bot.services.queue`) and shared by the cog, its paging buttons and the reminder
task; it keeps no state of its own over the store and the community cache. "Now" comes from `now`
(Discord's clock by default), so tests drive reminders with SimCord's virtual clock.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import groupby

import discord

from bot.community import Community
from bot.models import QueueEntry
from bot.queue import chart, words
from bot.queue.buttons import page_view
from bot.queue.due import due_for_reminder, seconds_until_next_round
from bot.queue.stats import queue_stats

log = logging.getLogger(__name__)

CHART_FILENAME = "queue-stats.png"
# The reminder task waits until the next item falls due, but never longer than the shortest period
# an admin can set (so items held meanwhile are on time) nor shorter than a retry's pause.
LONGEST_SLEEP_S = 3600.0
SHORTEST_SLEEP_S = 300.0
EMBED_COLOUR = discord.Colour.gold()


class QueueService:
    """What `/queue`, its paging buttons and the reminder task do."""

    def __init__(
        self, client: discord.Client, community: Community, *, now: Callable[[], datetime] = discord.utils.utcnow
    ) -> None:
        self.client = client
        self.community = community
        self.now = now

    async def page(self, guild_id: int, page: int) -> tuple[discord.Embed, discord.ui.View]:
        """One page of the pending list and its Previous/Next buttons."""
        entries = await self.community.store.queue.entries(guild_id)
        page = words.clamp_page(page, len(entries))
        description, footer = words.page_text(entries, page)
        embed = discord.Embed(title=words.list_title(len(entries)), description=description, colour=EMBED_COLOUR)
        embed.set_footer(text=footer)
        return embed, page_view(page, words.page_count(len(entries)))

    async def is_moderator_channel(self, guild_id: int, channel_id: int | None) -> bool:
        """True in the guild's moderator channel, where the team may see a reply together."""
        settings = await self.community.settings(guild_id)
        return channel_id is not None and channel_id == settings.moderator_channel_id

    async def stats(self, guild_id: int, days: int) -> tuple[discord.Embed, discord.File | None]:
        """The statistics of the items held in the last `days` days, with a bar chart by reason."""
        since = self.now() - timedelta(days=days)
        facts = await self.community.store.queue.decision_facts(guild_id, since)
        stats = queue_stats(facts, reason_order=words.REASON_ORDER)
        text = words.stats_text(stats, days)
        embed = discord.Embed(title="Review queue statistics", colour=EMBED_COLOUR)
        file = None
        if stats.by_reason:
            png = chart.stacked_bars([(g.approved, g.rejected, g.undecided) for g in stats.by_reason])
            file = discord.File(io.BytesIO(png), filename=CHART_FILENAME)
            embed.set_image(url=f"attachment://{CHART_FILENAME}")
            text = f"{text}\n\n{words.CHART_LEGEND}"
        embed.description = text[:4096]
        return embed, file

    async def reminder_period(self, guild_id: int) -> int:
        """The guild's reminder period in seconds (0: off)."""
        return await self.community.store.guilds.reminder_after(guild_id)

    async def set_reminder_period(self, guild_id: int, seconds: int, *, actor_id: int) -> None:
        """Set the reminder period, and note who did it in the audit log."""
        await self.community.store.guilds.set_reminder_after(guild_id, seconds)
        await self.community.store.decisions.audit(guild_id, "queue_reminders", actor_id=actor_id, detail=f"{seconds}s")

    async def remind_round(self) -> float:
        """Post the reminders due now; return how many seconds the task may sleep before the next round."""
        await self.remind_all()
        candidates = await self.community.store.queue.reminder_candidates()
        return seconds_until_next_round(candidates, self.now(), shortest=SHORTEST_SLEEP_S, longest=LONGEST_SLEEP_S)

    async def remind_all(self) -> int:
        """Post one reminder per guild listing every item due one; return how many reminders were posted."""
        now = self.now()
        posted = 0
        candidates = await self.community.store.queue.reminder_candidates()
        for guild_id, group in groupby(candidates, key=lambda pair: pair[0].guild_id):
            pairs = list(group)
            period = pairs[0][1]
            due = due_for_reminder([entry for entry, _ in pairs], period, now)
            if not due:
                continue
            try:
                if await self._remind(guild_id, due, period, now):
                    posted += 1
            except Exception:
                # One guild's failure must not stop the others, nor end the task.
                log.exception("guild=%s: the queue reminder failed", guild_id)
        return posted

    async def _remind(self, guild_id: int, due: list[QueueEntry], period: int, now: datetime) -> bool:
        guild = self.client.get_guild(guild_id)
        if guild is None:
            # Not (or no longer) in that guild: nobody to remind. Counted as reminded, so the task
            # does not come back for these items every few minutes.
            await self.community.store.queue.mark_reminded([entry.id for entry in due], now)
            return False
        settings = await self.community.settings(guild_id)
        channel = guild.get_channel(settings.moderator_channel_id) if settings.moderator_channel_id else None
        if not isinstance(channel, discord.TextChannel):
            # Said once per period, not every round: only an admin's /setup can fix it.
            log.warning(
                "guild=%s: %d items are due a reminder but the moderator channel %s is not a text channel I can see",
                guild_id,
                len(due),
                settings.moderator_channel_id,
            )
            await self.community.store.queue.mark_reminded([entry.id for entry in due], now)
            return False
        role_id = settings.moderator_role_id
        mentions = (
            discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(role_id)])
            if role_id is not None
            else discord.AllowedMentions.none()
        )
        try:
            await channel.send(words.reminder_text(due, period, role_id, now), allowed_mentions=mentions)
        except discord.HTTPException as exc:
            # Not marked as reminded: the next round tries again.
            log.warning(
                "guild=%s channel=%s: could not post the queue reminder (%s, code %s)",
                guild_id,
                channel.id,
                exc.status,
                exc.code,
            )
            return False
        await self.community.store.queue.mark_reminded([entry.id for entry in due], now)
        log.info("guild=%s: reminded the moderators of %d items", guild_id, len(due))
        return True
