"""Persistent card buttons: each custom_id carries only the held item's id; state is in the store.

Every click is checked on the server side: only a moderator may decide, whoever can see the
channel. The buttons keep working after a restart because discord.py matches their
custom_id templates (``DynamicItem``) rather than remembering views.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol, Self

import discord

from bot.gate.words import COMMON_REJECT_REASONS
from bot.models import Decision

log = logging.getLogger(__name__)

NOT_A_MODERATOR = "Only moderators can decide on held messages."


class Gate(Protocol):
    """What the buttons ask of the gate (bot/gate/service.py's Gate), without importing it."""

    async def is_moderator_interaction(self, interaction: discord.Interaction[Any], /) -> bool:
        """True when the person who clicked is a moderator of that guild."""

    async def decide_from_interaction(
        self, interaction: discord.Interaction[Any], item_id: int, decision: Decision, /, *, reason: str | None = None
    ) -> None:
        """Apply a moderator's click, and tell them the outcome privately."""

    async def decide_group_from_interaction(
        self, interaction: discord.Interaction[Any], group_id: int, decision: Decision, /, *, timeout_member: bool
    ) -> None:
        """Approve all / Reject all / Reject all & time out, from a grouped card."""

    async def show_group_item(self, interaction: discord.Interaction[Any], group_id: int, item_id: int, /) -> None:
        """One item of a grouped card, privately, with its own buttons."""


def gate_of(interaction: discord.Interaction[Any]) -> Gate:
    """The gate of the bot that received this interaction."""
    gate: Gate | None = getattr(interaction.client, "gate", None)
    if gate is None:  # pragma: no cover - only a misconfigured bot gets here
        raise RuntimeError("the client has no gate")
    return gate


async def moderators_only(interaction: discord.Interaction[Any], what: str, item_id: int) -> bool:
    """True for a moderator; anyone else is refused privately, and the refusal is logged."""
    if await gate_of(interaction).is_moderator_interaction(interaction):
        return True
    log.info(
        "refused %s on item %s by non-moderator %s in guild %s",
        what,
        item_id,
        interaction.user.id,
        interaction.guild_id,
    )
    await interaction.response.send_message(NOT_A_MODERATOR, ephemeral=True)
    return False


class _DecisionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"fb:base:(?P<item>\d+)"):
    """A button that decides one held item (each subclass has its own custom_id template)."""

    decision: Decision
    label: str
    style: discord.ButtonStyle
    prefix: str

    def __init__(self, item_id: int) -> None:
        super().__init__(discord.ui.Button(label=self.label, style=self.style, custom_id=f"fb:{self.prefix}:{item_id}"))
        self.item_id = item_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the button from its custom_id."""
        return cls(int(match["item"]))

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Refuse anyone who is not a moderator, on every click."""
        return await moderators_only(interaction, self.prefix, self.item_id)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Decide the item."""
        await gate_of(interaction).decide_from_interaction(interaction, self.item_id, self.decision)


class ApproveButton(_DecisionButton, template=r"fb:approve:(?P<item>\d+)"):
    """Publish the message."""

    decision = Decision.APPROVE
    label = "Approve"
    style = discord.ButtonStyle.success
    prefix = "approve"


class ApproveTrustButton(_DecisionButton, template=r"fb:trust:(?P<item>\d+)"):
    """Publish the message, and treat the member as established from now on."""

    decision = Decision.APPROVE_TRUST
    label = "Approve & trust member"
    style = discord.ButtonStyle.success
    prefix = "trust"


class ApproveDomainButton(_DecisionButton, template=r"fb:domain:(?P<item>\d+)"):
    """Publish the message, and allow its outside domains for everyone."""

    decision = Decision.APPROVE_DOMAIN
    label = "Approve & allow domain"
    style = discord.ButtonStyle.primary
    prefix = "domain"


class RestoreButton(_DecisionButton, template=r"fb:restore:(?P<item>\d+)"):
    """Publish a removed (medical-site) message anyway."""

    decision = Decision.RESTORE
    label = "Restore anyway"
    style = discord.ButtonStyle.secondary
    prefix = "restore"


class RejectButton(_DecisionButton, template=r"fb:reject:(?P<item>\d+)"):
    """Ask the moderator for a reason, then reject."""

    decision = Decision.REJECT
    label = "Reject"
    style = discord.ButtonStyle.danger
    prefix = "reject"

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Offer the common reasons, or the moderator's own words."""
        view = discord.ui.View(timeout=600)
        view.add_item(RejectReasonSelect(self.item_id))
        view.add_item(RejectOwnWordsButton(self.item_id))
        await interaction.response.send_message(
            f"Why reject item #{self.item_id}? The author will read this reason.", view=view, ephemeral=True
        )


class RejectReasonSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"fb:rejectwhy:(?P<item>\d+)"):
    """A short choice of common reasons."""

    def __init__(self, item_id: int) -> None:
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=f"fb:rejectwhy:{item_id}",
            placeholder="Choose a reason",
            options=[
                discord.SelectOption(label=reason[:100], value=str(index))
                for index, reason in enumerate(COMMON_REJECT_REASONS)
            ],
        )
        super().__init__(select)
        self.item_id = item_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the select from its custom_id."""
        return cls(int(match["item"]))

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Moderators only."""
        return await moderators_only(interaction, "reject reason", self.item_id)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Reject with the chosen reason."""
        try:
            reason = COMMON_REJECT_REASONS[int(self.item.values[0])]
        except (IndexError, ValueError, TypeError):
            await interaction.response.send_message("That reason is not on the list.", ephemeral=True)
            return
        await gate_of(interaction).decide_from_interaction(interaction, self.item_id, Decision.REJECT, reason=reason)


class RejectOwnWordsButton(_DecisionButton, template=r"fb:rejectown:(?P<item>\d+)"):
    """Open a form for the moderator's own reason."""

    decision = Decision.REJECT
    label = "Write a reason…"
    style = discord.ButtonStyle.secondary
    prefix = "rejectown"

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the form."""
        await interaction.response.send_modal(RejectReasonModal(self.item_id))


class RejectReasonModal(discord.ui.Modal, title="Reject with a reason"):
    """The moderator's own words for the author."""

    reason: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Reason (the author will read it)",
        style=discord.TextStyle.paragraph,
        min_length=3,
        max_length=500,
        custom_id="reason",
    )

    def __init__(self, item_id: int) -> None:
        super().__init__(custom_id=f"fb:rejectmodal:{item_id}", timeout=900)
        self.item_id = item_id

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Moderators only, checked again on submit."""
        return await moderators_only(interaction, "reject form", self.item_id)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Reject with the moderator's words."""
        await gate_of(interaction).decide_from_interaction(
            interaction, self.item_id, Decision.REJECT, reason=self.reason.value.strip()
        )


# --- grouped cards ----------------------------------------------------------------------


class _GroupButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"fb:gbase:(?P<group>\d+)"):
    """A button that decides every open item on a grouped card (each subclass has its own template)."""

    decision: Decision
    label: str
    style: discord.ButtonStyle
    prefix: str
    timeout_member = False

    def __init__(self, group_id: int) -> None:
        super().__init__(
            discord.ui.Button(label=self.label, style=self.style, custom_id=f"fb:{self.prefix}:{group_id}")
        )
        self.group_id = group_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the button from its custom_id."""
        return cls(int(match["group"]))

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Refuse anyone who is not a moderator, on every click."""
        return await moderators_only(interaction, self.prefix, self.group_id)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Decide every open item of the group."""
        await gate_of(interaction).decide_group_from_interaction(
            interaction, self.group_id, self.decision, timeout_member=self.timeout_member
        )


class GroupApproveButton(_GroupButton, template=r"fb:gapprove:(?P<group>\d+)"):
    """Publish every open message on the card."""

    decision = Decision.APPROVE
    label = "Approve all"
    style = discord.ButtonStyle.success
    prefix = "gapprove"


class GroupRejectButton(_GroupButton, template=r"fb:greject:(?P<group>\d+)"):
    """Reject every open message on the card."""

    decision = Decision.REJECT
    label = "Reject all"
    style = discord.ButtonStyle.danger
    prefix = "greject"


class GroupTimeoutButton(_GroupButton, template=r"fb:gtimeout:(?P<group>\d+)"):
    """Reject every open message on the card and time their authors out."""

    decision = Decision.REJECT
    label = "Reject all & time out"
    style = discord.ButtonStyle.danger
    prefix = "gtimeout"
    timeout_member = True


class GroupPickSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"fb:gpick:(?P<group>\d+)"):
    """Open one item of a grouped card on its own, privately, with its own buttons."""

    def __init__(self, group_id: int, options: list[discord.SelectOption] | None = None) -> None:
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=f"fb:gpick:{group_id}",
            placeholder="Review one by one…",
            options=options or [discord.SelectOption(label="(none)", value="0")],
        )
        super().__init__(select)
        self.group_id = group_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the select from its custom_id (the chosen value arrives with the interaction)."""
        return cls(int(match["group"]))

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Moderators only."""
        return await moderators_only(interaction, "gpick", self.group_id)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the chosen item with its own buttons."""
        try:
            item_id = int(self.item.values[0])
        except (IndexError, ValueError, TypeError):
            await interaction.response.send_message("That item is not on this card.", ephemeral=True)
            return
        await gate_of(interaction).show_group_item(interaction, self.group_id, item_id)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    ApproveButton,
    ApproveTrustButton,
    ApproveDomainButton,
    RestoreButton,
    RejectButton,
    RejectReasonSelect,
    RejectOwnWordsButton,
    GroupApproveButton,
    GroupRejectButton,
    GroupTimeoutButton,
    GroupPickSelect,
)
