"""Who is an admin and who is a moderator: the one definition every surface asks.

The slash-command checks (`bot/checks.py`), the card buttons and ✅/❌ reactions (`bot/gate/`), the queue's paging
buttons (`bot/queue/buttons.py`), screening (moderators are never screened) and the spam time-out (moderators are
spared) all call these two functions, so a person is a moderator everywhere or nowhere.

- **Admin**: Manage Server or Administrator in the guild.
- **Moderator**: an admin (an admin can moderate: they can give themselves the role anyway), Manage Messages, or
  the guild's moderator role. A *managed* role (the bot's own role, Server Booster, another app's role) never makes
  its holders moderators, even if one was stored as the moderator role: Discord or an integration decides who
  holds it, not the server's admins (`/setup` refuses such a role; this covers one stored before it did).
"""

from __future__ import annotations

import discord

from bot.models import GuildSettings


def is_admin(member: discord.Member | discord.User) -> bool:
    """Manage Server (or Administrator) in the member's guild; a User (not in the guild) is no admin."""
    if not isinstance(member, discord.Member):
        return False
    permissions = member.guild_permissions
    return permissions.manage_guild or permissions.administrator


def is_managed(role: discord.Role) -> bool:
    """True for a role Discord or an integration hands out (the bot's own, Server Booster, another app's)."""
    return role.managed or role.is_bot_managed() or role.is_premium_subscriber() or role.is_integration()


def is_moderator(member: discord.Member | discord.User, settings: GuildSettings) -> bool:
    """An admin, Manage Messages, or the guild's (unmanaged) moderator role; a User is no moderator."""
    if not isinstance(member, discord.Member):
        return False
    permissions = member.guild_permissions
    if permissions.manage_messages or permissions.manage_guild or permissions.administrator:
        return True
    if settings.moderator_role_id is None:
        return False
    role = member.get_role(settings.moderator_role_id)
    return role is not None and not is_managed(role)
