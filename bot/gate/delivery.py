"""What the outbox worker sends for each kind of row.

Every send follows the same steps: mark the rows 'sending' (with a nonce), make the request,
then record the Discord message with the rows ('done') in one transaction. A crash between
the request and the record leaves the rows 'sending': at start-up bot/gate/recovery.py looks
for the message on Discord and adopts it, or queues the row again with the same nonce.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import discord

from bot.community import Community
from bot.gate import words
from bot.gate.cards import (
    card_attachment_plan,
    card_embed,
    card_files,
    card_view,
    group_card_embed,
    group_card_view,
    raid_embed,
)
from bot.gate.messages import (
    PUBLISHED,
    author_info,
    decision_dm_file,
    decision_dm_text,
    hold_dm_text,
    jump_url,
    text_channel,
    user_of,
)
from bot.gate.notices import CHANNEL_NOTICE_SECONDS, Notices
from bot.gate.outbox import Lane
from bot.gate.publisher import REPOST_CHANNEL_TYPES, Publisher
from bot.gate.raid import RaidWatch
from bot.gate.recovery import Recovery, card_search_after, repost_search_after
from bot.gate.routing import Router
from bot.models import CardGroup, HeldItem, OutboxKind, OutboxRow
from bot.store import Store

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
_PUBLISHED = PUBLISHED


# discord-api-docs, Opcodes and Status Codes, JSON Error Codes: 50007 "Cannot send messages to this user" is a
# member's closed DMs; 40003 "You are opening direct messages too fast" is a limit on the bot, which passes.
CLOSED_DMS = 50007
DMS_OPENED_TOO_FAST = 40003
DM_LIMIT_ATTEMPTS = 20  # over an hour of waiting (15 s doubling to 5 min), then the next start tries again


def _retry_at(attempts: int) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=min(60, 2**attempts))


def _dm_limit_wait_s(attempts: int) -> float:
    # Discord says nothing of how long the limit lasts: 15 s, doubling up to 5 minutes.
    return float(min(300, 15 * 2 ** min(attempts - 1, 5)))


class GateCourier:
    """Routes, groups and sends the gate's outbox rows."""

    def __init__(
        self,
        store: Store,
        community: Community,
        publisher: Publisher,
        raid: RaidWatch,
        client: discord.Client,
        *,
        recovery: Recovery,
        notices: Notices,
        kick: Callable[[], None],
    ) -> None:
        self.store = store
        self.community = community
        self.publisher = publisher
        self.raid = raid
        self.client = client
        self.recovery = recovery
        self.notices = notices
        self._kick = kick  # wakes the outbox worker
        # The last DM sent to each member in this run: where a search for the next one may start.
        self._last_dm: dict[int, int] = {}
        self.router = Router(community, raid)

    async def route(self, rows: Sequence[OutboxRow]) -> dict[Lane, list[OutboxRow]]:
        """The rows that may go now, by lane, in order; rows that must wait are left out."""
        return await self.router.route(rows)

    async def batch(self, lane: Lane, rows: list[OutboxRow]) -> list[OutboxRow]:
        """The rows of a lane that go together in its next request."""
        return await self.router.batch(lane, rows)

    # --- sending ---------------------------------------------------------------------------

    async def deliver(self, lane: Lane, rows: list[OutboxRow]) -> None:
        """Send one request for these rows and record its outcome."""
        kind = rows[0].kind
        try:
            if kind is OutboxKind.CARD:
                await self._send_card(lane, rows)
            elif kind is OutboxKind.RAID_CARD:
                await self._send_raid_card(lane, rows[0])
            elif kind is OutboxKind.HOLD_DM:
                await self._send_hold_dm(rows)
            elif kind is OutboxKind.REPOST:
                await self._send_repost(rows[0])
            elif kind is OutboxKind.CARD_UPDATE:
                await self._send_card_update(rows)
            else:
                await self._send_decision_dm(rows)
        except discord.HTTPException as exc:
            await self._failed(rows, exc)

    async def _failed(self, rows: list[OutboxRow], exc: discord.HTTPException) -> None:
        attempts = max(row.attempts for row in rows) + 1
        if exc.code == DMS_OPENED_TOO_FAST and attempts < DM_LIMIT_ATTEMPTS:
            # A limit on the bot, not the member's closed DMs: this DM and every other one wait, then go.
            wait = _dm_limit_wait_s(attempts)
            log.warning(
                "outbox: %s for items %s: Discord says DMs are opened too fast (%s %s); no DM for %.0f s",
                rows[0].kind,
                [row.item_id for row in rows],
                exc.status,
                exc.code,
                wait,
            )
            self.router.dms_wait_until = max(self.router.dms_wait_until, time.monotonic() + wait)
            await self.store.outbox.requeue([row.id for row in rows], keep_nonce=True)
            # The worker stops when nothing may go; it is woken when the wait is over.
            asyncio.get_running_loop().call_later(wait + 0.01, self._kick)
            return
        transient = exc.status >= 500 or exc.status == 429
        log.warning(
            "outbox: %s for items %s failed (%s %s)%s",
            rows[0].kind,
            [row.item_id for row in rows],
            exc.status,
            exc.code,
            "; will retry" if transient and attempts < MAX_ATTEMPTS else "",
        )
        retry = _retry_at(attempts) if transient and attempts < MAX_ATTEMPTS else None
        await self.store.outbox.mark_failed([row.id for row in rows], f"{exc.status} {exc.text}", retry_at=retry)

    async def _items(self, rows: Sequence[OutboxRow]) -> list[HeldItem]:
        return await self.store.items.of_rows([row.item_id for row in rows])

    async def _send_card(self, lane: Lane, rows: list[OutboxRow]) -> None:
        store = self.store
        channel = text_channel(self.client, lane[1])
        if channel is None:
            await store.outbox.mark_failed([row.id for row in rows], "the moderator channel is gone")
            return
        ids = [row.id for row in rows]
        if len(rows) == 1:
            [item] = await self._items(rows)
            if item.card_message_id is not None:
                await store.outbox.mark_done(ids, item.card_channel_id, item.card_message_id)
                return
            nonce = rows[0].nonce or f"fbc{rows[0].id}"
            await store.outbox.mark_sending(ids, nonce, search_after=card_search_after(channel, [item]))
            sent = await self._post_card(channel, item, nonce)
            await store.outbox.mark_done(ids, channel.id, sent.id)
            return
        first = rows[0]
        author_id = first.author_id if len({row.author_id for row in rows}) == 1 else None
        # A fresh nonce per group: a batch sent again after a crash may hold other items.
        nonce = f"fbg{first.id}-{secrets.token_hex(4)}"
        group = await store.outbox.create_card_group(first.guild_id, author_id, channel.id, nonce)
        items = await self._items(rows)
        await store.outbox.mark_sending(
            ids, group.nonce, group_id=group.id, search_after=card_search_after(channel, items)
        )
        view = group_card_view(group, items)
        try:
            sent = await channel.send(
                embed=group_card_embed(group, items),
                view=view or discord.utils.MISSING,
                allowed_mentions=discord.AllowedMentions.none(),
                nonce=group.nonce,
            )
        except Exception:
            # The group was never posted: its rows go again afresh (perhaps alone), not as part of a ghost group
            # whose nonce and id they would otherwise keep (and a single card of theirs would never be updated).
            await store.outbox.requeue(ids, keep_nonce=False)
            raise
        await store.outbox.set_card_group_message(group.id, sent.id)
        await store.outbox.mark_done(ids, channel.id, sent.id)
        log.info("outbox: grouped card %s for %d items in channel %s", group.id, len(ids), channel.id)

    async def _post_card(self, channel: discord.TextChannel, item: HeldItem, nonce: str) -> discord.Message:
        """One item's card with what files it can carry; when Discord finds them too large (413), with fewer."""
        store = self.store
        author, record = await author_info(self.client, self.community, item)
        limit = channel.guild.filesize_limit
        text_file = True
        while True:
            embed = card_embed(item, author=author, record=record, upload_limit=limit, text_file=text_file)
            attachments = await store.items.attachments(item.id)
            files = card_files(item, embed, attachments, limit, text_file=text_file)
            view = card_view(item)
            try:
                return await channel.send(
                    embed=embed,
                    view=view or discord.utils.MISSING,
                    files=files or discord.utils.MISSING,
                    allowed_mentions=discord.AllowedMentions.none(),
                    nonce=nonce,
                )
            except discord.HTTPException as exc:
                if exc.status != 413 or not files:
                    raise
                # A card must go out: without a decision from it the item would wait for ever. A file Discord
                # will not take on the card it will not take on the repost either: the card says so, before
                # Approve. The largest goes first; the whole text (a few KiB) last.
                plan = card_attachment_plan(item, embed, attachments, limit, text_file=text_file)
                carried = [position for position, goes in enumerate(plan) if goes]
                log.warning(
                    "item %s: Discord refused the card's files (%s %s); sending it with fewer",
                    item.id,
                    exc.status,
                    exc.code,
                )
                if carried:
                    largest = max(carried, key=lambda position: attachments[position].byte_size)
                    await store.items.drop_attachment_bytes(item.id, [largest])
                    item = await store.items.get(item.id) or item
                else:
                    text_file = False

    async def _send_raid_card(self, lane: Lane, row: OutboxRow) -> None:
        store = self.store
        channel = text_channel(self.client, lane[1])
        item = await store.items.get(row.item_id)
        if channel is None or item is None:
            await store.outbox.mark_failed([row.id], "the moderator channel is gone")
            return
        nonce = row.nonce or f"fbr{row.id}"
        await store.outbox.mark_sending([row.id], nonce, search_after=card_search_after(channel, [item]))
        sent = await channel.send(
            embed=raid_embed(item, self.raid.describe(item.guild_id)),
            allowed_mentions=discord.AllowedMentions.none(),
            nonce=nonce,
        )
        await store.outbox.mark_done([row.id], channel.id, sent.id)

    async def _send_hold_dm(self, rows: list[OutboxRow]) -> None:
        items = await self._items(rows)
        decided = {item.id for item in items if not item.is_open}
        if decided:
            # Decided before the DM went (a backlog, a raid's slow lane): the decision DM says it all.
            await self.store.outbox.mark_done([row.id for row in rows if row.item_id in decided], None, None)
            rows = [row for row in rows if row.item_id not in decided]
            items = [item for item in items if item.id not in decided]
            if not rows:
                return
        if not await self._send_dm(rows, items, hold_dm_text(items), nonce_prefix="fbh", about="the hold"):
            # A closed DM must not leave the author wondering where their message went.
            await self._channel_notice(items)

    async def _send_dm(
        self,
        rows: list[OutboxRow],
        items: list[HeldItem],
        text: str,
        *,
        nonce_prefix: str,
        about: str,
        file: discord.File | None = None,
    ) -> bool:
        """DM the rows' author once for all of them; False when their DMs are closed (other errors raise)."""
        store = self.store
        ids = [row.id for row in rows]
        nonce = rows[0].nonce or f"{nonce_prefix}{rows[0].id}"
        # The DM comes after the messages it tells of, and after the last DM this run sent the member.
        after = max([item.message_id for item in items] + [self._last_dm.get(rows[0].author_id, 0)])
        await store.outbox.mark_sending(ids, nonce, search_after=after)
        try:
            user = await user_of(self.client, rows[0].author_id, rows[0].guild_id)
            sent = await user.send(text, nonce=nonce, file=file or discord.utils.MISSING)
        except discord.HTTPException as exc:
            if exc.code != CLOSED_DMS:
                # A limit (40003, 429), Discord's trouble (5xx) or anything else is not closed DMs: the worker
                # retries it, and the author is not told in public that their DMs are closed.
                raise
            log.info(
                "items %s: could not DM author %s about %s (%s)",
                [row.item_id for row in rows],
                rows[0].author_id,
                about,
                exc.code,
            )
            await store.outbox.mark_done(ids, None, None)
            return False
        self._last_dm[rows[0].author_id] = sent.id
        await store.outbox.mark_done(ids, sent.channel.id, sent.id)
        return True

    async def _channel_notice(self, items: list[HeldItem], *, decided: bool = False) -> None:
        """A short public notice where the author posted, when their DMs are closed (of the hold, or the decision)."""
        item = next((i for i in items if not i.is_forum_post), None)
        if item is None:
            return  # the post's thread is gone: there is nowhere public to say it
        channel = self.client.get_channel(item.target_channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            return
        mention = f"<@{item.author_id}>"
        if decided:
            text = words.decision_channel_notice(mention, items, jump_url(items[0]) if len(items) == 1 else None)
        else:
            text = words.channel_notice(mention, item)
        if not await self.notices.post_notice(channel, item.guild_id, item.author_id, text, CHANNEL_NOTICE_SECONDS):
            log.warning("guild=%s item=%s: could not post a notice either", item.guild_id, item.id)

    async def _send_repost(self, row: OutboxRow) -> None:
        store = self.store
        item = await store.items.get(row.item_id)
        if item is None:
            await store.outbox.mark_failed([row.id], "the item is gone")
            return
        if item.repost_message_id is not None:
            await store.outbox.mark_done([row.id], item.repost_channel_id, item.repost_message_id)
            return
        guild = self.client.get_guild(item.guild_id)
        channel = guild.get_channel(item.channel_id) if guild else None
        if not isinstance(channel, REPOST_CHANNEL_TYPES):
            log.error("item %s: channel %s is gone; cannot publish", item.id, item.channel_id)
            await store.outbox.mark_failed([row.id], "the channel is gone")
            await store.outbox.rearm(item.id, OutboxKind.CARD_UPDATE)
            return
        if row.attempts:
            # A retry: a part the failed attempt never heard back about may have reached Discord all the same.
            found = await self.recovery.find_repost(item, after=row.search_after)
            if found is not None:
                await store.outbox.mark_done([row.id], *found)
                await store.outbox.rearm(item.id, OutboxKind.CARD_UPDATE)
                return
        after = repost_search_after(channel, item)  # where a search after a crash reads on from
        await store.outbox.mark_sending([row.id], row.nonce or f"fbp{row.id}", search_after=after)

        async def record(position: int, message: discord.WebhookMessage) -> None:
            await store.items.add_repost_part(item.id, position, message.channel.id, message.id)

        # The member's avatar as it is now (the one stored at hold time may be gone); the stored one once they left.
        member = guild.get_member(item.author_id) if guild else None
        avatar_url = member.display_avatar.url if member is not None else item.author_avatar_url
        attachments = await store.items.attachments(item.id)
        try:
            first = await self.publisher.publish(
                item,
                channel,
                attachments,
                avatar_url=avatar_url,
                sent=await store.items.repost_parts(item.id),
                record=record,
            )
        except discord.HTTPException as exc:
            kept = [position for position, a in enumerate(attachments) if a.kept and a.data]
            if exc.status == 413 and kept and row.attempts + 1 < MAX_ATTEMPTS:
                # Discord takes less than the card promised (the server lost boosts unseen): the message goes
                # without its files, at once, rather than not at all; the card then lists them as not kept.
                log.warning("item %s: Discord refused the repost's files (413); publishing without them", item.id)
                await store.items.drop_attachment_bytes(item.id, kept)
                await store.outbox.mark_failed([row.id], f"{exc.status} {exc.text}", retry_at=datetime.now(UTC))
                return
            log.error(
                "item %s: publishing in channel %s failed (%s %s); will retry%s",
                item.id,
                channel.id,
                exc.status,
                exc.text,
                "" if exc.status >= 500 else " at start-up",
            )
            await store.decisions.audit(
                item.guild_id, "publish_failed", actor_id=None, item_id=item.id, detail=exc.text
            )
            await self._failed([row], exc)
            await store.outbox.rearm(item.id, OutboxKind.CARD_UPDATE)  # the card says it is not published yet
            return
        await store.outbox.mark_done([row.id], *first)
        await store.outbox.rearm(item.id, OutboxKind.CARD_UPDATE)

    async def _send_card_update(self, rows: list[OutboxRow]) -> None:
        store = self.store
        ids = [row.id for row in rows]
        group_id = rows[0].card_group_id
        await store.outbox.mark_sending(ids, rows[0].nonce or f"fbu{rows[0].id}")
        if group_id is not None:
            group = await store.outbox.card_group(group_id)
            if group is None or group.message_id is None:
                await store.outbox.mark_done(ids, None, None)
                return
            items = await store.items.of_card_group(group.id)
            channel = text_channel(self.client, group.channel_id)
            if channel is not None:
                await channel.get_partial_message(group.message_id).edit(
                    embed=group_card_embed(group, items), view=group_card_view(group, items)
                )
            await store.outbox.mark_done(ids, group.channel_id, group.message_id)
            return
        [item] = await self._items(rows)
        if item.card_channel_id is None or item.card_message_id is None:
            await store.outbox.mark_done(ids, None, None)
            return
        channel = text_channel(self.client, item.card_channel_id)
        if channel is not None:
            author, record = await author_info(self.client, self.community, item)
            await channel.get_partial_message(item.card_message_id).edit(
                embed=card_embed(
                    item,
                    author=author,
                    record=record,
                    upload_limit=channel.guild.filesize_limit,
                    publish_error=await self.store.outbox.publish_error(item),
                ),
                view=card_view(item),
            )
        await store.outbox.mark_done(ids, item.card_channel_id, item.card_message_id)

    async def _send_decision_dm(self, rows: list[OutboxRow]) -> None:
        items = await self._items(rows)
        text = decision_dm_text(items)
        file = decision_dm_file(items, text)
        if not await self._send_dm(rows, items, text, nonce_prefix="fbd", about="the decision", file=file):
            # As for the hold: with DMs closed the author still hears the outcome (without their text).
            await self._channel_notice(items, decided=True)


__all__ = ["CardGroup", "GateCourier", "decision_dm_text", "hold_dm_text"]
