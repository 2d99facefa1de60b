"""What the outbox worker sends for each kind of row, and how an interrupted send is found again.

Every send follows the same steps: mark the rows 'sending' (with a nonce), make the request,
then record the Discord message with the rows ('done') in one transaction. A crash between
the request and the record leaves the rows 'sending': at start-up `recover()` looks for the
message on Discord (a card by its footer, a repost by its text, a DM by its text) and adopts
it; only when it is not there is the row queued again, with the same nonce, which Discord
also uses to refuse a duplicate (`enforce_nonce`) — but only "in the past few minutes", so
after a longer outage the search alone must find it. It pages forward from a snowflake recorded
with the 'sending' mark (the last message the bot knew in the channel then: the message sent
comes after it) up to the channel's last message when the search begins, within a budget.
"""

from __future__ import annotations

import asyncio
import io
import logging
import secrets
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.gate import words
from bot.gate.cards import (
    GROUP_MARKER,
    RAID_MARKER,
    card_attachment_plan,
    card_embed,
    card_files,
    card_view,
    group_card_embed,
    group_card_view,
    raid_embed,
)
from bot.gate.outbox import UNEXPECTED_ERROR, Lane
from bot.gate.publisher import REPOST_CHANNEL_TYPES
from bot.models import CardGroup, HeldItem, ItemState, Notice, OutboxKind, OutboxRow, OutboxState

if TYPE_CHECKING:
    from bot.gate.service import Gate

log = logging.getLogger(__name__)

COALESCE_AFTER = 3  # more cards than this waiting for one moderator channel: group each author's
WAVE_AFTER = 10  # more than this waiting (or a raid under way): group whatever waits, whoever wrote it
GROUP_LIMIT = 25  # items on one grouped card (a select menu lists at most 25)
DM_BATCH_LIMIT = GROUP_LIMIT  # messages told of in one DM (one DM per outcome for a whole card)
MAX_ATTEMPTS = 5
SEARCH_LIMIT = 1000  # messages read (10 pages), after an interrupted send, to find what it sent
CHANNEL_NOTICE_SECONDS = 15
_UNSETTLED = (OutboxState.WAITING, OutboxState.QUEUED, OutboxState.SENDING)
_PUBLISHED = (ItemState.APPROVED, ItemState.RESTORED)


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

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        # The last DM sent to each member in this run: where a search for the next one may start.
        self._last_dm: dict[int, int] = {}
        self._timed_notices: set[int] = set()
        self._notice_tasks: set[asyncio.Task[None]] = set()
        self._dms_wait_until = 0.0  # time.monotonic() before which no DM goes (Discord's 40003)

    @property
    def client(self) -> discord.Client:
        """The bot."""
        return self.gate.client

    # --- routing ---------------------------------------------------------------------------

    async def route(self, rows: Sequence[OutboxRow]) -> dict[Lane, list[OutboxRow]]:
        """The rows that may go now, by lane, in order; rows that must wait are left out."""
        # An author hears of several decisions with the same outcome in one DM: while any of their
        # reposts is still on its way, those DMs wait for it (a failed repost's DM waits for a restart).
        pending = {
            (row.author_id, row.item_state in _PUBLISHED)
            for row in rows
            if row.kind is OutboxKind.DECISION_DM and row.repost_state in _UNSETTLED
        }
        lanes: dict[Lane, list[OutboxRow]] = {}
        for row in rows:
            lane = await self._lane(row, pending)
            if lane is not None:
                lanes.setdefault(lane, []).append(row)
        return lanes

    async def _lane(self, row: OutboxRow, pending: set[tuple[int, bool]]) -> Lane | None:
        if row.kind in (OutboxKind.CARD, OutboxKind.RAID_CARD, OutboxKind.CARD_UPDATE):
            channel_id = (await self.gate.community.settings(row.guild_id)).moderator_channel_id
            if channel_id is None:
                return None  # no moderator channel yet: the card waits in the queue
            if row.kind is not OutboxKind.CARD_UPDATE:
                return ("post", channel_id)
            if row.card_state in _UNSETTLED or row.repost_state in _UNSETTLED:
                return None  # the card shows the outcome once the card and the repost are there
            return ("edit", channel_id)
        if row.kind is OutboxKind.REPOST:
            return ("webhook", row.channel_id)
        if time.monotonic() < self._dms_wait_until:
            return None  # Discord said DMs are opened too fast: none goes before the wait is over
        if row.kind is OutboxKind.HOLD_DM:
            if self.gate.raid.active(row.guild_id, await self.gate.community.raid(row.guild_id)):
                return ("hold", row.author_id)  # in a raid, a raider hears "held" once per 10 s at most
            return ("dm", row.author_id)
        if row.repost_state is OutboxState.FAILED or (row.author_id, row.item_state in _PUBLISHED) in pending:
            return None
        return ("dm", row.author_id)

    async def batch(self, lane: Lane, rows: list[OutboxRow]) -> list[OutboxRow]:
        """The rows of a lane that go together in its next request."""
        first = rows[0]
        if first.kind is OutboxKind.CARD:
            cards = [row for row in rows if row.kind is OutboxKind.CARD and row.guild_id == first.guild_id]
            raid = await self.gate.community.raid(first.guild_id)
            if len(cards) > WAVE_AFTER or self.gate.raid.active(first.guild_id, raid):
                group = cards  # a wave: one card for as much of it as fits
            elif len(cards) > COALESCE_AFTER:
                group = [row for row in cards if row.author_id == first.author_id]
                if len(group) == 1:
                    # Several members with one message each (a wave of fresh accounts): one card for all of
                    # them, not one card a second each; members with several messages keep their own cards.
                    waiting = Counter(row.author_id for row in cards)
                    group = [row for row in cards if waiting[row.author_id] == 1]
            else:
                group = [first]
            return group[:GROUP_LIMIT]
        if first.kind is OutboxKind.CARD_UPDATE and first.card_group_id is not None:
            return [
                row for row in rows if row.kind is OutboxKind.CARD_UPDATE and row.card_group_id == first.card_group_id
            ]
        if first.kind is OutboxKind.HOLD_DM:
            same = [row for row in rows if row.kind is first.kind and row.guild_id == first.guild_id]
            return same[:DM_BATCH_LIMIT]
        if first.kind is OutboxKind.DECISION_DM:
            published = first.item_state in _PUBLISHED
            same = [
                row
                for row in rows
                if row.kind is first.kind
                and row.guild_id == first.guild_id
                and (row.item_state in _PUBLISHED) == published
            ]
            return same[:DM_BATCH_LIMIT]
        return [first]

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
            self._dms_wait_until = max(self._dms_wait_until, time.monotonic() + wait)
            await self.gate.store.outbox.requeue([row.id for row in rows], keep_nonce=True)
            # The worker stops when nothing may go; it is woken when the wait is over.
            asyncio.get_running_loop().call_later(wait + 0.01, self.gate.outbox.kick)
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
        await self.gate.store.outbox.mark_failed([row.id for row in rows], f"{exc.status} {exc.text}", retry_at=retry)

    async def _items(self, rows: Sequence[OutboxRow]) -> list[HeldItem]:
        items = []
        for row in rows:
            item = await self.gate.store.items.get(row.item_id)
            if item is not None:
                items.append(item)
        return items

    def _text_channel(self, channel_id: int) -> discord.TextChannel | None:
        channel = self.client.get_channel(channel_id)
        return channel if isinstance(channel, discord.TextChannel) else None

    async def _send_card(self, lane: Lane, rows: list[OutboxRow]) -> None:
        store = self.gate.store
        channel = self._text_channel(lane[1])
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
            await store.outbox.mark_sending(ids, nonce, search_after=_after(channel, [item]))
            sent = await self._post_card(channel, item, nonce)
            await store.outbox.mark_done(ids, channel.id, sent.id)
            return
        first = rows[0]
        author_id = first.author_id if len({row.author_id for row in rows}) == 1 else None
        # A fresh nonce per group: a batch sent again after a crash may hold other items.
        nonce = f"fbg{first.id}-{secrets.token_hex(4)}"
        group = await store.outbox.create_card_group(first.guild_id, author_id, channel.id, nonce)
        items = await self._items(rows)
        await store.outbox.mark_sending(ids, group.nonce, group_id=group.id, search_after=_after(channel, items))
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
        store = self.gate.store
        author, record = await self.gate.author_info(item)
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
        store = self.gate.store
        channel = self._text_channel(lane[1])
        item = await store.items.get(row.item_id)
        if channel is None or item is None:
            await store.outbox.mark_failed([row.id], "the moderator channel is gone")
            return
        nonce = row.nonce or f"fbr{row.id}"
        await store.outbox.mark_sending([row.id], nonce, search_after=_after(channel, [item]))
        sent = await channel.send(
            embed=raid_embed(item, self.gate.raid.describe(item.guild_id)),
            allowed_mentions=discord.AllowedMentions.none(),
            nonce=nonce,
        )
        await store.outbox.mark_done([row.id], channel.id, sent.id)

    async def _user(self, user_id: int, guild_id: int) -> discord.Member | discord.User:
        guild = self.client.get_guild(guild_id)
        member = guild.get_member(user_id) if guild else None
        if member is not None:
            return member
        user = self.client.get_user(user_id)
        return user if user is not None else await self.client.fetch_user(user_id)

    async def _send_hold_dm(self, rows: list[OutboxRow]) -> None:
        items = await self._items(rows)
        decided = {item.id for item in items if not item.is_open}
        if decided:
            # Decided before the DM went (a backlog, a raid's slow lane): the decision DM says it all.
            await self.gate.store.outbox.mark_done([row.id for row in rows if row.item_id in decided], None, None)
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
        store = self.gate.store
        ids = [row.id for row in rows]
        nonce = rows[0].nonce or f"{nonce_prefix}{rows[0].id}"
        # The DM comes after the messages it tells of, and after the last DM this run sent the member.
        after = max([item.message_id for item in items] + [self._last_dm.get(rows[0].author_id, 0)])
        await store.outbox.mark_sending(ids, nonce, search_after=after)
        try:
            user = await self._user(rows[0].author_id, rows[0].guild_id)
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
        if not await self.post_notice(channel, item.guild_id, item.author_id, text, CHANNEL_NOTICE_SECONDS):
            log.warning("guild=%s item=%s: could not post a notice either", item.guild_id, item.id)

    async def post_notice(
        self, channel: discord.abc.Messageable, guild_id: int, user_id: int, text: str, seconds: float
    ) -> bool:
        """Post a notice that pings only user_id and is deleted after seconds, even across a restart."""
        store = self.gate.store
        channel_id = getattr(channel, "id", 0)
        # Recorded before the send: its deletion must survive a restart, which an in-memory delete_after does not.
        # The channel's last message id bounds a search for it (a crash between send and record), not the clock.
        after = getattr(channel, "last_message_id", None) or 0
        delete_at = discord.utils.utcnow() + timedelta(seconds=seconds)
        notice_id = await store.notices.add(guild_id, channel_id, user_id, text, delete_at, search_after=after)
        try:
            sent = await channel.send(
                text,
                # It pings that one person and no one else, whatever the text holds.
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, roles=False, users=[discord.Object(user_id)], replied_user=False
                ),
            )
        except discord.HTTPException as exc:
            await store.notices.drop(notice_id)
            log.warning("guild=%s channel=%s: could not post a notice (%s)", guild_id, channel_id, exc.status)
            return False
        await store.notices.set_message(notice_id, sent.id)
        self._time_notice(notice_id, channel_id, sent.id, seconds)
        return True

    def _time_notice(self, notice_id: int, channel_id: int, message_id: int, delay: float) -> None:
        if notice_id in self._timed_notices:
            return  # a second start-up (a reconnect) finds it already timed
        self._timed_notices.add(notice_id)
        task = asyncio.get_running_loop().create_task(
            self._remove_notice_later(notice_id, channel_id, message_id, delay), name=f"notice {notice_id}"
        )
        self._notice_tasks.add(task)
        task.add_done_callback(self._notice_tasks.discard)

    async def _remove_notice_later(self, notice_id: int, channel_id: int, message_id: int, delay: float) -> None:
        try:
            await asyncio.sleep(max(0.0, delay))
            await self._remove_notice(notice_id, channel_id, message_id)
        finally:
            self._timed_notices.discard(notice_id)

    async def _remove_notice(self, notice_id: int, channel_id: int, message_id: int) -> None:
        try:
            await self.client.get_partial_messageable(channel_id).get_partial_message(message_id).delete()
        except discord.NotFound:
            pass  # someone deleted it already
        except discord.HTTPException as exc:
            log.warning(
                "notice %s (message %s in channel %s) could not be deleted (%s); tried again at the next start",
                notice_id,
                message_id,
                channel_id,
                exc.status,
            )
            return
        await self.gate.store.notices.drop(notice_id)

    async def expire_notices(self) -> int:
        """At start-up: delete the notices whose time is up, time the others again; returns how many were left."""
        left = await self.gate.store.notices.all()
        now = discord.utils.utcnow()
        for notice in left:
            if notice.id in self._timed_notices:
                continue
            message_id = notice.message_id
            if message_id is None:
                message_id = await self._find_notice(notice)  # a crash came between its send and its record
                if message_id is None:
                    await self.gate.store.notices.drop(notice.id)
                    continue
            delay = (notice.delete_at - now).total_seconds()
            if delay <= 0:
                await self._remove_notice(notice.id, notice.channel_id, message_id)
            else:
                self._time_notice(notice.id, notice.channel_id, message_id, delay)
        return len(left)

    async def _find_notice(self, notice: Notice) -> int | None:
        channel = self.client.get_channel(notice.channel_id)
        me = self.client.user
        if not isinstance(channel, discord.abc.Messageable) or me is None:
            return None
        # Where the notice's channel stood when it was recorded (older rows: by the clock, as a last resort).
        bound = notice.search_after or discord.utils.time_snowflake(
            notice.delete_at - timedelta(seconds=CHANNEL_NOTICE_SECONDS + 60)
        )
        since = discord.Object(bound)
        try:
            async for message in channel.history(limit=SEARCH_LIMIT, after=since):
                if message.author.id == me.id and message.content == notice.content:
                    return message.id
        except discord.HTTPException as exc:
            log.warning("notice %s: could not look for it in channel %s (%s)", notice.id, notice.channel_id, exc.status)
        return None

    async def _send_repost(self, row: OutboxRow) -> None:
        store = self.gate.store
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
            found = await self.gate.find_repost(item)
            if found is not None:
                await store.outbox.mark_done([row.id], *found)
                await store.outbox.rearm(item.id, OutboxKind.CARD_UPDATE)
                return
        await store.outbox.mark_sending([row.id], row.nonce or f"fbp{row.id}")

        async def record(position: int, message: discord.WebhookMessage) -> None:
            await store.items.add_repost_part(item.id, position, message.channel.id, message.id)

        # The member's avatar as it is now (the one stored at hold time may be gone); the stored one once they left.
        member = guild.get_member(item.author_id) if guild else None
        avatar_url = member.display_avatar.url if member is not None else item.author_avatar_url
        attachments = await store.items.attachments(item.id)
        try:
            first = await self.gate.publisher.publish(
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
        store = self.gate.store
        ids = [row.id for row in rows]
        group_id = rows[0].card_group_id
        await store.outbox.mark_sending(ids, rows[0].nonce or f"fbu{rows[0].id}")
        if group_id is not None:
            group = await store.outbox.card_group(group_id)
            if group is None or group.message_id is None:
                await store.outbox.mark_done(ids, None, None)
                return
            items = await store.items.of_card_group(group.id)
            channel = self._text_channel(group.channel_id)
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
        channel = self._text_channel(item.card_channel_id)
        if channel is not None:
            author, record = await self.gate.author_info(item)
            await channel.get_partial_message(item.card_message_id).edit(
                embed=card_embed(item, author=author, record=record, upload_limit=channel.guild.filesize_limit),
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

    # --- start-up ----------------------------------------------------------------------------

    async def recover(self) -> int:
        """Rows a crash left 'sending': adopt what reached Discord, queue the rest again; returns how many."""
        store = self.gate.store
        # Rows the live worker is sending are not a crash's: holds can start it before this runs.
        live = self.gate.outbox.in_flight
        rows = [row for row in await store.outbox.rows((OutboxState.SENDING,)) if row.id not in live]
        # A send that died of a bug (not a Discord error) after its request may have reached Discord as well:
        # it is looked for too, and left to be sent again (requeue_failed) only when it is not there.
        unsure = [
            row
            for row in await store.outbox.rows((OutboxState.FAILED,))
            if row.error == UNEXPECTED_ERROR and row.nonce and row.id not in live
        ]
        batches: dict[str, list[OutboxRow]] = {}
        for row in rows + unsure:
            batches.setdefault(row.nonce or f"row{row.id}", []).append(row)
        for batch in batches.values():
            try:
                found = await self._find_sent(batch)
            except discord.HTTPException as exc:
                log.warning("outbox: could not check rows %s on Discord (%s)", [r.id for r in batch], exc.status)
                found = None
            ids = [row.id for row in batch]
            if found is None and batch[0].state is OutboxState.FAILED:
                continue
            if found is None:
                # Not on Discord: send again. A single message keeps its nonce (Discord refuses a repeat of
                # one it did make); a batch may be made up differently next time, so it starts afresh.
                await store.outbox.requeue(ids, keep_nonce=len(batch) == 1)
                continue
            channel_id, message_id = found
            if batch[0].kind is OutboxKind.CARD and batch[0].group_id is not None:
                await store.outbox.set_card_group_message(batch[0].group_id, message_id)
            await store.outbox.mark_done(ids, channel_id, message_id)
            log.info("outbox: adopted message %s for rows %s after a restart", message_id, ids)
        return len(rows)

    async def _find_sent(self, batch: list[OutboxRow]) -> tuple[int, int] | None:
        first = batch[0]
        items = await self._items(batch)
        if not items:
            return None
        # Whatever was sent came after the bound recorded with the 'sending' mark (rows from before it was
        # recorded: after the first of their items' original messages).
        since = first.search_after or min(item.message_id for item in items)
        if first.kind in (OutboxKind.CARD, OutboxKind.RAID_CARD):
            channel_id = (await self.gate.community.settings(first.guild_id)).moderator_channel_id
            channel = self._text_channel(channel_id) if channel_id else None
            if channel is None:
                return None
            if first.kind is OutboxKind.RAID_CARD:
                marker = f"{RAID_MARKER}{first.item_id}"
            elif first.group_id is not None:
                marker = f"{GROUP_MARKER}{first.group_id}"
            else:
                marker = f"Item #{first.item_id}"
            # Nothing this search is after can be newer than the channel's last message as this run found it.
            upto = channel.last_message_id
            if upto is not None and upto < since:
                upto = None  # not a bound this cache can give: read on to the end (within the budget)
            return await self._find_own(channel, since, upto, lambda m: _footer_matches(m, marker), batch)
        if first.kind is OutboxKind.REPOST:
            return await self.gate.find_repost(items[0])
        if first.kind in (OutboxKind.HOLD_DM, OutboxKind.DECISION_DM):
            text = hold_dm_text(items) if first.kind is OutboxKind.HOLD_DM else decision_dm_text(items)
            user = await self._user(first.author_id, first.guild_id)
            dm = user.dm_channel or await user.create_dm()
            return await self._find_own(dm, since, None, lambda m: m.content == text, batch)
        return None  # a card update is simply made again

    async def _find_own(
        self,
        channel: discord.abc.Messageable,
        since: int,
        upto: int | None,
        matches: Any,
        batch: list[OutboxRow],
    ) -> tuple[int, int] | None:
        """The bot's message after `since` (up to `upto`, when known) that matches, paging oldest first."""
        me = self.client.user
        read = 0
        async for message in channel.history(limit=SEARCH_LIMIT, after=discord.Object(since), oldest_first=True):
            read += 1
            if upto is not None and message.id > upto:
                return None  # past every message there was when this run began: it was never made
            if me is not None and message.author.id == me.id and matches(message):
                return message.channel.id, message.id
        if read >= SEARCH_LIMIT:
            log.warning(
                "outbox: rows %s not found in the %d messages after %s in channel %s; giving up the search"
                " (sent again, a duplicate is possible: Discord's nonce check covers only a few minutes)",
                [row.id for row in batch],
                read,
                since,
                getattr(channel, "id", "?"),
            )
        return None


def _after(channel: discord.TextChannel, items: list[HeldItem]) -> int:
    """A snowflake a message about to be sent in the channel will be newer than (recorded before sending)."""
    # The last message the bot knows there (the gateway keeps it current), else the held messages themselves.
    return max([item.message_id for item in items] + [channel.last_message_id or 0])


def _footer_matches(message: discord.Message, marker: str) -> bool:
    for embed in message.embeds:
        footer = embed.footer.text or ""
        if footer == marker or footer.startswith(marker + " "):
            return True
    return False


def hold_dm_text(items: list[HeldItem]) -> str:
    """The DM telling an author their message (or messages) are held."""
    return words.held_notice(items[0]) if len(items) == 1 else words.held_notice_many(items)


def jump_url(item: HeldItem) -> str | None:
    """A link to the published message."""
    if item.repost_message_id is None or item.repost_channel_id is None:
        return None
    return f"https://discord.com/channels/{item.guild_id}/{item.repost_channel_id}/{item.repost_message_id}"


def decision_dm_text(items: list[HeldItem]) -> str:
    """The DM telling an author the outcome for one or several of their messages."""
    if items[0].state in _PUBLISHED:
        if len(items) == 1:
            return words.approved_notice(items[0], jump_url(items[0]))
        return words.approved_notice_many(items, [jump_url(item) for item in items])
    text = _rejected_text(items, attached=False)
    # The README promises the author their text back: a quote cut to fit the DM comes with the whole text as a file.
    return text if words.quoted_whole(text, items) else _rejected_text(items, attached=True)


def _rejected_text(items: list[HeldItem], *, attached: bool) -> str:
    if len(items) == 1:
        return words.rejected_notice(items[0], attached=attached)
    return words.rejected_notice_many(items, attached=attached)


def decision_dm_file(items: list[HeldItem], text: str) -> discord.File | None:
    """The whole texts as a .txt, when the decision DM had to cut their quotes."""
    if items[0].state in _PUBLISHED or words.quoted_whole(text, items):
        return None
    data = words.full_texts(items).encode("utf-8")
    return discord.File(io.BytesIO(data), filename=words.FULL_TEXT_FILENAME)


__all__ = ["CardGroup", "GateCourier", "decision_dm_text", "hold_dm_text"]
