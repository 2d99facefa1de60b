"""Short public notices that ping one person and are deleted after a while, even across a restart."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import discord

from bot.gate.recovery import SEARCH_LIMIT
from bot.models import Notice
from bot.store import Store

log = logging.getLogger(__name__)

CHANNEL_NOTICE_SECONDS = 15


class Notices:
    """Posts, times and deletes notices (recorded before they are sent, so a restart still deletes them)."""

    def __init__(self, store: Store, client: discord.Client) -> None:
        self.store = store
        self.client = client
        self._timed_notices: set[int] = set()
        self._notice_tasks: set[asyncio.Task[None]] = set()

    async def post_notice(
        self, channel: discord.abc.Messageable, guild_id: int, user_id: int, text: str, seconds: float
    ) -> bool:
        """Post a notice that pings only user_id and is deleted after seconds, even across a restart."""
        store = self.store
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
        await self.store.notices.drop(notice_id)

    async def expire_notices(self) -> int:
        """At start-up: delete the notices whose time is up, time the others again; returns how many were left."""
        left = await self.store.notices.all()
        now = discord.utils.utcnow()
        for notice in left:
            if notice.id in self._timed_notices:
                continue
            message_id = notice.message_id
            if message_id is None:
                message_id = await self._find_notice(notice)  # a crash came between its send and its record
                if message_id is None:
                    await self.store.notices.drop(notice.id)
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
