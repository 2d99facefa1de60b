"""The interaction layer: card clicks, reactions on cards, time-outs and the one-by-one view of a grouped card.

It checks who clicked, asks the Decider, and words the outcome for the moderator (privately).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import discord

from bot.auth import is_moderator
from bot.community import Community
from bot.gate import words
from bot.gate.cards import DEFAULT_UPLOAD_LIMIT, card_embed, card_files, card_view
from bot.gate.decisions import Decider
from bot.gate.inflight import InFlight, tracked
from bot.gate.messages import author_info
from bot.gate.notices import Notices
from bot.models import Decision, ItemState, OutboxKind, OutboxState
from bot.store import Store

log = logging.getLogger(__name__)

RAID_TIMEOUT = timedelta(days=1)  # "Reject all & time out"


class Interactions:
    """Answers moderators' clicks and reactions on cards."""

    def __init__(
        self, client: discord.Client, community: Community, decider: Decider, notices: Notices, inflight: InFlight
    ) -> None:
        self.client = client
        self.community = community
        self.decider = decider
        self.notices = notices
        self.inflight = inflight

    @property
    def store(self) -> Store:
        """The store behind the community cache."""
        return self.community.store

    async def is_moderator_interaction(self, interaction: discord.Interaction[Any]) -> bool:
        """True when the person who clicked is a moderator of that guild."""
        if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
            return False
        settings = await self.community.settings(interaction.guild_id)
        return is_moderator(interaction.user, settings)

    @tracked
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
        outcome = await self.decider.decide(item_id, decision, moderator, reason=reason)
        if not outcome.won:
            await interaction.followup.send(
                f"Item #{item_id} was already decided: {words.outcome_line(outcome.item)}", ephemeral=True
            )
        elif outcome.item.state is not ItemState.REJECTED and outcome.item.repost_message_id is None:
            failed = await self.store.outbox.rows((OutboxState.FAILED,), item_id=item_id)
            error = next((row.error for row in failed if row.kind is OutboxKind.REPOST), None)
            if error is not None:
                problem = words.publish_problem(error).removeprefix("I could not publish it: ")
                await interaction.followup.send(
                    f"Approved item #{item_id} in <#{outcome.item.channel_id}>, but I could not publish it: {problem}",
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
            outcomes = await self.decider.decide_group(group.id, decision, member, reason=reason)
            if not any(outcome.won for outcome in outcomes):
                items = await self.store.items.of_card_group(group.id)
                await self._tell_reaction_loser(payload, member, what, words.group_already_decided(group.id, items))
            return
        assert item is not None
        if emoji == words.REACTION_APPROVE:
            decision = Decision.RESTORE if item.state is ItemState.BLOCKED else Decision.APPROVE
            outcome = await self.decider.decide(item.id, decision, member)
        else:
            outcome = await self.decider.decide(item.id, Decision.REJECT, member, reason=words.GENERIC_REJECT_REASON)
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
        if not await self.notices.post_notice(
            channel, channel.guild.id, moderator.id, notice, words.RACE_NOTICE_SECONDS
        ):
            log.warning("could not tell moderator %s that %s was already decided", moderator.id, what)

    @tracked
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
        outcomes = await self.decider.decide_group(group_id, decision, moderator, reason=reason)
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
        author, record = await author_info(self.client, self.community, item)
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
