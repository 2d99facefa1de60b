"""Synchronous builders that set the world up before (or between) gateway sessions; they dispatch nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import discord

from .world import DEFAULT_BOT, DEFAULT_EVERYONE, FORUM, THREAD_TYPES, Channel, Guild, Member, Overwrite, Role, World

OverwriteSpec = discord.PermissionOverwrite | tuple[int, int]  # (allow, deny) as ints


class Builders:
    """Builders mixed into LocalDiscord; every one returns the new object's id."""

    world: World

    def add_guild(self, name: str, *, bot_permissions: int = DEFAULT_BOT, owner: int | None = None) -> int:
        """A guild with @everyone (Discord's defaults) and the bot as a member holding its own managed role."""
        world = self.world
        guild = Guild(world.next_id(), name, owner_id=owner if owner is not None else world.owner.id)
        guild.roles[guild.id] = Role(guild.id, guild.id, "@everyone", DEFAULT_EVERYONE)
        world.guilds[guild.id] = guild
        guild.bot_role_id = self.add_role(guild.id, world.bot.username, bot_permissions)
        bot_role = guild.roles[guild.bot_role_id]
        bot_role.managed, bot_role.bot_id = True, world.bot.id
        self.add_member(guild.id, world.bot.id, roles=[guild.bot_role_id])
        return guild.id

    def add_role(
        self, guild: int, name: str, permissions: int | discord.Permissions = 0, *, mentionable: bool = False
    ) -> int:
        """A role above the existing ones."""
        g = self.world.guild(guild)
        value = permissions.value if isinstance(permissions, discord.Permissions) else permissions
        r = Role(self.world.next_id(), guild, name, value, position=len(g.roles), mentionable=mentionable)
        g.roles[r.id] = r
        return r.id

    def set_bot_permissions(self, guild: int, permissions: int | discord.Permissions) -> None:
        """Replace the bot role's permissions (a connected client learns of it only through a dispatched event)."""
        g = self.world.guild(guild)
        value = permissions.value if isinstance(permissions, discord.Permissions) else permissions
        g.roles[g.bot_role_id].permissions = value

    def add_channel(
        self,
        guild: int,
        name: str,
        type: int = 0,
        parent: int | None = None,
        permission_overwrites: Mapping[int, OverwriteSpec] | None = None,
        *,
        topic: str | None = None,
        tags: Sequence[str] = (),
        owner: int | None = None,
        flags: int = 0,
        applied_tags: Sequence[int] = (),
    ) -> int:
        """A channel: text (0), category (4), forum (15, with `tags`, `flags`) or a thread (11/12, `parent` required).

        Overwrite keys are role ids (the guild id is @everyone) or user ids.
        """
        world = self.world
        g = world.guild(guild)
        if type in THREAD_TYPES and parent is None:
            raise ValueError("a thread needs a parent channel")
        siblings = sum(1 for c in g.channels if world.channels[c].parent_id == parent)
        ch = Channel(
            world.next_id(),
            type,
            name,
            guild,
            parent_id=parent,
            position=siblings,
            topic=topic,
            flags=flags,
            applied_tags=list(applied_tags),
        )
        for target, spec in (permission_overwrites or {}).items():
            allow, deny = _allow_deny(spec)
            ch.overwrites.append(Overwrite(target, 0 if target in g.roles else 1, allow, deny))
        if type == FORUM:
            ch.available_tags = [_tag(world.next_id(), t) for t in tags]
        if type in THREAD_TYPES:
            ch.owner_id = owner if owner is not None else world.bot.id
        world.channels[ch.id] = ch
        g.channels.append(ch.id)
        return ch.id

    def add_user(
        self, name: str, bot: bool = False, *, dms_closed: bool = False, global_name: str | None = None
    ) -> int:
        """A user who is in no guild yet."""
        user = self.world._new_user(name, bot=bot)
        user.dms_closed = dms_closed
        user.global_name = global_name or name
        return user.id

    def add_member(self, guild: int, user: int, roles: Iterable[int] = (), *, nick: str | None = None) -> int:
        """Put a user in a guild; returns the user id."""
        g = self.world.guild(guild)
        self.world.user(user)
        role_ids = list(roles)
        unknown = [r for r in role_ids if r not in g.roles or r == g.id]
        if unknown:
            raise ValueError(f"roles {unknown} are not assignable roles of guild {guild}")
        joined = discord.utils.utcnow().isoformat()
        g.members[user] = Member(guild, user, role_ids, nick=nick, joined_at=joined)
        return user


def _allow_deny(spec: OverwriteSpec) -> tuple[int, int]:
    if isinstance(spec, discord.PermissionOverwrite):
        allow, deny = spec.pair()
        return allow.value, deny.value
    return spec


def _tag(tag_id: int, name: str) -> dict[str, object]:
    return {"id": str(tag_id), "name": name, "moderated": False, "emoji_id": None, "emoji_name": None}
