"""Routing the gate's outbox rows: which lane each goes by, which must wait, and which go together."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

from bot.community import Community
from bot.gate.messages import PUBLISHED
from bot.gate.outbox import Lane
from bot.gate.raid import RaidWatch
from bot.models import OutboxKind, OutboxRow, OutboxState

COALESCE_AFTER = 3  # more cards than this waiting for one moderator channel: group each author's
WAVE_AFTER = 10  # more than this waiting (or a raid under way): group whatever waits, whoever wrote it
GROUP_LIMIT = 25  # items on one grouped card (a select menu lists at most 25)
DM_BATCH_LIMIT = GROUP_LIMIT  # messages told of in one DM (one DM per outcome for a whole card)
_UNSETTLED = (OutboxState.WAITING, OutboxState.QUEUED, OutboxState.SENDING)
_PUBLISHED = PUBLISHED


class Router:
    """Sorts waiting rows into lanes and batches."""

    def __init__(self, community: Community, raid: RaidWatch) -> None:
        self.community = community
        self.raid = raid
        self.dms_wait_until = 0.0  # time.monotonic() before which no DM goes (Discord's 40003)

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
            channel_id = (await self.community.settings(row.guild_id)).moderator_channel_id
            if channel_id is None:
                return None  # no moderator channel yet: the card waits in the queue
            if row.kind is not OutboxKind.CARD_UPDATE:
                return ("post", channel_id)
            if row.card_state in _UNSETTLED or row.repost_state in _UNSETTLED:
                return None  # the card shows the outcome once the card and the repost are there
            return ("edit", channel_id)
        if row.kind is OutboxKind.REPOST:
            return ("webhook", row.channel_id)
        if time.monotonic() < self.dms_wait_until:
            return None  # Discord said DMs are opened too fast: none goes before the wait is over
        if row.kind is OutboxKind.HOLD_DM:
            if self.raid.active(row.guild_id, await self.community.raid(row.guild_id)):
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
            raid = await self.community.raid(first.guild_id)
            if len(cards) > WAVE_AFTER or self.raid.active(first.guild_id, raid):
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
