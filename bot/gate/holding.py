"""Holding: store a message that must wait for a moderator, remove the original, let the outbox tell of it.

A hold is two store transactions around the delete: the first stores the item with its
attachments, its outbox rows (waiting), the member's count and, for a new member's link, the raid
sighting (and the raid card, when it starts a raid); the second records how the removal went,
lets the rows go and reads the item back. A crash between them
leaves an open item whose original is not marked removed: start-up reconciliation removes it
and releases the rows, so nothing is lost and nothing is said twice.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

import aiohttp
import discord

from bot.community import Community
from bot.gate.facts import held_item, read_attachments
from bot.gate.inflight import InFlight, tracked
from bot.gate.outbox import OutboxWorker
from bot.gate.publisher import Publisher
from bot.gate.raid import BulkDeleter, RaidWatch
from bot.models import HeldItem, RaidNote
from bot.rules import Reason, Verdict
from bot.store import Store

log = logging.getLogger(__name__)

HELD_MEMORY = 20_000
_LINK_REASONS = frozenset({Reason.EXTERNAL_LINK, Reason.SHORTENED_LINK, Reason.MEDICAL_SITE, Reason.INVITE})


class Holder:
    """Holds messages: stores them, removes the originals, releases their outbox rows."""

    def __init__(
        self,
        community: Community,
        publisher: Publisher,
        raid: RaidWatch,
        bulk: BulkDeleter,
        outbox: OutboxWorker,
        inflight: InFlight,
    ) -> None:
        self.community = community
        self.publisher = publisher
        self.raid = raid
        self.bulk = bulk
        self.outbox = outbox
        self.inflight = inflight
        # Messages this process held (their edits follow into the held copy).
        self.held: OrderedDict[int, None] = OrderedDict()
        # Messages whose hold is under way in this process: start-up reconciliation leaves them to it.
        self.holding: set[int] = set()

    @property
    def store(self) -> Store:
        """The store behind the community cache."""
        return self.community.store

    def note_held(self, message_id: int) -> None:
        self.held[message_id] = None
        if len(self.held) > HELD_MEMORY:
            self.held.popitem(last=False)

    @tracked
    async def hold(
        self, message: discord.Message, verdict: Verdict, *, starter_of: discord.Thread | None, edited: bool
    ) -> HeldItem:
        """Store the message, its attachments and what must be said of it; remove the original; let the outbox go."""
        self.holding.add(message.id)
        try:
            return await self._hold(message, verdict, starter_of=starter_of, edited=edited)
        finally:
            self.holding.discard(message.id)

    async def _hold(
        self, message: discord.Message, verdict: Verdict, *, starter_of: discord.Thread | None, edited: bool
    ) -> HeldItem:
        try:
            attachments = await read_attachments(message)
        except discord.HTTPException as exc:
            # The bytes could not be fetched: keep the message anyway (and say so in the logs).
            log.error("guild=%s message=%s: could not read attachments (%s)", message.guild, message.id, exc)
            attachments = ()
        new = held_item(
            message,
            verdict,
            attachments,
            starter_of=starter_of,
            edited=edited,
            webhook_name=self.publisher.webhook_name(message.webhook_id),
        )
        raider = Reason.NEW_MEMBER in verdict.reasons and bool(_LINK_REASONS & set(verdict.reasons))
        raid = await self.community.raid(new.guild_id)  # cached with the policy the verdict used

        def raid_note(item: HeldItem) -> RaidNote | None:
            # Asked inside the hold's transaction, once the item is new: the sighting is kept with it (a restart
            # mid-raid carries on), with the raid card if this one starts a raid.
            if not raider:
                return None
            started = self.raid.note(item.guild_id, item.author_id, item.external_domains, raid)
            watch = self.raid.state(item.guild_id)
            return RaidNote(
                watch.sightings[-1],
                active=watch.active,
                raid_size=watch.raid_size,
                forget_before=self.raid.window_start(item.guild_id),
                starts_raid=started,
            )

        # One transaction before the delete, one after it; a crash between them is finished at start-up.
        item, member, created = await self.store.holds.hold(new, raid_note=raid_note)
        if not created:
            return item  # the same message arrived twice; the first delivery handles it
        self.note_held(item.message_id)
        self.community.remember_member(member)
        # The card and the DM wait until the original is dealt with (the card says if it could not be).
        item = await self.remove_original(item, message, starter_of)
        self.outbox.kick()
        return item

    async def remove_original(
        self,
        item: HeldItem,
        message: discord.Message | discord.PartialMessage | None,
        starter_of: discord.Thread | None,
    ) -> HeldItem:
        """Delete the original, record how that went and let the item's waiting rows go; the item as it now is."""
        removed, error = await self._delete(item, message, starter_of)
        return await self.store.holds.settle(item.id, removed=removed, error=error)

    async def _delete(
        self,
        item: HeldItem,
        message: discord.Message | discord.PartialMessage | None,
        starter_of: discord.Thread | None,
    ) -> tuple[bool, str | None]:
        """(True, None) when the original is gone; (False, why) when it cannot be; (False, None) to retry later."""
        try:
            if starter_of is not None:
                # A held forum post is removed whole: its title is published with it.
                await starter_of.delete()
            elif (
                message is not None
                and self.raid.bulk_delete(item.guild_id, await self.community.raid(item.guild_id))
                and isinstance(message.channel, discord.TextChannel | discord.Thread)
            ):
                await self.bulk.delete(message.channel, message.id)
            elif message is not None:
                await message.delete()
        except discord.NotFound:
            pass  # already gone
        except discord.Forbidden as exc:
            log.error(
                "cannot remove held message guild=%s channel=%s message=%s: %s (needs Manage Messages)",
                item.guild_id,
                item.target_channel_id,
                item.message_id,
                exc.text or exc.status,
            )
            return False, "I lack the Manage Messages permission there"
        except (discord.HTTPException, OSError, aiohttp.ClientError, TimeoutError) as exc:
            # A network failure counts as a Discord error: the card still goes, the removal is retried at start-up.
            log.error(
                "removing held message guild=%s message=%s failed (%s); will retry at start-up",
                item.guild_id,
                item.message_id,
                exc.status if isinstance(exc, discord.HTTPException) else type(exc).__name__,
            )
            return False, None
        return True, None
