"""How an interrupted send is found again.

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

import logging
from collections.abc import Callable, Sequence
from typing import Any

import discord

from bot.community import Community
from bot.gate.cards import GROUP_MARKER, RAID_MARKER
from bot.gate.messages import decision_dm_text, hold_dm_text, text_channel, user_of
from bot.gate.outbox import UNEXPECTED_ERROR
from bot.gate.publisher import REPOST_CHANNEL_TYPES, Publisher, RepostChannel, repost_chunks, same_text
from bot.models import HeldItem, OutboxKind, OutboxRow, OutboxState
from bot.store import Store

log = logging.getLogger(__name__)

SEARCH_LIMIT = 1000  # messages read (10 pages), after an interrupted send, to find what it sent
PART_SEARCH_LIMIT = 200  # messages read to find a part of a repost a crash left unrecorded


class Recovery:
    """Finds on Discord what a crash sent but did not record: outbox messages and repost parts."""

    def __init__(
        self,
        store: Store,
        community: Community,
        publisher: Publisher,
        client: discord.Client,
        in_flight: Callable[[], frozenset[int]],
    ) -> None:
        self.store = store
        self.community = community
        self.publisher = publisher
        self.client = client
        self._in_flight = in_flight

    async def _items(self, rows: Sequence[OutboxRow]) -> list[HeldItem]:
        return await self.store.items.of_rows([row.item_id for row in rows])

    async def recover(self) -> int:
        """Rows a crash left 'sending': adopt what reached Discord, queue the rest again; returns how many."""
        store = self.store
        # Rows the live worker is sending are not a crash's: holds can start it before this runs.
        live = self._in_flight()
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
            channel_id = (await self.community.settings(first.guild_id)).moderator_channel_id
            channel = text_channel(self.client, channel_id) if channel_id else None
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
            return await self.find_repost(items[0], after=first.search_after)
        if first.kind in (OutboxKind.HOLD_DM, OutboxKind.DECISION_DM):
            text = hold_dm_text(items) if first.kind is OutboxKind.HOLD_DM else decision_dm_text(items)
            user = await user_of(self.client, first.author_id, first.guild_id)
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

    async def find_repost(self, item: HeldItem, *, after: int | None = None) -> tuple[int, int] | None:
        """The item's repost when all of it is on Discord (a crash came between posting and recording), else None.

        Each part is recorded as Discord confirms it; a part sent but not recorded is looked for on Discord, after
        the part before it (or after the original message: snowflakes, Discord's own clock, not the host's), and
        recorded when found. None means the rest still has to be sent: the repost resumes after the last part found.
        `after` is the bound recorded when the repost was marked as sending: the first part is read for from there.
        """
        guild = self.client.get_guild(item.guild_id)
        channel = guild.get_channel(item.channel_id) if guild else None
        if not isinstance(channel, REPOST_CHANNEL_TYPES):
            return None
        parts = await self.store.items.repost_parts(item.id)
        chunks = repost_chunks(item, has_files=bool(item.attachment_names))
        try:
            hook = await self.publisher.webhook_for(channel)
            while len(parts) < len(chunks):
                found = await self._find_part(item, channel, hook, parts, chunks[len(parts)], after)
                if found is None:
                    return None
                await self.store.items.add_repost_part(item.id, len(parts), found.channel.id, found.id)
                parts.append((found.channel.id, found.id))
                log.info("item %s: adopted part %d of its repost (message %s)", item.id, len(parts), found.id)
        except discord.HTTPException as exc:
            log.warning("item %s: could not look for its repost on Discord (%s)", item.id, exc.status)
            return None
        return parts[0]

    async def _find_part(
        self,
        item: HeldItem,
        channel: RepostChannel,
        hook: discord.Webhook,
        parts: list[tuple[int, int]],
        content: str,
        after: int | None,
    ) -> discord.Message | None:
        """The next part of a repost, if our webhook posted it."""

        async def ours(message: discord.Message) -> bool:
            if message.webhook_id != hook.id or not same_text(message.content, content):
                return False
            # Not the same words published for another item (the same member, twice, say).
            owner = await self.store.items.repost_part_owner(message.id)
            return owner is None or owner == item.id

        if parts:
            # Right after the part before it: the oldest messages since are the ones to read.
            channel_id, message_id = parts[-1]
            cached = self.client.get_channel(channel_id)
            # Not in the cache (an archived thread, say): read it all the same.
            target: discord.abc.Messageable = (
                cached
                if isinstance(cached, discord.abc.Messageable)
                else self.client.get_partial_messageable(channel_id, guild_id=item.guild_id)
            )
            async for message in target.history(limit=PART_SEARCH_LIMIT, after=discord.Object(message_id)):
                if await ours(message):
                    return message
            return None
        since = discord.Object(item.message_id)  # the repost came after the original, whatever the host's clock says
        if item.is_forum_post:
            # The first part made a new post: a thread named like the original, its starter message ours.
            if not isinstance(channel, discord.ForumChannel):
                return None
            for thread in channel.threads:
                if thread.id > item.message_id and same_text(thread.name, item.thread_name or "Post"):
                    try:
                        starter = await thread.fetch_message(thread.id)
                    except discord.NotFound:
                        continue
                    if await ours(starter):
                        return starter
            return None
        target_channel: discord.abc.Messageable
        if item.thread_id:
            target_channel = channel.guild.get_thread(item.thread_id) or self.client.get_partial_messageable(
                item.thread_id, guild_id=item.guild_id
            )
        elif isinstance(channel, discord.ForumChannel):
            return None  # a forum holds posts, not messages
        else:
            target_channel = channel
        if after is not None and after >= item.message_id:
            # Oldest first from where the channel stood when the repost went: it is among the first messages read,
            # however much was said after it while the bot was down (within the search's budget).
            async for message in target_channel.history(limit=SEARCH_LIMIT, after=discord.Object(after)):
                if await ours(message):
                    return message
            log.warning("item %s: no repost found in %d messages after %s; publishing it", item.id, SEARCH_LIMIT, after)
            return None
        # A row from before the bound was recorded: newest first, back to the original.
        async for message in target_channel.history(limit=PART_SEARCH_LIMIT, after=since, oldest_first=False):
            if await ours(message):
                return message
        return None


def card_search_after(channel: discord.TextChannel, items: list[HeldItem]) -> int:
    """A snowflake a message about to be sent in the channel will be newer than (recorded before sending)."""
    # The last message the bot knows there (the gateway keeps it current), else the held messages themselves.
    return max([item.message_id for item in items] + [channel.last_message_id or 0])


def repost_search_after(channel: RepostChannel, item: HeldItem) -> int:
    """A snowflake the repost's first message will be newer than: the last message known where it goes."""
    target = channel.guild.get_thread(item.thread_id) if item.thread_id and not item.is_forum_post else channel
    known = getattr(target, "last_message_id", None) or 0
    return max(item.message_id, known)


def _footer_matches(message: discord.Message, marker: str) -> bool:
    for embed in message.embeds:
        footer = embed.footer.text or ""
        if footer == marker or footer.startswith(marker + " "):
            return True
    return False
