"""Persistent Previous/Next buttons of `/queue list`: the custom_id carries only the page to show."""

from __future__ import annotations

import logging
import re
from typing import Any, Self

import discord

from bot.checks import user_is_moderator

log = logging.getLogger(__name__)

NOT_A_MODERATOR = "Only moderators can page through the review queue."


class QueuePageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"fb:queue:(?P<direction>prev|next):(?P<page>\d+)"
):
    """Show another page of the pending list, read afresh from the store."""

    def __init__(self, direction: str, page: int, *, disabled: bool = False) -> None:
        label = "◀ Previous" if direction == "prev" else "Next ▶"
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"fb:queue:{direction}:{page}",
                disabled=disabled,
            )
        )
        self.direction = direction
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the button from its custom_id."""
        return cls(match["direction"], int(match["page"]))

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Moderators only, on every click."""
        if interaction.guild_id is not None and await user_is_moderator(interaction):
            return True
        log.info("refused queue paging by non-moderator %s in guild %s", interaction.user.id, interaction.guild_id)
        await interaction.response.send_message(NOT_A_MODERATOR, ephemeral=True)
        return False

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Replace the list with the requested page."""
        assert interaction.guild_id is not None  # checked above
        # Acknowledge within Discord's 3 seconds before reading the store; then replace the list.
        await interaction.response.defer()
        # The client's one queue service (bot.services), not one built per click.
        embed, view = await interaction.client.services.queue.page(interaction.guild_id, self.page)
        await interaction.edit_original_response(embed=embed, view=view)


def page_view(page: int, pages: int) -> discord.ui.View:
    """Previous/Next buttons for this page of that many; disabled where there is nowhere to go."""
    view = discord.ui.View(timeout=None)
    view.add_item(QueuePageButton("prev", max(page - 1, 0), disabled=page <= 0))
    view.add_item(QueuePageButton("next", min(page + 1, pages - 1), disabled=page >= pages - 1))
    return view


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (QueuePageButton,)
