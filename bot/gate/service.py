"""The gate's facade: builds its parts once, wires them together, and is what the client and the cogs call.

The parts, each in its own module: screening (judge a message), holding (store it, remove the
original), decisions (record a moderator's decision), interactions (clicks, reactions, time-outs),
reconcile (start-up recovery), and the outbox's courier (delivery, routing, recovery, notices).
Holding stores the text and attachment bytes together with outbox rows for the card and the
author's DM, then removes the original at once; the outbox worker sends those rows at the pace each
channel allows, and `reconcile()` at start-up finishes whatever a crash interrupted: nothing is
lost, nothing is posted twice.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.community import Community
from bot.gate.catchup import CatchUp
from bot.gate.decisions import Decider
from bot.gate.delivery import GateCourier
from bot.gate.holding import Holder
from bot.gate.inflight import InFlight
from bot.gate.interactions import Interactions
from bot.gate.memory import ScreeningMemory
from bot.gate.messages import author_info
from bot.gate.notices import Notices
from bot.gate.outbox import OutboxWorker
from bot.gate.publisher import Publisher
from bot.gate.raid import BulkDeleter, RaidWatch
from bot.gate.reconcile import Reconciler
from bot.gate.recovery import Recovery
from bot.gate.screening import Load, Screener
from bot.models import Decision, DecisionOutcome, HeldItem
from bot.rules import Engine, Verdict
from bot.store import Store


class Gate:
    """Screens messages and carries held ones through to a decision (a facade over the gate's parts)."""

    def __init__(self, client: discord.Client, community: Community, engine: Engine) -> None:
        self.client = client
        self.community = community
        self.engine = engine
        store = community.store
        self.inflight = InFlight()
        self.publisher = Publisher(client)
        self.raid = RaidWatch()
        self.bulk = BulkDeleter()
        self.notices = Notices(store, client)
        self.recovery = Recovery(store, community, self.publisher, client, lambda: self.outbox.in_flight)
        self.courier = GateCourier(
            store,
            community,
            self.publisher,
            self.raid,
            client,
            recovery=self.recovery,
            notices=self.notices,
            kick=lambda: self.outbox.kick(),  # noqa: PLW0108 - the outbox is built after the courier
        )
        self.outbox = OutboxWorker(lambda: self.store, self.courier)
        # What each allowed message already carried, so an edit is judged only on what it adds (survives a
        # restart: written behind to the store), and the newest message seen in each channel.
        self.memory = ScreeningMemory(lambda: self.store)
        self.holder = Holder(community, self.publisher, self.raid, self.bulk, self.outbox, self.inflight)
        self.screener = Screener(client, community, engine, self.publisher, self.memory, self.holder, self.outbox)
        self.decider = Decider(community, self.outbox, self.inflight)
        self.interactions = Interactions(client, community, self.decider, self.notices, self.inflight)
        self.reconciler = Reconciler(
            client,
            community,
            self.raid,
            self.screener,
            self.holder,
            self.recovery,
            self.notices,
            self.outbox,
            self.inflight,
        )
        self.catch_up = CatchUp(self)

    @property
    def store(self) -> Store:
        """The store behind the community cache."""
        return self.community.store

    async def drain(self, timeout: float) -> bool:  # noqa: ASYNC109 - a shutdown bounds its wait
        """Wait until no hold or decision is half done; False if some still were after timeout."""
        return await self.inflight.drain(timeout)

    # --- screening ----------------------------------------------------------------------

    async def screen(self, message: discord.Message) -> Verdict | None:
        """Judge a new message and apply the verdict; None when it is not screened at all."""
        if message.guild is not None:
            self.catch_up.live(message.channel.id, message.id)
        verdict = self.screener.screen_now(message)  # the usual message ends here, without an await
        if not isinstance(verdict, Load):
            return verdict
        return await self.screener.screen_loaded(message)

    async def screen_missed(self, message: discord.Message) -> Verdict | None:
        """Judge a message read from history (the catch-up) exactly as a live one; None when not screened."""
        return await self.screener.screen_missed(message)

    async def screen_edit(self, after: discord.Message, before: discord.Message | None) -> Verdict | None:
        """Judge an edit on what it adds: hold it only if it brings a new link or address."""
        return await self.screener.screen_edit(after, before)

    def listening(self) -> None:
        """The bot is connected: edits made from now on are this process's to judge."""
        self.screener.listening()

    # --- deciding -----------------------------------------------------------------------

    async def decide(
        self, item_id: int, decision: Decision, moderator: discord.Member, *, reason: str | None = None
    ) -> DecisionOutcome:
        """Record a decision exactly once; its effects go through the outbox, which this waits for (a while)."""
        return await self.decider.decide(item_id, decision, moderator, reason=reason)

    async def decide_group(
        self, group_id: int, decision: Decision, moderator: discord.Member, *, reason: str | None = None
    ) -> list[DecisionOutcome]:
        """Decide every open item of a grouped card, each exactly once, in one transaction."""
        return await self.decider.decide_group(group_id, decision, moderator, reason=reason)

    async def finish(self, item: HeldItem) -> HeldItem:
        """Make sure what follows a decision is queued, let the outbox send it, and return the item as it then is."""
        return await self.decider.finish(item)

    async def author_info(self, item: HeldItem) -> tuple[discord.Member | discord.User | None, Any]:
        """The item's author as Discord knows them (None when gone), and their community record."""
        return await author_info(self.client, self.community, item)

    # --- interactions -------------------------------------------------------------------

    async def is_moderator_interaction(self, interaction: discord.Interaction[Any]) -> bool:
        """True when the person who clicked is a moderator of that guild."""
        return await self.interactions.is_moderator_interaction(interaction)

    async def decide_from_interaction(
        self, interaction: discord.Interaction[Any], item_id: int, decision: Decision, *, reason: str | None = None
    ) -> None:
        """Apply a moderator's click, and tell them the outcome privately."""
        await self.interactions.decide_from_interaction(interaction, item_id, decision, reason=reason)

    async def decide_group_from_interaction(
        self, interaction: discord.Interaction[Any], group_id: int, decision: Decision, *, timeout_member: bool
    ) -> None:
        """Approve all / Reject all / Reject all & time out, from a grouped card; the outcome said privately."""
        await self.interactions.decide_group_from_interaction(
            interaction, group_id, decision, timeout_member=timeout_member
        )

    async def decide_from_reaction(self, payload: discord.RawReactionActionEvent) -> None:
        """✅ approves and ❌ rejects, on a card, from a moderator; anyone else's reaction is removed."""
        await self.interactions.decide_from_reaction(payload)

    async def show_group_item(self, interaction: discord.Interaction[Any], group_id: int, item_id: int) -> None:
        """One item of a grouped card, privately, with its own buttons."""
        await self.interactions.show_group_item(interaction, group_id, item_id)

    # --- start-up -------------------------------------------------------------------------

    async def load_raids(self) -> None:
        """Take up the raid watches as a previous run left them (before any message is screened)."""
        await self.reconciler.load_raids()

    async def reconcile(self) -> int:
        """Finish every hold or decision a crash interrupted, and start the outbox; returns items touched."""
        return await self.reconciler.reconcile()

    async def moderator_channel_ready(self, guild_id: int) -> None:
        """/setup gave the guild a moderator channel: send the cards that waited for one or failed on the old one."""
        await self.reconciler.moderator_channel_ready(guild_id)
