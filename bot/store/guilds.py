"""A guild's settings: moderation, screened channels, policy overrides, allowed domains, reminders, welcome."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from bot.models import (
    DEFAULT_REMINDER_AFTER_S,
    GuildSettings,
    WelcomeSettings,
)
from bot.store.db import Connection, Database, now_text


async def allow_domains_in(
    db: Connection, guild_id: int, domains: Iterable[str], added_by: int | None
) -> frozenset[str]:
    """Add domains to the guild's allowed list inside the caller's transaction; return the ones that were new."""
    added = set()
    for domain in domains:
        cursor = await db.execute(
            "INSERT INTO allowed_domains (guild_id, domain, added_by, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (guild_id, domain, added_by, now_text()),
        )
        if cursor.rowcount:
            added.add(domain)
    return frozenset(added)


class GuildRepo:
    """A guild's settings: moderation, screened channels, policy overrides, allowed domains, reminders, welcome."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- guild settings ---------------------------------------------------------------

    async def settings(self, guild_id: int) -> GuildSettings:
        """A guild's settings (defaults when none are stored)."""
        row = await self._db.one(
            "SELECT moderator_channel_id, moderator_role_id FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        unscreened = await self._db.all("SELECT channel_id FROM unscreened_channels WHERE guild_id = ?", (guild_id,))
        return GuildSettings(
            guild_id=guild_id,
            moderator_channel_id=row["moderator_channel_id"] if row else None,
            moderator_role_id=row["moderator_role_id"] if row else None,
            unscreened_channel_ids=frozenset(r["channel_id"] for r in unscreened),
        )

    async def set_moderation(
        self, guild_id: int, *, channel_id: int | None = None, role_id: int | None = None
    ) -> GuildSettings:
        """Record the moderator channel and/or role (None leaves a value as it is)."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, moderator_channel_id, moderator_role_id, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET"
                " moderator_channel_id = COALESCE(excluded.moderator_channel_id, moderator_channel_id),"
                " moderator_role_id = COALESCE(excluded.moderator_role_id, moderator_role_id),"
                " updated_at = excluded.updated_at",
                (guild_id, channel_id, role_id, now_text()),
            )
        return await self.settings(guild_id)

    async def clear_moderator_role(self, guild_id: int) -> None:
        """Forget the guild's moderator role (set_moderation can only set one)."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE guild_settings SET moderator_role_id = NULL, updated_at = ? WHERE guild_id = ?",
                (now_text(), guild_id),
            )

    async def set_channel_screened(self, guild_id: int, channel_id: int, screened: bool) -> None:
        """Screen (the default) or stop screening one channel."""
        async with self._db.transaction() as db:
            if screened:
                await db.execute(
                    "DELETE FROM unscreened_channels WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
                )
            else:
                await db.execute(
                    "INSERT INTO unscreened_channels (guild_id, channel_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (guild_id, channel_id),
                )

    async def policy_overrides(self, guild_id: int) -> dict[str, Any]:
        """The guild's policy changes, shaped like policy.toml."""
        row = await self._db.one("SELECT policy_overrides FROM guild_settings WHERE guild_id = ?", (guild_id,))
        loaded = json.loads(row["policy_overrides"]) if row else {}
        return loaded if isinstance(loaded, dict) else {}

    async def set_policy_overrides(self, guild_id: int, overrides: Mapping[str, Any]) -> None:
        """Replace the guild's policy changes."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, policy_overrides, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET policy_overrides = excluded.policy_overrides,"
                " updated_at = excluded.updated_at",
                (guild_id, json.dumps(overrides, sort_keys=True), now_text()),
            )

    # --- allowed domains --------------------------------------------------------------

    async def allowed_domains(self, guild_id: int) -> frozenset[str]:
        """Domains moderators allowed in this guild."""
        rows = await self._db.all("SELECT domain FROM allowed_domains WHERE guild_id = ?", (guild_id,))
        return frozenset(row["domain"] for row in rows)

    async def allow_domains(self, guild_id: int, domains: Iterable[str], added_by: int | None) -> frozenset[str]:
        """Add domains to the guild's allowed list; return the ones that were new."""
        async with self._db.transaction() as db:
            return await allow_domains_in(db, guild_id, domains, added_by)

    async def disallow_domain(self, guild_id: int, domain: str) -> bool:
        """Remove a domain from the allowed list; True if it was there."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM allowed_domains WHERE guild_id = ? AND domain = ?", (guild_id, domain)
            )
            return bool(cursor.rowcount)

    async def replace_policy(
        self,
        guild_id: int,
        *,
        overrides: Mapping[str, Any],
        allowed_domains: Iterable[str],
        unscreened_channel_ids: Iterable[int],
        actor_id: int | None,
    ) -> None:
        """Replace a guild's policy overrides, allowed domains and unscreened channels in one transaction."""
        allowed = sorted(set(allowed_domains))
        now = now_text()
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, policy_overrides, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET policy_overrides = excluded.policy_overrides,"
                " updated_at = excluded.updated_at",
                (guild_id, json.dumps(overrides, sort_keys=True), now),
            )
            existing = {
                row[0]
                for row in await db.execute_fetchall(
                    "SELECT domain FROM allowed_domains WHERE guild_id = ?", (guild_id,)
                )
            }
            await db.executemany(
                "DELETE FROM allowed_domains WHERE guild_id = ? AND domain = ?",
                [(guild_id, domain) for domain in sorted(existing - set(allowed))],
            )
            # Domains already allowed keep who allowed them and when.
            await db.executemany(
                "INSERT INTO allowed_domains (guild_id, domain, added_by, added_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                [(guild_id, domain, actor_id, now) for domain in allowed],
            )
            await db.execute("DELETE FROM unscreened_channels WHERE guild_id = ?", (guild_id,))
            await db.executemany(
                "INSERT INTO unscreened_channels (guild_id, channel_id) VALUES (?, ?)",
                [(guild_id, channel_id) for channel_id in sorted(set(unscreened_channel_ids))],
            )
            await db.execute(
                "INSERT INTO audit_log (guild_id, item_id, actor_id, action, detail, at) VALUES (?, NULL, ?, ?, ?, ?)",
                (guild_id, actor_id, "policy_import", None, now),
            )

    async def reminder_after(self, guild_id: int) -> int:
        """Seconds an item may wait before the moderators are reminded (0: reminders are off)."""
        row = await self._db.one("SELECT reminder_after_s FROM guild_settings WHERE guild_id = ?", (guild_id,))
        return int(row["reminder_after_s"]) if row else DEFAULT_REMINDER_AFTER_S

    async def set_reminder_after(self, guild_id: int, seconds: int) -> None:
        """Set the reminder period in seconds (0 turns reminders off)."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, reminder_after_s, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET reminder_after_s = excluded.reminder_after_s,"
                " updated_at = excluded.updated_at",
                (guild_id, seconds, now_text()),
            )

    async def welcome(self, guild_id: int) -> WelcomeSettings:
        """How a guild greets new members (the defaults when nothing is stored)."""
        row = await self._db.one(
            "SELECT welcome_text, welcome_channel_id, welcome_enabled FROM guild_settings WHERE guild_id = ?",
            (guild_id,),
        )
        if row is None:
            return WelcomeSettings(guild_id)
        return WelcomeSettings(guild_id, row["welcome_text"], row["welcome_channel_id"], bool(row["welcome_enabled"]))

    async def set_welcome(self, settings: WelcomeSettings) -> None:
        """Replace a guild's welcome text, channel and on/off switch."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, welcome_text, welcome_channel_id, welcome_enabled, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET welcome_text = excluded.welcome_text,"
                " welcome_channel_id = excluded.welcome_channel_id, welcome_enabled = excluded.welcome_enabled,"
                " updated_at = excluded.updated_at",
                (settings.guild_id, settings.text, settings.channel_id, int(settings.enabled), now_text()),
            )
