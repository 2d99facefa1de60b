"""Decisions: record a moderator's decision exactly once and let the outbox carry out its effects.

Nothing here knows of interactions: callers get outcomes back, and the interaction layer
(bot/gate/interactions.py) words them.
"""

from __future__ import annotations

import logging

import discord

from bot.community import Community
from bot.gate.inflight import InFlight, tracked
from bot.gate.outbox import OutboxWorker
from bot.models import Decision, DecisionOutcome, HeldItem, ItemState, OutboxKind
from bot.store import Store

log = logging.getLogger(__name__)

DECISION_WAIT_S = 10.0  # how long a decision waits for its repost, card update and DM before returning


class Decider:
    """Records decisions (one item, or a grouped card's) and waits a while for their effects."""

    def __init__(self, community: Community, outbox: OutboxWorker, inflight: InFlight) -> None:
        self.community = community
        self.outbox = outbox
        self.inflight = inflight

    @property
    def store(self) -> Store:
        """The store behind the community cache."""
        return self.community.store

    async def _reload(self, item: HeldItem) -> HeldItem:
        fresh = await self.store.items.get(item.id)
        assert fresh is not None
        return fresh

    @tracked
    async def decide(
        self, item_id: int, decision: Decision, moderator: discord.Member, *, reason: str | None = None
    ) -> DecisionOutcome:
        """Record a decision exactly once; its effects go through the outbox, which this waits for (a while)."""
        outcome = await self.store.decisions.decide(
            item_id,
            decision,
            moderator_id=moderator.id,
            moderator_name=moderator.display_name,
            reason=reason,
            # Discord's clock, the one held messages' times come from: time to decision is one clock's difference.
            now=discord.utils.utcnow(),
        )
        item = outcome.item
        if not outcome.won:
            log.info("item %s: %s by %s lost to an earlier decision", item_id, decision, moderator.id)
            return outcome
        await self._after_decisions([item], decision, moderator)
        return DecisionOutcome(True, await self._reload(item))

    @tracked
    async def decide_group(
        self, group_id: int, decision: Decision, moderator: discord.Member, *, reason: str | None = None
    ) -> list[DecisionOutcome]:
        """Decide every open item of a grouped card, each exactly once, in one transaction."""
        items = await self.store.items.of_card_group(group_id)
        open_ids = [item.id for item in items if item.is_open]
        # Restoring applies to removed (blocked) items, approving to held ones.
        by_decision: dict[Decision, list[int]] = {}
        for item in items:
            if item.is_open:
                chosen = decision
                if decision is Decision.APPROVE and item.state is ItemState.BLOCKED:
                    chosen = Decision.RESTORE
                by_decision.setdefault(chosen, []).append(item.id)
        outcomes: list[DecisionOutcome] = []
        for chosen, ids in by_decision.items():
            outcomes += await self.store.decisions.decide_many(
                ids,
                chosen,
                moderator_id=moderator.id,
                moderator_name=moderator.display_name,
                reason=reason,
                now=discord.utils.utcnow(),
            )
        won = [outcome.item for outcome in outcomes if outcome.won]
        log.info(
            "group decision %s group=%s items=%d won=%d moderator=%s",
            decision,
            group_id,
            len(open_ids),
            len(won),
            moderator.id,
        )
        if won:
            await self._after_decisions(won, decision, moderator)
        return [DecisionOutcome(o.won, await self._reload(o.item)) for o in outcomes]

    async def _after_decisions(self, items: list[HeldItem], decision: Decision, moderator: discord.Member) -> None:
        for item in items:
            log.info(
                "decision %s item=%s guild=%s channel=%s message=%s moderator=%s",
                item.decision or decision,
                item.id,
                item.guild_id,
                item.target_channel_id,
                item.message_id,
                moderator.id,
            )
        if decision is Decision.APPROVE_DOMAIN:
            # The decision's own transaction allowed the domains (crash-safe); only the cached policy is stale.
            for guild_id in {item.guild_id for item in items}:
                self.community.forget_policy(guild_id)
        for guild_id, author_id in {(item.guild_id, item.author_id) for item in items}:
            await self.community.refresh_member(guild_id, author_id)
        self.outbox.kick()
        await self.outbox.wait_for_items([item.id for item in items], DECISION_WAIT_S)

    async def finish(self, item: HeldItem) -> HeldItem:
        """Make sure what follows a decision is queued, let the outbox send it, and return the item as it then is."""
        if item.is_open:
            return item
        kinds = [OutboxKind.CARD_UPDATE]
        if item.state in (ItemState.APPROVED, ItemState.RESTORED) and item.repost_message_id is None:
            kinds.append(OutboxKind.REPOST)
        if not item.author_notified:
            kinds.append(OutboxKind.DECISION_DM)
        await self.store.outbox.enqueue(item.id, kinds)
        self.outbox.kick()
        await self.outbox.wait_for_items([item.id], DECISION_WAIT_S)
        return await self._reload(item)
