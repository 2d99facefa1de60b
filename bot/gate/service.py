"""The gate: screen a message, hold it without loss, let moderators decide, publish, tell the author.

Holding runs in a fixed order — store the text and attachment bytes, remove the original,
post the card, tell the author — and each step is recorded, so a crash between any two
steps is finished by `reconcile()` at the next start: nothing is lost, nothing is posted
twice.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any, Concatenate, ParamSpec, TypeVar

import discord

from bot.community import Community
from bot.gate import words
from bot.gate.cards import card_embed, card_files, card_view
from bot.gate.facts import (
    SCREENED_TYPES,
    author_facts,
    forum_post_thread,
    held_item,
    is_moderator,
    message_facts,
    read_attachments,
)
from bot.gate.publisher import Publisher, repost_text
from bot.models import Decision, DecisionOutcome, GuildSettings, HeldItem, ItemState
from bot.preapprovals import grants_to_spend
from bot.rules import Action, AuthorFacts, Engine, LinkClass, Policy, Verdict
from bot.store import Store

log = logging.getLogger(__name__)

CHANNEL_NOTICE_SECONDS = 15
EDIT_MEMORY = 20_000
_ALLOWED_CLASSES = frozenset({LinkClass.INTERNAL, LinkClass.ALLOWED})
_NOTICE_MENTIONS = discord.AllowedMentions(everyone=False, roles=False, users=True)


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
        # What each allowed message already carried, so an edit is judged only on what it adds.
        self._allowed_flaggables: OrderedDict[int, frozenset[str]] = OrderedDict()
        self._busy = 0
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
                self._remember_allowed(message.id, flaggable)
            return verdict
        self._log_verdict(message, verdict, edited=False)
        await self.hold(message, verdict, starter_of=starter_of, edited=False)
        return verdict

    async def screen_edit(self, after: discord.Message, before: discord.Message | None) -> Verdict | None:
        """Judge an edit on what it adds: hold it only if it brings a new link or address."""
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
        verdict = self.engine.evaluate(established, message_facts(after, starter_of=starter_of), policy)
        new_flaggable = _flaggable(verdict)
        if before is not None:
            old = _flaggable(self.engine.evaluate(established, message_facts(before, starter_of=starter_of), policy))
        else:
            old = self._allowed_flaggables.get(after.id, frozenset())
        if verdict.action is Action.ALLOW and new_flaggable - old:
            verdict = await self._spend_preapprovals(after, established, verdict, policy, starter_of)
        if verdict.action is Action.ALLOW or not (new_flaggable - old):
            if new_flaggable:
                self._remember_allowed(after.id, new_flaggable | old)
            return verdict
        if await self.store.item_by_message(after.id) is not None:
            return None  # already held (its removal failed): the stored copy is what moderators judge
        self._log_verdict(after, verdict, edited=True)
        await self.hold(after, verdict, starter_of=starter_of, edited=True)
        return verdict

    async def _prepare(
        self, message: discord.Message
    ) -> tuple[GuildSettings, AuthorFacts, discord.Thread | None] | None:
        guild = message.guild
        if guild is None or message.author.bot or message.webhook_id is not None:
            return None  # DMs, bots and webhooks (our own reposts above all) are not screened
        if message.type not in SCREENED_TYPES:
            return None
        settings = await self.community.settings(guild.id)
        channel = message.channel
        channel_ids = {channel.id, getattr(channel, "parent_id", None), getattr(channel, "category_id", None)}
        if settings.moderator_channel_id in channel_ids or settings.unscreened_channel_ids & channel_ids:
            return None
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
    ) -> Verdict:
        """Spend the counted pre-approval an allowed message's links passed on; the verdict that stands.

        The spend is a compare-and-set in the store: when another message spent the last use
        first, the member is re-read and the message judged again without that grant.
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
            spent = await self.store.spend_preapprovals(grants)
            record = await self.community.refresh_member(guild.id, message.author.id)
            if spent:
                log.info("guild=%s message=%s: spent link pre-approvals %s", guild.id, message.id, grants)
                return verdict
            # Judged as before, without the spent grant (an edit keeps its exemption from the new-member rule).
            facts_author = replace(
                author_facts(message.author, record, facts_author.is_moderator), trusted=facts_author.trusted
            )
            verdict = self.engine.evaluate(facts_author, message_facts(message, starter_of=starter_of), policy)
        return verdict

    def _remember_allowed(self, message_id: int, flaggable: frozenset[str]) -> None:
        self._allowed_flaggables[message_id] = flaggable
        self._allowed_flaggables.move_to_end(message_id)
        if len(self._allowed_flaggables) > EDIT_MEMORY:
            self._allowed_flaggables.popitem(last=False)

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
        """Store the message and its attachments, remove the original, post the card, tell the author."""
        try:
            attachments = await read_attachments(message)
        except discord.HTTPException as exc:
            # The bytes could not be fetched: keep the message anyway (and say so in the logs).
            log.error("guild=%s message=%s: could not read attachments (%s)", message.guild, message.id, exc)
            attachments = ()
        item, created = await self.store.add_held_item(
            held_item(message, verdict, attachments, starter_of=starter_of, edited=edited)
        )
        if not created:
            return item  # the same message arrived twice; the first delivery handles it
        await self.community.refresh_member(item.guild_id, item.author_id)
        item = await self._remove_original(item, message, starter_of)
        item = await self._post_card(item)
        await self._notify_held(item, message.author, message.channel)
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
            await self.store.mark_original_removed(item.id, error="I lack the Manage Messages permission there")
            return await self._reload(item)
        except discord.HTTPException as exc:
            log.error(
                "removing held message guild=%s message=%s failed (%s); will retry at start-up",
                item.guild_id,
                item.message_id,
                exc.status,
            )
            return item
        await self.store.mark_original_removed(item.id)
        return await self._reload(item)

    async def _reload(self, item: HeldItem) -> HeldItem:
        fresh = await self.store.item(item.id)
        assert fresh is not None
        return fresh

    def _moderator_channel(self, settings: GuildSettings) -> discord.TextChannel | None:
        guild = self.client.get_guild(settings.guild_id)
        if guild is None or settings.moderator_channel_id is None:
            return None
        channel = guild.get_channel(settings.moderator_channel_id)
        return channel if isinstance(channel, discord.TextChannel) else None

    async def _post_card(self, item: HeldItem, *, may_exist: bool = False) -> HeldItem:
        settings = await self.community.settings(item.guild_id)
        channel = self._moderator_channel(settings)
        if channel is None:
            log.warning(
                "guild=%s item=%s held, but no moderator channel is set: it waits in the queue", item.guild_id, item.id
            )
            return item
        # Only an interrupted hold can have a card already; a fresh one saves the REST call.
        existing = await self._find_card(channel, item) if may_exist else None
        if existing is None:
            author, record = await self._author_info(item)
            files = card_files(await self.store.attachments(item.id))
            view = card_view(item)
            try:
                existing = await channel.send(
                    embed=card_embed(item, author=author, record=record),
                    view=view or discord.utils.MISSING,
                    files=files or discord.utils.MISSING,
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            except discord.HTTPException as exc:
                log.error(
                    "guild=%s item=%s: could not post the card in channel %s (%s %s)",
                    item.guild_id,
                    item.id,
                    channel.id,
                    exc.status,
                    exc.text,
                )
                return item
        await self.store.set_card(item.id, channel.id, existing.id)
        return await self._reload(item)

    async def _find_card(self, channel: discord.TextChannel, item: HeldItem) -> discord.Message | None:
        """A card already posted for the item (a crash came between posting and recording it)."""
        if item.card_message_id is not None:
            return None
        me = self.client.user
        marker = f"Item #{item.id}"
        try:
            async for message in channel.history(limit=50, after=item.created_at):
                if (
                    me is not None
                    and message.author.id == me.id
                    and any(embed.footer.text == marker for embed in message.embeds)
                ):
                    return message
        except discord.HTTPException:
            return None
        return None

    async def _author_info(self, item: HeldItem) -> tuple[discord.Member | discord.User | None, Any]:
        guild = self.client.get_guild(item.guild_id)
        author: discord.Member | discord.User | None = guild.get_member(item.author_id) if guild else None
        if author is None:
            author = self.client.get_user(item.author_id)
        record = await self.community.member(item.guild_id, item.author_id)
        return author, record

    async def _notify_held(
        self, item: HeldItem, author: discord.Member | discord.User, channel: discord.abc.Messageable | Any
    ) -> None:
        try:
            await author.send(words.held_notice(item))
            return
        except discord.HTTPException as exc:
            log.info("guild=%s item=%s: could not DM author %s (%s)", item.guild_id, item.id, item.author_id, exc.code)
        if item.is_forum_post or not isinstance(channel, discord.abc.Messageable):
            return  # the post's thread is gone: there is nowhere public to say it
        try:
            await channel.send(
                words.channel_notice(author.mention, item),
                delete_after=CHANNEL_NOTICE_SECONDS,
                allowed_mentions=_NOTICE_MENTIONS,
            )
        except discord.HTTPException as exc:
            log.warning("guild=%s item=%s: could not post a notice either (%s)", item.guild_id, item.id, exc.status)

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
        item = await self.store.item(item_id)
        if item is None or item.guild_id != interaction.guild_id:
            await interaction.followup.send(f"Item #{item_id} does not exist here.", ephemeral=True)
            return
        outcome = await self.decide(item_id, decision, moderator, reason=reason)
        if not outcome.won:
            await interaction.followup.send(
                f"Item #{item_id} was already decided: {words.outcome_line(outcome.item)}", ephemeral=True
            )
        elif outcome.item.state is not ItemState.REJECTED and outcome.item.repost_message_id is None:
            await interaction.followup.send(
                f"Approved item #{item_id}, but I could not publish it (do I have Manage Webhooks in "
                f"<#{outcome.item.channel_id}>?). I will try again when I restart.",
                ephemeral=True,
            )
        elif interaction.message is not None and interaction.message.id != outcome.item.card_message_id:
            # The click came from the private reason picker: say it is done.
            await interaction.followup.send(f"Rejected item #{item_id}.", ephemeral=True)

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
        item = await self.store.item_by_card(payload.message_id)
        if item is None:
            return
        member = payload.member
        if member is None or not is_moderator(member, settings):
            log.info("removed reaction %s on item %s by non-moderator %s", emoji, item.id, payload.user_id)
            try:
                channel = self.client.get_channel(payload.channel_id)
                if isinstance(channel, discord.TextChannel):
                    await channel.get_partial_message(payload.message_id).remove_reaction(
                        payload.emoji, discord.Object(payload.user_id)
                    )
            except discord.HTTPException as exc:
                log.warning("could not remove reaction on item %s (%s)", item.id, exc.status)
            return
        if emoji == words.REACTION_APPROVE:
            decision = Decision.RESTORE if item.state is ItemState.BLOCKED else Decision.APPROVE
            await self.decide(item.id, decision, member)
        else:
            await self.decide(item.id, Decision.REJECT, member, reason=words.GENERIC_REJECT_REASON)

    @_tracked
    async def decide(
        self, item_id: int, decision: Decision, moderator: discord.Member, *, reason: str | None = None
    ) -> DecisionOutcome:
        """Record a decision exactly once and carry out its effects."""
        outcome = await self.store.decide(
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
        log.info(
            "decision %s item=%s guild=%s channel=%s message=%s moderator=%s",
            decision,
            item.id,
            item.guild_id,
            item.target_channel_id,
            item.message_id,
            moderator.id,
        )
        await self.community.refresh_member(item.guild_id, item.author_id)
        if decision is Decision.APPROVE_DOMAIN and item.external_domains:
            await self.community.allow_domains(item.guild_id, list(item.external_domains), moderator.id)
        item = await self.finish(item)
        return DecisionOutcome(True, item)

    async def finish(self, item: HeldItem) -> HeldItem:
        """After a decision: publish if approved, update the card, tell the author."""
        if item.state in (ItemState.APPROVED, ItemState.RESTORED) and item.repost_message_id is None:
            item = await self._publish(item)
        await self._update_card(item)
        # An approved author hears of it once it is published, with the link to it.
        settled = item.state is ItemState.REJECTED or item.repost_message_id is not None
        if settled and not item.author_notified:
            await self._notify_decision(item)
            await self.store.mark_author_notified(item.id)
            item = await self._reload(item)
        return item

    async def _publish(self, item: HeldItem) -> HeldItem:
        guild = self.client.get_guild(item.guild_id)
        channel = guild.get_channel(item.channel_id) if guild else None
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            log.error("item %s: channel %s is gone; cannot publish", item.id, item.channel_id)
            return item
        existing = await self._find_repost(channel, item)
        if existing is None:
            try:
                sent = await self.publisher.publish(item, channel, await self.store.attachments(item.id))
            except discord.HTTPException as exc:
                log.error(
                    "item %s: publishing in channel %s failed (%s %s); will retry at start-up",
                    item.id,
                    channel.id,
                    exc.status,
                    exc.text,
                )
                await self.store.audit(item.guild_id, "publish_failed", actor_id=None, item_id=item.id, detail=exc.text)
                return item
            existing_channel, existing_id = sent.channel.id, sent.id
        else:
            existing_channel, existing_id = existing
        await self.store.set_repost(item.id, existing_channel, existing_id)
        return await self._reload(item)

    async def _find_repost(
        self, channel: discord.TextChannel | discord.ForumChannel, item: HeldItem
    ) -> tuple[int, int] | None:
        """A repost already made for the item (a crash came between posting and recording it)."""
        if not isinstance(channel, discord.TextChannel) or item.decided_at is None:
            return None
        target: discord.abc.Messageable = channel
        if item.thread_id:
            thread = channel.guild.get_thread(item.thread_id)
            if thread is None:
                return None
            target = thread
        first_chunk = repost_text(item)[:2000]
        try:
            async for message in target.history(limit=50, after=item.decided_at):
                if self.publisher.owns(message.webhook_id) and message.content == first_chunk:
                    return message.channel.id, message.id
        except discord.HTTPException:
            return None
        return None

    async def _update_card(self, item: HeldItem) -> None:
        if item.card_channel_id is None or item.card_message_id is None:
            return
        channel = self.client.get_channel(item.card_channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        author, record = await self._author_info(item)
        try:
            await channel.get_partial_message(item.card_message_id).edit(
                embed=card_embed(item, author=author, record=record), view=card_view(item)
            )
        except discord.HTTPException as exc:
            log.warning("item %s: could not update its card (%s)", item.id, exc.status)

    async def _notify_decision(self, item: HeldItem) -> None:
        if item.state in (ItemState.APPROVED, ItemState.RESTORED):
            jump = None
            if item.repost_message_id is not None and item.repost_channel_id is not None:
                jump = f"https://discord.com/channels/{item.guild_id}/{item.repost_channel_id}/{item.repost_message_id}"
            text = words.approved_notice(item, jump)
        else:
            text = words.rejected_notice(item)
        user = self.client.get_user(item.author_id)
        try:
            if user is None:
                user = await self.client.fetch_user(item.author_id)
            await user.send(text)
        except discord.HTTPException as exc:
            log.info("item %s: could not DM author %s about the decision (%s)", item.id, item.author_id, exc.code)

    # --- start-up -------------------------------------------------------------------------

    @_tracked
    async def reconcile(self) -> int:
        """Finish every hold or decision a crash interrupted; returns how many items were touched."""
        touched = 0
        for item in await self.store.unfinished_items():
            touched += 1
            try:
                await self._reconcile_item(item)
            except discord.HTTPException as exc:
                log.error("reconciling item %s failed (%s %s)", item.id, exc.status, exc.text)
        if touched:
            log.info("reconciled %d unfinished items", touched)
        return touched

    async def _reconcile_item(self, item: HeldItem) -> None:
        if item.is_open:
            if not item.original_removed and item.removal_error is None:
                thread = self.client.get_channel(item.thread_id) if item.is_forum_post and item.thread_id else None
                starter_of = thread if isinstance(thread, discord.Thread) else None
                item = await self._remove_original(item, self._partial_original(item), starter_of)
            if item.card_message_id is None:
                item = await self._post_card(item, may_exist=True)
            return
        await self.finish(item)

    def _partial_original(self, item: HeldItem) -> discord.PartialMessage | None:
        channel = self.client.get_channel(item.target_channel_id)
        if isinstance(channel, discord.TextChannel | discord.Thread):
            return channel.get_partial_message(item.message_id)
        return None
