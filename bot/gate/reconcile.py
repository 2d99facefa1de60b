"""Start-up recovery: take up raid watches, finish every hold or decision a crash interrupted, start the outbox."""

from __future__ import annotations

import logging
from datetime import timedelta

import discord

from bot.community import Community
from bot.gate.holding import Holder
from bot.gate.inflight import InFlight, tracked
from bot.gate.notices import Notices
from bot.gate.outbox import OutboxWorker
from bot.gate.raid import RaidWatch
from bot.gate.recovery import Recovery
from bot.gate.screening import Screener
from bot.models import HeldItem, ItemState, OutboxKind
from bot.store import Store

log = logging.getLogger(__name__)

ALLOWED_KEPT = timedelta(days=180)  # what allowed messages carried is forgotten after this long


class Reconciler:
    """What the gate does once at start-up (and when /setup gives a guild a moderator channel)."""

    def __init__(
        self,
        client: discord.Client,
        community: Community,
        raid: RaidWatch,
        screener: Screener,
        holder: Holder,
        recovery: Recovery,
        notices: Notices,
        outbox: OutboxWorker,
        inflight: InFlight,
    ) -> None:
        self.client = client
        self.community = community
        self.raid = raid
        self.screener = screener
        self.holder = holder
        self.recovery = recovery
        self.notices = notices
        self.outbox = outbox
        self.inflight = inflight

    @property
    def store(self) -> Store:
        """The store behind the community cache."""
        return self.community.store

    async def load_raids(self) -> None:
        """Take up the raid watches as a previous run left them (before any message is screened)."""
        for state in await self.store.raid.states():
            self.raid.restore(state, await self.community.raid(state.guild_id))

    @tracked
    async def reconcile(self) -> int:
        """Finish every hold or decision a crash interrupted, and start the outbox; returns items touched."""
        self.screener.listening()
        # Held messages still up (their removal failed) can still be edited: the held copy must follow.
        for message_id in await self.store.items.open_message_ids_still_up():
            self.holder.note_held(message_id)
        oldest = discord.utils.time_snowflake(discord.utils.utcnow() - ALLOWED_KEPT)
        forgotten = await self.store.screening.forget_allowed_before(oldest)
        if forgotten:
            log.info("forgot what %d allowed messages older than %s days carried", forgotten, ALLOWED_KEPT.days)
        recovered = await self.recovery.recover()
        await self.notices.expire_notices()  # the closed-DM notices a restart left up
        retried = await self.store.outbox.requeue_failed()
        touched = 0
        for item in await self.store.items.unfinished():
            if item.message_id in self.holder.holding:
                continue  # a live hold (start-up can come after the first messages) finishes it
            touched += 1
            try:
                await self._reconcile_item(item)
            except discord.HTTPException as exc:
                log.error("reconciling item %s failed (%s %s)", item.id, exc.status, exc.text)
        if touched or recovered or retried:
            log.info(
                "reconciled %d unfinished items; %d outbox rows were in flight, %d retried", touched, recovered, retried
            )
        self.outbox.kick()
        return touched

    async def _reconcile_item(self, item: HeldItem) -> None:
        if item.is_open:
            if not item.original_removed and item.removal_error is None:
                thread = self.client.get_channel(item.thread_id) if item.is_forum_post and item.thread_id else None
                starter_of = thread if isinstance(thread, discord.Thread) else None
                item = await self.holder.remove_original(item, self._partial_original(item), starter_of)
            if item.card_message_id is None:
                await self.store.outbox.enqueue(item.id, (OutboxKind.CARD,))  # a hold from before the outbox
            await self.store.outbox.release(item.id)
            return
        kinds = [OutboxKind.CARD_UPDATE]
        if item.state in (ItemState.APPROVED, ItemState.RESTORED) and item.repost_message_id is None:
            kinds.append(OutboxKind.REPOST)
        if not item.author_notified:
            kinds.append(OutboxKind.DECISION_DM)
        await self.store.outbox.enqueue(item.id, kinds)

    def _partial_original(self, item: HeldItem) -> discord.PartialMessage | None:
        channel = self.client.get_channel(item.target_channel_id)
        # A voice or stage channel's text chat holds messages too.
        if isinstance(channel, discord.TextChannel | discord.Thread | discord.VoiceChannel | discord.StageChannel):
            return channel.get_partial_message(item.message_id)
        return None

    async def moderator_channel_ready(self, guild_id: int) -> None:
        """/setup gave the guild a moderator channel: send the cards that waited for one or failed on the old one."""
        retried = await self.store.outbox.requeue_failed(guild_id)
        if retried:
            log.info(
                "guild %s: %d outbox rows that had failed are tried again in the new moderator channel",
                guild_id,
                retried,
            )
        self.outbox.kick()
