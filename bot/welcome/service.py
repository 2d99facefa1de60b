"""Welcoming new members, and the `/welcome` settings, on Discord."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

import discord

from bot.models import WelcomeSettings
from bot.policy import DATA_DIR
from bot.welcome.words import moderators_name, render

if TYPE_CHECKING:
    from bot.client import ForumBridge

log = logging.getLogger(__name__)

SHIPPED_WELCOME_FILE = DATA_DIR / "welcome.md"
CLOSED_DMS = 50007  # Discord's "Cannot send messages to this user"


@cache
def shipped_text() -> str:
    """The welcome that ships in data/welcome.md."""
    return SHIPPED_WELCOME_FILE.read_text(encoding="utf-8").strip()


class WelcomeService:
    """Greets members who join, as each guild configured it."""

    def __init__(self, bot: ForumBridge) -> None:
        self.bot = bot

    async def settings(self, guild_id: int) -> WelcomeSettings:
        """The guild's welcome settings."""
        return await self.bot.store.welcome_settings(guild_id)

    async def update(self, settings: WelcomeSettings, *, actor_id: int) -> WelcomeSettings:
        """Store new settings, and note who changed them in the audit log."""
        await self.bot.store.set_welcome(settings)
        detail = (
            f"enabled={settings.enabled} channel={settings.channel_id or 'dm'}"
            f" text={'custom' if settings.text is not None else 'shipped'}"
        )
        await self.bot.store.audit(settings.guild_id, "welcome_set", actor_id=actor_id, detail=detail)
        return settings

    async def text_for(self, member: discord.Member, settings: WelcomeSettings, *, in_channel: bool) -> str:
        """The welcome as this member would read it, in a channel or by DM."""
        guild_settings = await self.bot.community.settings(member.guild.id)
        role = member.guild.get_role(guild_settings.moderator_role_id) if guild_settings.moderator_role_id else None
        return render(
            settings.text if settings.text is not None else shipped_text(),
            # A mention pings in a channel; a DM is addressed to them anyway.
            member=member.mention if in_channel else member.display_name,
            server=member.guild.name,
            moderators=moderators_name(role.name if role else None),
        )

    async def greet(self, member: discord.Member) -> bool:
        """Send the welcome to a member who joined; True if it was sent. Failures are logged, never raised."""
        if member.bot:
            return False
        guild = member.guild
        settings = await self.settings(guild.id)
        if not settings.enabled:
            return False
        if settings.channel_id is not None:
            channel = guild.get_channel(settings.channel_id)
            if not isinstance(channel, discord.TextChannel):
                log.warning(
                    "guild=%s: welcome channel %s is gone or not a text channel; member %s was not welcomed",
                    guild.id,
                    settings.channel_id,
                    member.id,
                )
                return False
            text = await self.text_for(member, settings, in_channel=True)
            mentions = discord.AllowedMentions(everyone=False, roles=False, users=[member])
            try:
                await channel.send(text, allowed_mentions=mentions)
            except discord.HTTPException as exc:
                log.warning(
                    "guild=%s channel=%s: could not welcome member %s (%s, code %s)",
                    guild.id,
                    channel.id,
                    member.id,
                    exc.status,
                    exc.code,
                )
                return False
            return True
        text = await self.text_for(member, settings, in_channel=False)
        try:
            await member.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            if exc.code == CLOSED_DMS:
                log.info("guild=%s: member %s does not accept DMs; not welcomed", guild.id, member.id)
            else:
                log.warning(
                    "guild=%s: could not DM the welcome to member %s (%s, code %s)",
                    guild.id,
                    member.id,
                    exc.status,
                    exc.code,
                )
            return False
        return True


def with_changes(
    current: WelcomeSettings,
    *,
    text: str | None,
    use_shipped_text: bool,
    channel_id: int | None,
    by_dm: bool,
    enabled: bool | None,
) -> WelcomeSettings:
    """The settings after a `/welcome-admin set` (its arguments already validated)."""
    changed = current
    if text is not None:
        changed = replace(changed, text=text)
    if use_shipped_text:
        changed = replace(changed, text=None)
    if channel_id is not None:
        changed = replace(changed, channel_id=channel_id)
    if by_dm:
        changed = replace(changed, channel_id=None)
    if enabled is not None:
        changed = replace(changed, enabled=enabled)
    return changed
