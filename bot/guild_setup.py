"""`/setup`: the private moderator channel and role, stored in the database, and what the bot still lacks."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import discord

from bot.auth import is_managed
from bot.community import Community

log = logging.getLogger(__name__)

MODERATOR_CHANNEL_NAME = "mod-queue"
REASON = "Forum Bridge /setup: the private moderator channel"
# Every permission the bot uses, with what for: /setup names the ones it lacks.
NEEDED_PERMISSIONS = (
    ("view_channel", "View Channels", "to see members' messages"),
    ("send_messages", "Send Messages", "to post cards and notices"),
    ("read_message_history", "Read Message History", "to find its own cards after a restart"),
    ("embed_links", "Embed Links", "to show moderator cards"),
    ("attach_files", "Attach Files", "to keep a held message's attachments"),
    ("add_reactions", "Add Reactions", "to offer ✅ and ❌ on cards"),
    ("manage_messages", "Manage Messages", "to take a held message down"),
    ("manage_webhooks", "Manage Webhooks", "to publish approved messages under their author's name"),
    ("manage_threads", "Manage Threads", "to take down a held forum post"),
    ("manage_channels", "Manage Channels", "to create and arrange the forum's channels (/mirror)"),
    ("manage_roles", "Manage Roles", "to keep the moderator channel private and make archived channels read-only"),
    ("moderate_members", "Moderate Members", 'to time members out ("Reject all & time out")'),
    # "Only permissions your bot has in the guild or parent channel can be allowed/denied" in an overwrite
    # (discord-api-docs, Resources/Channel, Modify Channel): the archive's read-only overwrite denies these three.
    ("send_messages_in_threads", "Send Messages in Threads", "to make archived channels read-only"),
    ("create_public_threads", "Create Public Threads", "to make archived channels read-only"),
    ("create_private_threads", "Create Private Threads", "to make archived channels read-only"),
)
# Pinging a role that is not mentionable needs Mention Everyone; reminders ping the moderator role.
MENTION_EVERYONE = (
    "Mention Everyone",
    "to ping the moderator role in queue reminders: it is not mentionable (or make it mentionable instead)",
)


@dataclass(frozen=True, slots=True)
class SetupResult:
    """What /setup did and what it could not do."""

    channel: discord.TextChannel | None
    channel_done: str  # "created", "adopted", "already private", or why nothing could be done
    role: discord.Role | None
    missing_permissions: tuple[tuple[str, str], ...]  # (name, what it is for)


def missing_permissions(
    permissions: discord.Permissions, role: discord.Role | None = None
) -> tuple[tuple[str, str], ...]:
    """The permissions (name, purpose) the bot needs, with this moderator role, and does not have."""
    if permissions.administrator:
        return ()
    missing = [(name, why) for flag, name, why in NEEDED_PERMISSIONS if not getattr(permissions, flag)]
    if role is not None and not role.mentionable and not permissions.mention_everyone:
        missing.append(MENTION_EVERYONE)
    return tuple(missing)


def role_problem(role: discord.Role) -> str | None:
    """Why a role cannot be the moderator role, or None when it can."""
    if role.is_default():
        return "@everyone cannot be the moderator role; pick a role."
    # Discord (or an app) decides who holds a managed role: the bot's own, the booster role, an integration's.
    if is_managed(role):
        return (
            f"{role.mention} is managed by Discord or an integration (a bot's own role, the Server Booster role or "
            "another app's): you cannot give it to moderators yourself, so it cannot be the moderator role. "
            "Pick a role you hand out; nothing was changed."
        )
    return None


Overwrites = dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite]


def moderator_overwrites(everyone: discord.Role, role: discord.Role | None, me: discord.Member) -> Overwrites:
    """Nobody sees the moderator channel but the moderator role and the bot."""
    overwrites: Overwrites = {
        everyone: discord.PermissionOverwrite(view_channel=False),
        me: discord.PermissionOverwrite(
            view_channel=True,
            send_messages=True,
            read_message_history=True,
            embed_links=True,
            attach_files=True,
            add_reactions=True,
        ),
    }
    if role is not None:
        overwrites[role] = discord.PermissionOverwrite(
            view_channel=True, send_messages=True, read_message_history=True, add_reactions=True
        )
    return overwrites


def _merged(current: Overwrites, wanted: Overwrites) -> Overwrites | None:
    """Current overwrites with the wanted ones laid over; None when they already hold."""
    merged = dict(current)
    changed = False
    for target, overwrite in wanted.items():
        existing = merged.get(target, discord.PermissionOverwrite())
        combined = discord.PermissionOverwrite(**dict(existing))
        combined.update(**{key: value for key, value in overwrite if value is not None})
        if combined != existing:
            merged[target] = combined
            changed = True
    return merged if changed else None


async def run_setup(
    guild: discord.Guild,
    community: Community,
    *,
    role: discord.Role | None,
    channel: discord.TextChannel | None,
    actor_id: int,
) -> SetupResult:
    """Create or adopt the moderator channel, record it and the role, and list what is missing."""
    settings = await community.settings(guild.id)
    if role is None and settings.moderator_role_id is not None:
        role = guild.get_role(settings.moderator_role_id)
        if role is not None and role_problem(role) is not None:
            # Stored before /setup refused managed roles: whoever Discord gives it (boosters!) would moderate.
            await community.clear_moderator_role(guild.id)
            log.warning("guild=%s: dropped the managed moderator role %s stored before", guild.id, role.id)
            role = None
    if channel is None and settings.moderator_channel_id is not None:
        stored = guild.get_channel(settings.moderator_channel_id)
        channel = stored if isinstance(stored, discord.TextChannel) else None
    if channel is None:
        channel = discord.utils.get(guild.text_channels, name=MODERATOR_CHANNEL_NAME)
    wanted = moderator_overwrites(guild.default_role, role, guild.me)
    done: str
    try:
        if channel is None:
            channel = await guild.create_text_channel(MODERATOR_CHANNEL_NAME, overwrites=wanted, reason=REASON)
            done = "created"
        else:
            merged = _merged(channel.overwrites, wanted)
            if merged is None:
                done = "already private"
            else:
                await channel.edit(overwrites=merged, reason=REASON)
                done = "adopted and made private"
    except discord.Forbidden:
        done = "I could not make it private: I need Manage Channels and Manage Roles"
        if channel is not None and not channel.permissions_for(guild.default_role).view_channel:
            done = "adopted (already hidden from @everyone; I could not add the role or myself)"
        elif channel is not None:
            channel = None  # a channel everyone can read must not receive held messages
    except discord.HTTPException as exc:
        done = f"Discord refused ({exc.status}: {exc.text or 'no detail'})"
        channel = None
    await community.set_moderation(
        guild.id, channel_id=channel.id if channel else None, role_id=role.id if role else None
    )
    await community.store.decisions.audit(
        guild.id,
        "setup",
        actor_id=actor_id,
        detail=f"channel={channel.id if channel else None} role={role.id if role else None} ({done})",
    )
    log.info("guild=%s setup by %s: channel %s (%s), role %s", guild.id, actor_id, channel, done, role)
    return SetupResult(channel, done, role, missing_permissions(guild.me.guild_permissions, role))


# The slash-command groups moderators use; Discord shows them to Manage Messages unless an admin adds the role.
MODERATOR_GROUPS = "/policy, /links, /member, /queue, /welcome"


def setup_text(result: SetupResult) -> str:
    """The reply to /setup: what is set, then what is still missing."""
    lines = []
    if result.channel is not None:
        who = f"{result.role.mention} and I can" if result.role is not None else "only I (and admins) can"
        lines.append(
            f"Moderator channel: {result.channel.mention} ({result.channel_done}). @everyone cannot see it; {who}."
        )
    else:
        lines.append(f"Moderator channel: not set ({result.channel_done}).")
    if result.role is not None:
        lines.append(f"Moderator role: {result.role.mention}.")
        if not (result.role.permissions.manage_messages or result.role.permissions.administrator):
            # Discord shows command groups by their default permissions; only an admin can add a role to them.
            lines.append(
                f"{result.role.mention} has no Manage Messages, so Discord hides the moderator commands "
                f"({MODERATOR_GROUPS}) from it: allow the role for them in Server Settings → Integrations → "
                "Forum Bridge. The buttons on held messages work for the role already."
            )
    missing = []
    if result.channel is None:
        missing.append("a moderator channel: give me Manage Channels and Manage Roles, then run /setup again")
    if result.role is None:
        missing.append(
            "a moderator role: run /setup with the role option (until then, members with Manage Messages moderate)"
        )
    missing.extend(f"my {name} permission ({why})" for name, why in result.missing_permissions)
    if missing:
        lines.append("Still missing:")
        lines.extend(f"• {item}" for item in missing)
    else:
        lines.append("Nothing is missing: held messages will be shown there.")
    lines.append("These settings are stored in the database; /setup changes them.")
    return "\n".join(lines)


class SetupService:
    """What `/setup` does, built once: configure the guild, then tell the gate its moderator channel is ready."""

    def __init__(self, community: Community, channel_ready: Callable[[int], Awaitable[None]]) -> None:
        self.community = community
        self._channel_ready = channel_ready

    async def run(
        self,
        guild: discord.Guild,
        *,
        role: discord.Role | None,
        channel: discord.TextChannel | None,
        actor_id: int,
    ) -> SetupResult:
        """Run /setup in the guild; once a moderator channel is recorded, cards waiting for one go out."""
        result = await run_setup(guild, self.community, role=role, channel=channel, actor_id=actor_id)
        if result.channel is not None:
            await self._channel_ready(guild.id)
        return result
