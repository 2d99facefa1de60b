"""The gate: screen a message, hold it without loss, let moderators decide, publish, tell the author.

Holding stores the text and attachment bytes together with outbox rows for the card and the
author's DM (one transaction), then removes the original at once. Deciding records the
decision together with outbox rows for the repost, the card update and the author's DM. The
outbox worker (bot/gate/outbox.py) sends those rows at the pace each channel allows, so a
spam wave never queues up inside discord.py, and `reconcile()` at start-up finishes whatever
a crash interrupted: nothing is lost, nothing is posted twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

import aiohttp
import discord

from bot.auth import is_moderator
from bot.community import Community
from bot.gate import words
from bot.gate.cards import DEFAULT_UPLOAD_LIMIT, card_embed, card_files, card_view
from bot.gate.catchup import CatchUp
from bot.gate.delivery import GateCourier
from bot.gate.facts import (
    SCREENED_TYPES,
    author_facts,
    forum_post_thread,
    held_item,
    message_facts,
    read_attachments,
    webhook_author_facts,
)
from bot.gate.memory import ScreeningMemory
from bot.gate.outbox import OutboxWorker
from bot.gate.publisher import REPOST_CHANNEL_TYPES, Publisher, RepostChannel, repost_chunks, same_text
from bot.gate.raid import BulkDeleter, RaidWatch
from bot.models import (
    AllowedMessage,
    Decision,
    DecisionOutcome,
    GuildSettings,
    HeldItem,
    ItemState,
    OutboxKind,
    OutboxState,
    StoredLink,
)
from bot.preapprovals import grants_to_spend
from bot.rules import Action, AuthorFacts, Engine, LinkClass, Policy, Reason, Verdict
from bot.store import Store

log = logging.getLogger(__name__)

EDIT_MEMORY = 20_000
SEARCH_LIMIT = 200  # messages read to find a part of a repost a crash left unrecorded
# An update whose last edit is older than the moment this process began listening (less this much, for clock
# drift) is not an edit it can judge: a thread started from the message, say, after a restart.
EDIT_CLOCK_SLACK = timedelta(seconds=60)
ALLOWED_KEPT = timedelta(days=180)  # what allowed messages carried is forgotten after this long
DECISION_WAIT_S = 10.0  # how long a decision waits for its repost, card update and DM before returning
RAID_TIMEOUT = timedelta(days=1)  # "Reject all & time out"
_ALLOWED_CLASSES = frozenset({LinkClass.INTERNAL, LinkClass.ALLOWED})
_LINK_REASONS = frozenset({Reason.EXTERNAL_LINK, Reason.SHORTENED_LINK, Reason.MEDICAL_SITE, Reason.INVITE})


P = ParamSpec("P")
R = TypeVar("R")


def _tracked(
    method: Callable[Concatenate[Gate, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[Gate, P], Coroutine[Any, Any, R]]:
    """Count the call as work in flight, so a shutdown can let it finish (see Gate.drain)."""

    @functools.wraps(method)
    async def wrapper(gate: Gate, /, *args: P.args, **kwargs: P.kwargs) -> R:
        gate._busy += 1
        gate._idle.clear()
        try:
            return await method(gate, *args, **kwargs)
        finally:
            gate._busy -= 1
            if not gate._busy:
                gate._idle.set()

    return wrapper


def _flaggable(verdict: Verdict) -> frozenset[str]:
    """What in a message a moderator might have to judge: outside links and addresses."""
    keys = {f"{link.link_class}:{link.domain}" for link in verdict.links if link.link_class not in _ALLOWED_CLASSES}
    keys.update(f"email:{address.lower()}" for address in verdict.emails)
    return frozenset(keys)


class Gate:
    """Screens messages and carries held ones through to a decision."""

    def __init__(self, client: discord.Client, community: Community, engine: Engine) -> None:
        self.client = client
        self.community = community
        self.engine = engine
        self.publisher = Publisher(client)
        self.raid = RaidWatch()
        self.bulk = BulkDeleter()
        self.courier = GateCourier(self)
        self.outbox = OutboxWorker(lambda: self.store, self.courier)
        # What each allowed message already carried, so an edit is judged only on what it adds (survives a
        # restart: written behind to the store), and the newest message seen in each channel.
        self.memory = ScreeningMemory(lambda: self.store)
        # The last edit judged of each message (its edited_at), so an update that changes nothing is not judged again.
        self._edits_judged: OrderedDict[int, datetime] = OrderedDict()
        self._listening_since: datetime | None = None
        # Messages being screened (a lock each, and how many wait on it), and messages this process held.
        self._screening: dict[int, tuple[asyncio.Lock, list[int]]] = {}
        self._held: OrderedDict[int, None] = OrderedDict()
        self._recent: OrderedDict[int, None] = OrderedDict()  # messages screened by this process
        self.catch_up = CatchUp(self)
        self._busy = 0
        # Messages whose hold is under way in this process: start-up reconciliation leaves them to it.
        self._holding: set[int] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    async def drain(self, timeout: float) -> bool:  # noqa: ASYNC109 - a shutdown bounds its wait
        """Wait until no hold or decision is half done; False if some still were after timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("shutting down with %d holds or decisions still in flight", self._busy)
            return False
        return True

    @property
    def store(self) -> Store:
        """The store behind the community cache."""
        return self.community.store

    # --- screening ----------------------------------------------------------------------

    async def screen(self, message: discord.Message) -> Verdict | None:
        """Judge a new message and apply the verdict; None when it is not screened at all."""
        if message.guild is not None:
            self.catch_up.live(message.channel.id, message.id)
        return await self.screen_missed(message)

    async def screen_missed(self, message: discord.Message) -> Verdict | None:
        """Judge a message read from history (the catch-up) exactly as a live one; None when not screened."""
        if message.guild is not None:
            if message.id in self._recent:
                return None  # screened already (a repeated delivery, or both the catch-up and the live line)
            self._recent[message.id] = None
            if len(self._recent) > EDIT_MEMORY:
                self._recent.popitem(last=False)
            self.memory.saw(message.guild.id, message.channel.id, message.id)
        async with self._one_at_a_time(message.id):
            return await self._screen(message)

    async def _screen(self, message: discord.Message) -> Verdict | None:
        prepared = await self._prepare(message)
        if prepared is None:
            return None
        settings, facts_author, starter_of = prepared
        policy = await self.community.policy(settings.guild_id)
        verdict = self.engine.evaluate(facts_author, message_facts(message, starter_of=starter_of), policy)
        verdict = await self._spend_preapprovals(message, facts_author, verdict, policy, starter_of)
        if verdict.action is Action.ALLOW:
            log.debug("verdict allow guild=%s channel=%s message=%s", settings.guild_id, message.channel.id, message.id)
            flaggable = _flaggable(verdict)
            if flaggable:
                self._remember_allowed(message, flaggable)
            return verdict
        self._log_verdict(message, verdict, edited=False)
        await self.hold(message, verdict, starter_of=starter_of, edited=False)
        return verdict

    def listening(self) -> None:
        """The bot is connected: edits made from now on are this process's to judge."""
        if self._listening_since is None:
            self._listening_since = discord.utils.utcnow()

    def _unchanged(self, after: discord.Message, before: discord.Message | None) -> bool:
        """True when an update did not change the text: a thread started from it, a pin, an embed unfurled."""
        if before is not None:
            # An attachment removed is a change too: a held copy must not keep what the author took back.
            same_files = [a.id for a in before.attachments] == [a.id for a in after.attachments]
            return before.content == after.content and same_files
        edited = after.edited_at
        if edited is None:
            return True  # never edited: Discord sets edited_timestamp on every change of content
        judged = self._edits_judged.get(after.id)
        if judged is not None and edited <= judged:
            return True  # the version already judged
        since = self._listening_since
        # Edited before this process listened: this update is not that edit (which an earlier run judged).
        return since is not None and edited < since - EDIT_CLOCK_SLACK

    def _judged_edit(self, message: discord.Message) -> None:
        if message.edited_at is None:
            return
        self._edits_judged[message.id] = message.edited_at
        self._edits_judged.move_to_end(message.id)
        if len(self._edits_judged) > EDIT_MEMORY:
            self._edits_judged.popitem(last=False)

    async def screen_edit(self, after: discord.Message, before: discord.Message | None) -> Verdict | None:
        """Judge an edit on what it adds: hold it only if it brings a new link or address."""
        if self._unchanged(after, before):
            return None  # an update whose text did not change is never judged as an edit
        self._judged_edit(after)
        async with self._one_at_a_time(after.id):
            return await self._screen_edit(after, before)

    async def _screen_edit(self, after: discord.Message, before: discord.Message | None) -> Verdict | None:
        prepared = await self._prepare(after)
        if prepared is None:
            return None
        settings, facts_author, starter_of = prepared
        policy = await self.community.policy(settings.guild_id)
        # An edit is not a first post: the new-member rule has had its say.
        established = AuthorFacts(
            facts_author.user_id,
            is_moderator=facts_author.is_moderator,
            approved_posts=facts_author.approved_posts,
            trusted=True,
            links_preapproved=facts_author.links_preapproved,
            preapproved_domains=facts_author.preapproved_domains,
        )
        if after.id in self._held:
            # Held already (the edit raced the removal, or the removal failed): moderators judge what the
            # author last wrote, not the version the bot happened to catch.
            await self._update_held(after, established, policy, starter_of)
            return None
        old: frozenset[str] | None = None
        if before is not None:
            old = _flaggable(self.engine.evaluate(established, message_facts(before, starter_of=starter_of), policy))
        refetched = False
        while True:
            verdict = self.engine.evaluate(established, message_facts(after, starter_of=starter_of), policy)
            new_flaggable = _flaggable(verdict)
            if old is None and new_flaggable:
                # Not in discord.py's cache (a restart, an old message): what the message carried when it was allowed.
                old = await self.memory.carried(after.id)
            carried = old or frozenset()
            if verdict.action is Action.ALLOW and new_flaggable - carried:
                verdict = await self._spend_preapprovals(
                    after, established, verdict, policy, starter_of, carried=carried
                )
            if verdict.action is Action.ALLOW or not (new_flaggable - carried):
                if new_flaggable and new_flaggable | carried != self.memory.known(after.id):
                    self._remember_allowed(after, new_flaggable | carried)
                return verdict
            if refetched:
                break
            # About to take it down: judge the message as it stands now. The author may have edited the link
            # out again before this event was handled (then nothing is held), or changed it again.
            latest = await self._latest(after)
            refetched = True
            if latest is None:
                return None  # deleted meanwhile: nothing to hold
            if latest.content == after.content:
                break
            after = latest
            self._judged_edit(after)
        if await self.store.items.by_message(after.id) is not None:
            # Already held (its removal failed): the stored copy follows the author's last version.
            await self._update_held(after, established, policy, starter_of)
            return None
        self._log_verdict(after, verdict, edited=True)
        # An edited forum post's opening message is held alone: removing the whole post would take other
        # members' replies with it, and Discord keeps a thread whose starter message is deleted. Approved,
        # the message goes back into the same post.
        await self.hold(after, verdict, starter_of=None, edited=True)
        return verdict

    async def _latest(self, message: discord.Message) -> discord.Message | None:
        """The message as Discord has it now; None when it was deleted, the event's copy when Discord fails."""
        try:
            return await message.channel.fetch_message(message.id)
        except discord.NotFound:
            return None
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning(
                "could not re-read edited message guild=%s channel=%s message=%s (%s): judging the edit as received",
                message.guild.id if message.guild else None,
                message.channel.id,
                message.id,
                exc.status if isinstance(exc, discord.HTTPException) else type(exc).__name__,
            )
            return message

    async def _update_held(
        self, message: discord.Message, established: AuthorFacts, policy: Policy, starter_of: discord.Thread | None
    ) -> None:
        """A held message was edited: the stored copy (what a moderator approves) becomes the latest version."""
        item = await self.store.items.by_message(message.id)
        names = tuple(attachment.filename for attachment in message.attachments)
        if item is None or not item.is_open or (item.content, item.attachment_names) == (message.content, names):
            return
        verdict = self.engine.evaluate(established, message_facts(message, starter_of=starter_of), policy)
        # Why it was held stays on the card when the latest version would pass: it was held for that.
        reasons = verdict.reasons if verdict.action is not Action.ALLOW else item.reasons
        links = tuple(StoredLink.from_link(link) for link in verdict.links)
        if await self.store.items.update_copy(
            item.id, content=message.content, links=links, reasons=reasons, attachment_names=names
        ):
            log.info("item %s (message %s): edited while held; the card shows the latest", item.id, message.id)
            self.outbox.kick()

    def _note_held(self, message_id: int) -> None:
        self._held[message_id] = None
        if len(self._held) > EDIT_MEMORY:
            self._held.popitem(last=False)

    @contextlib.asynccontextmanager
    async def _one_at_a_time(self, message_id: int) -> AsyncIterator[None]:
        """One screening at a time per message: an edit waits for the hold of the version before it."""
        entry = self._screening.get(message_id)
        if entry is None:
            entry = self._screening[message_id] = (asyncio.Lock(), [0])
        lock, users = entry
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._screening[message_id]

    async def _prepare(
        self, message: discord.Message
    ) -> tuple[GuildSettings, AuthorFacts, discord.Thread | None] | None:
        guild = message.guild
        if guild is None or message.type not in SCREENED_TYPES:
            return None  # DMs, and system messages (no member text)
        # A webhook's message (not a bot's reply to its own slash command, which carries one too) is screened.
        through_webhook = message.webhook_id is not None and message.interaction_metadata is None
        if message.author.bot and not through_webhook:
            return None  # a bot's own messages (replies to its slash commands too) are not screened
        settings = await self.community.settings(guild.id)
        channel = message.channel
        channel_ids = {channel.id, getattr(channel, "parent_id", None), getattr(channel, "category_id", None)}
        channel_ids.discard(None)  # else an unset moderator channel (None) would match every uncategorised channel
        if settings.moderator_channel_id in channel_ids or settings.unscreened_channel_ids & channel_ids:
            return None
        if through_webhook:
            me = self.client.user
            if (me is not None and message.author.id == me.id) or await self.publisher.is_ours(message):
                return None  # our own reposts are never screened
            # Any other webhook (an integration, or one posing as the bot or a member) is screened like a member,
            # though it has no member record and is no one's first post: its links and addresses are judged.
            return settings, webhook_author_facts(message), forum_post_thread(message)
        moderator = is_moderator(message.author, settings)
        record = await self.community.member(guild.id, message.author.id)
        return settings, author_facts(message.author, record, moderator), forum_post_thread(message)

    async def _spend_preapprovals(
        self,
        message: discord.Message,
        facts_author: AuthorFacts,
        verdict: Verdict,
        policy: Policy,
        starter_of: discord.Thread | None,
        *,
        carried: frozenset[str] = frozenset(),
    ) -> Verdict:
        """Spend the counted pre-approval an allowed message's links passed on; the verdict that stands.

        The spend is a compare-and-set in the store: when another message spent the last use
        first, the member is re-read and the message judged again without that grant. The message
        is remembered as allowed in the same transaction (with what an edited one `carried` before).
        """
        if not verdict.links or verdict.action is not Action.ALLOW:
            return verdict  # the usual case (clean chat, or held anyway): nothing to spend
        guild = message.guild
        assert guild is not None  # screened messages are in a guild
        for _ in range(3):  # each retry follows a grant running out, so a few always suffice
            record = await self.community.member(guild.id, message.author.id)
            grants = grants_to_spend(record, verdict, policy)
            if not grants:
                return verdict
            allowed = AllowedMessage(message.id, guild.id, message.channel.id, _flaggable(verdict) | carried)
            spent = await self.store.members.spend_preapprovals(grants, allowed=allowed)
            record = await self.community.refresh_member(guild.id, message.author.id)
            if spent:
                self.memory.remember(allowed, saved=True)
                log.info("guild=%s message=%s: spent link pre-approvals %s", guild.id, message.id, grants)
                return verdict
            # Judged as before, without the spent grant (an edit keeps its exemption from the new-member rule).
            facts_author = replace(
                author_facts(message.author, record, facts_author.is_moderator), trusted=facts_author.trusted
            )
            verdict = self.engine.evaluate(facts_author, message_facts(message, starter_of=starter_of), policy)
        return verdict

    def _remember_allowed(self, message: discord.Message, flaggable: frozenset[str]) -> None:
        guild_id = message.guild.id if message.guild else 0
        self.memory.remember(AllowedMessage(message.id, guild_id, message.channel.id, flaggable))

    @staticmethod
    def _log_verdict(message: discord.Message, verdict: Verdict, *, edited: bool) -> None:
        log.info(
            "verdict %s guild=%s channel=%s message=%s author=%s reasons=%s domains=%s%s",
            verdict.action,
            message.guild.id if message.guild else None,
            message.channel.id,
            message.id,
            message.author.id,
            ",".join(verdict.reasons),
            ",".join(verdict.domains),
            " edited" if edited else "",
        )

    # --- holding ------------------------------------------------------------------------

    @_tracked
    async def hold(
        self, message: discord.Message, verdict: Verdict, *, starter_of: discord.Thread | None, edited: bool
    ) -> HeldItem:
        """Store the message, its attachments and what must be said of it; remove the original; let the outbox go."""
        self._holding.add(message.id)
        try:
            return await self._hold(message, verdict, starter_of=starter_of, edited=edited)
        finally:
            self._holding.discard(message.id)

    async def _hold(
        self, message: discord.Message, verdict: Verdict, *, starter_of: discord.Thread | None, edited: bool
    ) -> HeldItem:
        try:
            attachments = await read_attachments(message)
        except discord.HTTPException as exc:
            # The bytes could not be fetched: keep the message anyway (and say so in the logs).
            log.error("guild=%s message=%s: could not read attachments (%s)", message.guild, message.id, exc)
            attachments = ()
        item, created = await self.store.items.add(
            held_item(
                message,
                verdict,
                attachments,
                starter_of=starter_of,
                edited=edited,
                webhook_name=self.publisher.webhook_name(message.webhook_id),
            )
        )
        if not created:
            return item  # the same message arrived twice; the first delivery handles it
        self._note_held(item.message_id)
        await self.community.refresh_member(item.guild_id, item.author_id)
        raider = Reason.NEW_MEMBER in verdict.reasons and bool(_LINK_REASONS & set(verdict.reasons))
        raid = await self.community.raid(item.guild_id)  # cached with the policy the verdict used
        if raider:
            started = self.raid.note(item.guild_id, item.author_id, item.external_domains, raid)
            # Kept in the store as it changes (a restart mid-raid carries on), with the raid card if this starts one.
            watch = self.raid.state(item.guild_id)
            await self.store.raid.record_sighting(
                item.guild_id,
                watch.sightings[-1],
                active=watch.active,
                raid_size=watch.raid_size,
                forget_before=self.raid.window_start(item.guild_id),
                raid_card_item=item.id if started else None,
            )
        item = await self._remove_original(item, message, starter_of)
        # The card and the DM wait until the original is dealt with (the card says if it could not be).
        await self.store.outbox.release(item.id)
        self.outbox.kick()
        return item

    async def _remove_original(
        self,
        item: HeldItem,
        message: discord.Message | discord.PartialMessage | None,
        starter_of: discord.Thread | None,
    ) -> HeldItem:
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
            await self.store.items.mark_original_removed(item.id, error="I lack the Manage Messages permission there")
            return await self._reload(item)
        except (discord.HTTPException, OSError, aiohttp.ClientError, TimeoutError) as exc:
            # A network failure counts as a Discord error: the card still goes, the removal is retried at start-up.
            log.error(
                "removing held message guild=%s message=%s failed (%s); will retry at start-up",
                item.guild_id,
                item.message_id,
                exc.status if isinstance(exc, discord.HTTPException) else type(exc).__name__,
            )
            return item
        await self.store.items.mark_original_removed(item.id)
        return await self._reload(item)

    async def _reload(self, item: HeldItem) -> HeldItem:
        fresh = await self.store.items.get(item.id)
        assert fresh is not None
        return fresh

    def _moderator_channel(self, settings: GuildSettings) -> discord.TextChannel | None:
        guild = self.client.get_guild(settings.guild_id)
        if guild is None or settings.moderator_channel_id is None:
            return None
        channel = guild.get_channel(settings.moderator_channel_id)
        return channel if isinstance(channel, discord.TextChannel) else None

    async def author_info(self, item: HeldItem) -> tuple[discord.Member | discord.User | None, Any]:
        """The item's author as Discord knows them (None when gone), and their community record."""
        guild = self.client.get_guild(item.guild_id)
        author: discord.Member | discord.User | None = guild.get_member(item.author_id) if guild else None
        if author is None:
            author = self.client.get_user(item.author_id)
        record = await self.community.member(item.guild_id, item.author_id)
        return author, record

    # --- deciding -----------------------------------------------------------------------

    async def is_moderator_interaction(self, interaction: discord.Interaction[Any]) -> bool:
        """True when the person who clicked is a moderator of that guild."""
        if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
            return False
        settings = await self.community.settings(interaction.guild_id)
        return is_moderator(interaction.user, settings)

    @_tracked
    async def decide_from_interaction(
        self, interaction: discord.Interaction[Any], item_id: int, decision: Decision, *, reason: str | None = None
    ) -> None:
        """Apply a moderator's click, and tell them the outcome privately."""
        await interaction.response.defer()
        moderator = interaction.user
        assert isinstance(moderator, discord.Member)  # checked by interaction_check
        item = await self.store.items.get(item_id)
        if item is None or item.guild_id != interaction.guild_id:
            await interaction.followup.send(f"Item #{item_id} does not exist here.", ephemeral=True)
            return
        outcome = await self.decide(item_id, decision, moderator, reason=reason)
        if not outcome.won:
            await interaction.followup.send(
                f"Item #{item_id} was already decided: {words.outcome_line(outcome.item)}", ephemeral=True
            )
        elif outcome.item.state is not ItemState.REJECTED and outcome.item.repost_message_id is None:
            if await self.store.outbox.rows((OutboxState.FAILED,), item_id=item_id):
                await interaction.followup.send(
                    f"Approved item #{item_id}, but I could not publish it (do I have Manage Webhooks in "
                    f"<#{outcome.item.channel_id}>?). I will try again when I restart.",
                    ephemeral=True,
                )
            else:
                await interaction.followup.send(
                    f"Approved item #{item_id}: it is queued and will be published shortly.", ephemeral=True
                )
        elif interaction.message is not None and interaction.message.id != outcome.item.card_message_id:
            # The click came from a private message (the reason picker, an item of a grouped card): say it is done.
            line = words.outcome_line(outcome.item).rstrip(".")
            await interaction.followup.send(f"Item #{item_id}: {line}.", ephemeral=True)

    async def decide_from_reaction(self, payload: discord.RawReactionActionEvent) -> None:
        """✅ approves and ❌ rejects, on a card, from a moderator; anyone else's reaction is removed."""
        emoji = str(payload.emoji)
        if payload.guild_id is None or emoji not in (words.REACTION_APPROVE, words.REACTION_REJECT):
            return
        me = self.client.user
        if me is not None and payload.user_id == me.id:
            return
        settings = await self.community.settings(payload.guild_id)
        if payload.channel_id != settings.moderator_channel_id:
            return
        group = await self.store.outbox.card_group_by_message(payload.message_id)
        item = None if group is not None else await self.store.items.by_card(payload.message_id)
        if item is None and group is None:
            return
        what = f"group {group.id}" if group is not None else f"item {item.id if item else '?'}"
        member = payload.member
        if member is None or not is_moderator(member, settings):
            log.info("removed reaction %s on %s by non-moderator %s", emoji, what, payload.user_id)
            await self._remove_reaction(payload, what)
            return
        if group is not None:
            decision = Decision.APPROVE if emoji == words.REACTION_APPROVE else Decision.REJECT
            reason = None if decision is Decision.APPROVE else words.GENERIC_REJECT_REASON
            outcomes = await self.decide_group(group.id, decision, member, reason=reason)
            if not any(outcome.won for outcome in outcomes):
                items = await self.store.items.of_card_group(group.id)
                await self._tell_reaction_loser(payload, member, what, words.group_already_decided(group.id, items))
            return
        assert item is not None
        if emoji == words.REACTION_APPROVE:
            decision = Decision.RESTORE if item.state is ItemState.BLOCKED else Decision.APPROVE
            outcome = await self.decide(item.id, decision, member)
        else:
            outcome = await self.decide(item.id, Decision.REJECT, member, reason=words.GENERIC_REJECT_REASON)
        if not outcome.won:
            line = f"Item #{item.id} was already decided: {words.outcome_line(outcome.item)}"
            await self._tell_reaction_loser(payload, member, what, line)

    async def _remove_reaction(self, payload: discord.RawReactionActionEvent, what: str) -> None:
        try:
            channel = self.client.get_channel(payload.channel_id)
            if isinstance(channel, discord.TextChannel):
                await channel.get_partial_message(payload.message_id).remove_reaction(
                    payload.emoji, discord.Object(payload.user_id)
                )
        except discord.HTTPException as exc:
            log.warning("could not remove reaction on %s (%s)", what, exc.status)

    async def _tell_reaction_loser(
        self, payload: discord.RawReactionActionEvent, moderator: discord.Member, what: str, line: str
    ) -> None:
        """A reaction that lost a race: it goes, and its moderator is told who decided first.

        A reaction has no interaction to answer privately, so the answer is a short notice in the
        moderator channel that pings only them and deletes itself (a DM would leave the channel).
        """
        log.info("reaction %s on %s by %s lost to an earlier decision", payload.emoji, what, moderator.id)
        await self._remove_reaction(payload, what)  # left on a decided card, it would read as the decision
        channel = self.client.get_channel(payload.channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        # Deleted after a while even if the bot restarts meanwhile (delete_after would die with the process).
        notice = f"{moderator.mention} {line}"
        if not await self.courier.post_notice(
            channel, channel.guild.id, moderator.id, notice, words.RACE_NOTICE_SECONDS
        ):
            log.warning("could not tell moderator %s that %s was already decided", moderator.id, what)

    @_tracked
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

    @_tracked
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

    @_tracked
    async def decide_group_from_interaction(
        self, interaction: discord.Interaction[Any], group_id: int, decision: Decision, *, timeout_member: bool
    ) -> None:
        """Approve all / Reject all / Reject all & time out, from a grouped card; the outcome said privately."""
        await interaction.response.defer()
        moderator = interaction.user
        assert isinstance(moderator, discord.Member)  # checked by interaction_check
        group = await self.store.outbox.card_group(group_id)
        if group is None or group.guild_id != interaction.guild_id:
            await interaction.followup.send(f"Grouped card #{group_id} does not exist here.", ephemeral=True)
            return
        reason = None
        if decision is Decision.REJECT:
            reason = words.SPAM_REJECT_REASON if timeout_member else words.GENERIC_REJECT_REASON
        outcomes = await self.decide_group(group_id, decision, moderator, reason=reason)
        won = sum(outcome.won for outcome in outcomes)
        verb = "Approved" if decision is not Decision.REJECT else "Rejected"
        lines = [f"{verb} {won} item{'s' if won != 1 else ''}."]
        items = await self.store.items.of_card_group(group_id)
        already = len(items) - won
        if already:
            lines.append(f"{already} had already been decided.")
        if timeout_member:
            # Only the authors this click rejected: a member whose message was approved is not timed out.
            # A webhook is no member to time out (a moderator deletes the webhook instead).
            rejected = {
                o.item.author_id
                for o in outcomes
                if o.won and o.item.state is ItemState.REJECTED and o.item.webhook_id is None
            }
            lines += await self._time_out_authors(interaction, rejected)
        await interaction.followup.send(" ".join(lines), ephemeral=True)

    async def _time_out_authors(self, interaction: discord.Interaction[Any], author_ids: set[int]) -> list[str]:
        guild = interaction.guild
        if guild is None:
            return []
        done, failed, spared = 0, 0, 0
        settings = await self.community.settings(guild.id)
        me = self.client.user
        for author_id in sorted(author_ids):
            member = guild.get_member(author_id)
            try:
                if member is None:
                    member = await guild.fetch_member(author_id)
                if is_moderator(member, settings) or member.bot or (me is not None and member.id == me.id):
                    # A moderator (made one since, say) or a bot is never timed out by a click on a spam card.
                    spared += 1
                    continue
                await member.timeout(RAID_TIMEOUT, reason=f"Forum Bridge: rejected as spam by {interaction.user.id}")
                done += 1
                log.info("timed out member %s in guild %s (by %s)", author_id, guild.id, interaction.user.id)
            except discord.HTTPException as exc:
                failed += 1
                log.warning("could not time out member %s in guild %s (%s)", author_id, guild.id, exc.status)
        lines = []
        if done:
            lines.append(f"Timed out {done} member{'s' if done != 1 else ''} for a day.")
        if failed:
            lines.append(
                f"I could not time out {failed} member{'s' if failed != 1 else ''} "
                "(do I have Moderate Members, and a role above theirs?)."
            )
        if spared:
            lines.append(
                f"I did not time out {spared} moderator{'s' if spared != 1 else ''} or bot{'s' if spared != 1 else ''}."
            )
        return lines

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

    async def show_group_item(self, interaction: discord.Interaction[Any], group_id: int, item_id: int) -> None:
        """One item of a grouped card, privately, with its own buttons."""
        # Answer Discord within its 3 seconds before reading the store (busy in a raid).
        await interaction.response.defer(ephemeral=True, thinking=True)
        item = await self.store.items.get(item_id)
        # The item must be on this card and in this server (the moderator check is per server).
        if (
            item is None
            or item.guild_id != interaction.guild_id
            or await self.store.outbox.card_group_of(item_id) != group_id
        ):
            await interaction.followup.send("That item is not on this card.", ephemeral=True)
            return
        author, record = await self.author_info(item)
        view = card_view(item)
        # As complete as an item's own card: the whole text when the card cuts it, and the files it can carry.
        limit = interaction.guild.filesize_limit if interaction.guild else DEFAULT_UPLOAD_LIMIT
        embed = card_embed(item, author=author, record=record, upload_limit=limit)
        attachments = await self.store.items.attachments(item.id)
        files = card_files(item, embed, attachments, limit)
        try:
            await interaction.edit_original_response(embed=embed, view=view, attachments=files)
        except discord.HTTPException as exc:
            if exc.status != 413:
                raise
            # Discord refused the files here: the moderator still gets the item, its whole text and its buttons.
            log.warning("guild=%s item=%s: Discord refused a one-by-one view's files (413)", item.guild_id, item.id)
            await interaction.edit_original_response(
                content="Discord refused this item's files here: its files are not shown.",
                embed=embed,
                view=view,
                attachments=card_files(item, embed, [], limit),
            )

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

    async def find_repost(self, item: HeldItem) -> tuple[int, int] | None:
        """The item's repost when all of it is on Discord (a crash came between posting and recording), else None.

        Each part is recorded as Discord confirms it; a part sent but not recorded is looked for on Discord, after
        the part before it (or after the original message: snowflakes, Discord's own clock, not the host's), and
        recorded when found. None means the rest still has to be sent: the repost resumes after the last part found.
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
                found = await self._find_part(item, channel, hook, parts, chunks[len(parts)])
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
            async for message in target.history(limit=SEARCH_LIMIT, after=discord.Object(message_id)):
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
        # Newest first, back to the original: the repost is recent, however much was said since the original.
        async for message in target_channel.history(limit=SEARCH_LIMIT, after=since, oldest_first=False):
            if await ours(message):
                return message
        return None

    # --- start-up -------------------------------------------------------------------------

    async def load_raids(self) -> None:
        """Take up the raid watches as a previous run left them (before any message is screened)."""
        for state in await self.store.raid.states():
            self.raid.restore(state, await self.community.raid(state.guild_id))

    @_tracked
    async def reconcile(self) -> int:
        """Finish every hold or decision a crash interrupted, and start the outbox; returns items touched."""
        self.listening()
        # Held messages still up (their removal failed) can still be edited: the held copy must follow.
        for message_id in await self.store.items.open_message_ids_still_up():
            self._note_held(message_id)
        oldest = discord.utils.time_snowflake(discord.utils.utcnow() - ALLOWED_KEPT)
        forgotten = await self.store.screening.forget_allowed_before(oldest)
        if forgotten:
            log.info("forgot what %d allowed messages older than %s days carried", forgotten, ALLOWED_KEPT.days)
        recovered = await self.courier.recover()
        await self.courier.expire_notices()  # the closed-DM notices a restart left up
        retried = await self.store.outbox.requeue_failed()
        touched = 0
        for item in await self.store.items.unfinished():
            if item.message_id in self._holding:
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
                item = await self._remove_original(item, self._partial_original(item), starter_of)
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
