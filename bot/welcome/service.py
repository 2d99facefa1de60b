"""Welcoming new members, and the `/welcome` settings, on Discord."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from functools import cache

import discord

from bot.community import Community
from bot.models import WelcomeSettings
from bot.policy import DATA_DIR
from bot.welcome.words import moderators_name, render

log = logging.getLogger(__name__)

SHIPPED_WELCOME_FILE = DATA_DIR / "welcome.md"
# discord-api-docs, Opcodes and Status Codes, JSON Error Codes: 50007 "Cannot send messages to this user" is a
# member's closed DMs; 40003 "You are opening direct messages too fast" is a limit on the bot, which passes.
CLOSED_DMS = 50007
DMS_OPENED_TOO_FAST = 40003

# Every welcome DM opens a new DM channel, which Discord limits (40003) without saying how far. A DM refused for
# the limit is sent again later, with the members who joined meanwhile behind it, at an even pace for a while;
# in a raid (the gate's raid state) welcome DMs always go at a slow pace, so a wave of joins is never dropped.
WELCOME_BURST = 5  # DMs that go at once when pacing
WELCOME_SPACING_S = 2.0  # past the burst, one DM every 2 s (for CAREFUL_S after a limit)
RAID_SPACING_S = 10.0  # while the gate sees a raid in the server, one every 10 s
LIMIT_WAIT_S = 30.0  # after a 40003 (or a 429, a 5xx), no welcome DM for this long, then the same member again
LIMIT_TRIES = 5
CAREFUL_S = 300.0  # how long welcome DMs keep the even pace after a limit


@cache
def shipped_text() -> str:
    """The welcome that ships in data/welcome.md."""
    return SHIPPED_WELCOME_FILE.read_text(encoding="utf-8").strip()


class WelcomeService:
    """Greets members who join, as each guild configured it."""

    def __init__(
        self,
        client: discord.Client,
        community: Community,
        raid_active: Callable[[int], bool],
        *,
        spacing_s: float = WELCOME_SPACING_S,
        raid_spacing_s: float = RAID_SPACING_S,
        limit_wait_s: float = LIMIT_WAIT_S,
        careful_s: float = CAREFUL_S,
    ) -> None:
        self.client = client
        self.community = community
        # Whether the gate sees a raid in a guild now (welcome DMs then go at the slow pace).
        self._raid_active = raid_active
        self.spacing_s = spacing_s
        self.raid_spacing_s = raid_spacing_s
        self.limit_wait_s = limit_wait_s
        self.careful_s = careful_s
        self._careful_until = 0.0
        self._waiting: deque[tuple[int, int, int]] = deque()  # (guild, member, tries) to welcome by DM, in order
        self._tokens = float(WELCOME_BURST)  # welcome DMs that may go at once when pacing (see _wait)
        self._refilled = 0.0
        self._paused_until = 0.0
        self._drainer: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """Members still to be welcomed by DM (a wave of joins, or a DM limit)."""
        return len(self._waiting)

    async def settings(self, guild_id: int) -> WelcomeSettings:
        """The guild's welcome settings."""
        return await self.community.store.guilds.welcome(guild_id)

    async def update(self, settings: WelcomeSettings, *, actor_id: int) -> WelcomeSettings:
        """Store new settings, and note who changed them in the audit log."""
        await self.community.store.guilds.set_welcome(settings)
        detail = (
            f"enabled={settings.enabled} channel={settings.channel_id or 'dm'}"
            f" text={'custom' if settings.text is not None else 'shipped'}"
        )
        await self.community.store.decisions.audit(settings.guild_id, "welcome_set", actor_id=actor_id, detail=detail)
        return settings

    async def text_for(self, member: discord.Member, settings: WelcomeSettings, *, in_channel: bool) -> str:
        """The welcome as this member would read it, in a channel or by DM."""
        guild_settings = await self.community.settings(member.guild.id)
        role = member.guild.get_role(guild_settings.moderator_role_id) if guild_settings.moderator_role_id else None
        return render(
            settings.text if settings.text is not None else shipped_text(),
            # A mention pings in a channel; a DM is addressed to them anyway.
            member=member.mention if in_channel else member.display_name,
            server=member.guild.name,
            moderators=moderators_name(role.name if role else None),
        )

    async def greet(self, member: discord.Member) -> bool:
        """Welcome a member who joined; True if it was sent now (a DM may wait its turn). Never raises."""
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
        if self._waiting or self._wait(guild.id) > 0:
            self._queue(guild.id, member.id, 0)
            return False
        return await self._dm(member, settings, tries=0)

    async def _dm(self, member: discord.Member, settings: WelcomeSettings, *, tries: int) -> bool:
        guild = member.guild
        self._take()
        text = await self.text_for(member, settings, in_channel=False)
        try:
            await member.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            limited = exc.code == DMS_OPENED_TOO_FAST or exc.status == 429 or exc.status >= 500
            if limited and tries + 1 < LIMIT_TRIES:
                # A limit, not closed DMs: this member is welcomed later, and no welcome DM goes meanwhile.
                now = time.monotonic()
                self._paused_until = max(self._paused_until, now + self.limit_wait_s)
                self._careful_until = now + self.limit_wait_s + self.careful_s
                self._waiting.appendleft((guild.id, member.id, tries + 1))
                self._start_draining()
                log.warning(
                    "guild=%s: the welcome DM to member %s was refused for a limit (%s, code %s); trying again in %s s",
                    guild.id,
                    member.id,
                    exc.status,
                    exc.code,
                    self.limit_wait_s,
                )
            elif exc.code == CLOSED_DMS:
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

    def _wait(self, guild_id: int) -> float:
        """Seconds until the next welcome DM may go (0: now)."""
        now = time.monotonic()
        if now < self._paused_until:
            return self._paused_until - now
        if self._raid_active(guild_id):
            spacing = self.raid_spacing_s
        elif now < self._careful_until:
            spacing = self.spacing_s
        else:
            return 0.0  # no raid and no recent limit: a member is welcomed the moment they join
        # A bucket of WELCOME_BURST DMs that refills one every `spacing` seconds: a few at once, then evenly.
        self._tokens = min(float(WELCOME_BURST), self._tokens + (now - self._refilled) / spacing)
        self._refilled = now
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) * spacing

    def _take(self) -> None:
        now = time.monotonic()
        refill = (now - self._refilled) / self.spacing_s if now > self._refilled else 0.0
        self._tokens = max(0.0, min(float(WELCOME_BURST), self._tokens + refill) - 1)
        self._refilled = now

    def _queue(self, guild_id: int, member_id: int, tries: int) -> None:
        self._waiting.append((guild_id, member_id, tries))
        self._start_draining()

    def _start_draining(self) -> None:
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.get_running_loop().create_task(self._drain(), name="welcome DMs")

    async def _drain(self) -> None:
        while self._waiting:
            guild_id, member_id, tries = self._waiting[0]
            wait = self._wait(guild_id)
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            self._waiting.popleft()
            try:
                guild = self.client.get_guild(guild_id)
                member = guild.get_member(member_id) if guild else None
                if member is None:
                    continue  # they left before their turn
                settings = await self.settings(guild_id)
                if settings.enabled and settings.channel_id is None:
                    await self._dm(member, settings, tries=tries)
            except Exception:
                # A bug, not Discord's answer (handled in _dm): the others are still welcomed.
                log.exception("guild=%s: welcoming member %s failed", guild_id, member_id)


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
