"""Screening: judge a new or edited message against the guild's policy and hand what must be held to the holder.

A clean message costs one synchronous look-up of cached facts (settings, member record, policy)
and one engine evaluation; awaits happen only when something must be loaded, spent or held.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta

import aiohttp
import discord

from bot.auth import is_moderator
from bot.community import Community
from bot.gate.facts import (
    SCREENED_TYPES,
    author_facts,
    author_facts_of,
    forum_post_thread,
    message_facts,
    webhook_author_facts,
)
from bot.gate.holding import Holder
from bot.gate.memory import ScreeningMemory
from bot.gate.outbox import OutboxWorker
from bot.gate.publisher import Publisher
from bot.models import AllowedMessage, GuildSettings, MemberRecord, StoredLink
from bot.preapprovals import grants_to_spend
from bot.rules import Action, AuthorFacts, Engine, LinkClass, Policy, Verdict
from bot.store import Store

log = logging.getLogger(__name__)

EDIT_MEMORY = 20_000
# An update whose last edit is older than the moment this process began listening (less this much, for clock
# drift) is not an edit it can judge: a thread started from the message, say, after a restart.
EDIT_CLOCK_SLACK = timedelta(seconds=60)
_ALLOWED_CLASSES = frozenset({LinkClass.INTERNAL, LinkClass.ALLOWED})
_DEFAULT, _REPLY = discord.MessageType.default, discord.MessageType.reply  # SCREENED_TYPES
FACTS_KEPT = 50_000  # members whose engine facts are kept built


class Load:
    """screen_now's answer when the message needs the full path (screen_loaded)."""


LOAD = Load()


def _flaggable(verdict: Verdict) -> frozenset[str]:
    """What in a message a moderator might have to judge: outside links and addresses."""
    keys = {f"{link.link_class}:{link.domain}" for link in verdict.links if link.link_class not in _ALLOWED_CLASSES}
    keys.update(f"email:{address.lower()}" for address in verdict.emails)
    return frozenset(keys)


class Screener:
    """Judges messages and edits; holds go to the Holder."""

    def __init__(
        self,
        client: discord.Client,
        community: Community,
        engine: Engine,
        publisher: Publisher,
        memory: ScreeningMemory,
        holder: Holder,
        outbox: OutboxWorker,
    ) -> None:
        self.client = client
        self.community = community
        self.engine = engine
        self.publisher = publisher
        self.memory = memory
        self.holder = holder
        self.outbox = outbox
        # The last edit judged of each message (its edited_at), so an update that changes nothing is not judged again.
        self._edits_judged: OrderedDict[int, datetime] = OrderedDict()
        self._listening_since: datetime | None = None
        # Messages being screened (a lock each, and how many wait on it).
        self._screening: dict[int, tuple[asyncio.Lock, list[int]]] = {}
        self._recent: OrderedDict[int, None] = OrderedDict()  # messages screened by this process
        self._facts: dict[tuple[int, int], tuple[MemberRecord, AuthorFacts]] = {}  # see _member_facts

    @property
    def store(self) -> Store:
        """The store behind the community cache."""
        return self.community.store

    async def screen_missed(self, message: discord.Message) -> Verdict | None:
        """Judge a message read from history (the catch-up) exactly as a live one; None when not screened."""
        verdict = self.screen_now(message)
        if not isinstance(verdict, Load):
            return verdict
        return await self.screen_loaded(message)

    def screen_now(self, message: discord.Message) -> Verdict | Load | None:
        """Judge a message without an await when its facts are cached and it is a plain allow; else LOAD.

        On LOAD the caller goes on with `screen_loaded` (the message is marked as seen already).
        """
        guild = message.guild
        if guild is None:
            return None  # DMs are not screened
        message_id = message.id
        recent = self._recent
        if message_id in recent:
            return None  # screened already (a repeated delivery, or both the catch-up and the live line)
        recent[message_id] = None
        if len(recent) > EDIT_MEMORY:
            recent.popitem(last=False)
        self.memory.saw(guild.id, message.channel.id, message_id)
        if message_id in self._screening:
            return LOAD  # an edit of it is being screened: wait for it
        return self._screen_cached(message, guild)

    async def screen_loaded(self, message: discord.Message) -> Verdict | None:
        """The full path for a message screen_now could not settle: load what is missing, spend, hold."""
        async with self._one_at_a_time(message.id):
            return await self._screen(message)

    def _screen_cached(self, message: discord.Message, guild: discord.Guild) -> Verdict | Load | None:
        """The verdict from cached facts alone, when it is an allow that needs nothing written; else LOAD.

        LOAD sends the message down the full path (`_screen`): something to load, a webhook to
        recognise, a pre-approval to spend or a message to hold. Moderator status, dear to work out,
        is only asked for when the verdict without it is not a plain allow (it can only loosen one).
        """
        kind = message.type
        # Identity tests: an enum's hash is Python code, and this runs for every message.
        if kind is not _DEFAULT and kind is not _REPLY:
            return None  # system messages (no member text)
        author = message.author
        if message.webhook_id is not None:
            return LOAD  # a webhook: ours or not, and screened as a member if not (see _prepare)
        if author.bot:
            return None  # a bot's own messages (replies to its slash commands too) are not screened
        cached = self.community.cached(guild.id, author.id)
        if cached is None:
            return LOAD
        settings, record, policy = cached
        channel = message.channel
        starter_of: discord.Thread | None = None
        if type(channel) is discord.TextChannel:
            ids: tuple[int | None, ...] = (channel.id, channel.category_id)  # no parent, and no post to start
        else:
            ids = (channel.id, getattr(channel, "parent_id", None), getattr(channel, "category_id", None))
            starter_of = forum_post_thread(message)
        moderator_channel, unscreened = settings.moderator_channel_id, settings.unscreened_channel_ids
        # An unset moderator channel (None) must not match every uncategorised channel.
        if (moderator_channel is not None and moderator_channel in ids) or not unscreened.isdisjoint(ids):
            return None
        facts = message_facts(message, starter_of=starter_of)
        verdict = self.engine.evaluate(self._member_facts(record), facts, policy)
        if verdict.action is not Action.ALLOW or verdict.links or verdict.emails:
            if is_moderator(author, settings):
                verdict = self.engine.evaluate(author_facts(author, record, True), facts, policy)
            if verdict.action is not Action.ALLOW:
                return LOAD  # to hold: under the message's lock, on the full path
            if verdict.links and grants_to_spend(record, verdict, policy):
                return LOAD  # a pre-approval to spend (a compare-and-set in the store)
        log.debug("verdict allow guild=%s channel=%s message=%s", guild.id, channel.id, message.id)
        if verdict.links or verdict.emails:
            flaggable = _flaggable(verdict)
            if flaggable:
                self._remember_allowed(message, flaggable)
        return verdict

    def _member_facts(self, record: MemberRecord) -> AuthorFacts:
        """What the engine knows of a member who is not a moderator, built once per record (records are replaced,
        never changed, when the store changes them)."""
        key = (record.guild_id, record.user_id)
        known = self._facts.get(key)
        if known is not None and known[0] is record:
            return known[1]
        if len(self._facts) >= FACTS_KEPT:
            self._facts.clear()  # bounded: rebuilt as members post again
        facts = author_facts_of(record.user_id, record, False)
        self._facts[key] = (record, facts)
        return facts

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
        await self.holder.hold(message, verdict, starter_of=starter_of, edited=False)
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
        if after.id in self.holder.held:
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
        await self.holder.hold(after, verdict, starter_of=None, edited=True)
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
