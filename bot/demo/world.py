"""The simulated server: set up by an admin's own slash commands, then the forum's channels and its people.

Nothing is laid out behind the bot's back: the admin runs `/setup` (the private moderator channel and
role) and `/mirror apply` (the forum's categories as channels, through bot/mirror), and opens the
moderator commands to the moderator role, as on a real server. The new member joins during the scene.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

import discord
from simcord import ChannelHandle, Env, GuildHandle, InteractionResult, MemberActor, RoleHandle, UserHandle

from bot.client import ForumBridge
from bot.demo.transcript import BOT_NAME, Transcript
from bot.mirror.model import ChannelKind
from bot.text import plural

GUILD_NAME = "Spine & Arthritis Forum"
# Every new Discord server starts with a #general; the admin types the set-up commands there.
GENERAL_CHANNEL = "general"
ESTABLISHED_POSTS = 12
# The scene is about recovering from a fusion: play it in the forum's closest category.
_SCENE_CHANNEL_WORDS = ("fusion", "back-surgery", "surgery", "spine", "back")
# "Moderator channel: <#123> (created)." in /setup's reply.
_SETUP_CHANNEL = re.compile(r"Moderator channel: <#(\d+)> \(([^)]*)\)")
_FAILED = re.compile(r"(\d+) failed")
# The moderator groups Discord shows only to Manage Messages until an admin opens them to the moderator role.
MODERATOR_GROUPS = ("queue", "links", "policy", "member", "welcome")


class DemoSetupError(RuntimeError):
    """The admin's set-up did not give the scene what it needs; the message says why."""


@dataclass(slots=True)
class DemoWorld:
    """Everything the scene acts on."""

    env: Env
    bot: ForumBridge
    guild: GuildHandle
    moderators: RoleHandle
    general: ChannelHandle
    mod_channel: ChannelHandle
    # The mirrored channels under their Discord category (None: at the top), in the server's order.
    groups: list[tuple[str | None, list[ChannelHandle]]]
    scene_channel: ChannelHandle
    ada: MemberActor
    maria: MemberActor
    ruth: MemberActor
    tom: MemberActor
    # The new member: not in the server until she joins during the scene.
    newcomer: UserHandle
    joined: MemberActor | None = None

    def name(self, member: MemberActor | UserHandle) -> str:
        """A person's display name."""
        user = member.user if isinstance(member, MemberActor) else member
        return user.global_name or user.name

    @property
    def nora(self) -> MemberActor:
        """The new member, once she has joined."""
        if self.joined is None:
            raise LookupError("Nora has not joined the server yet")
        return self.joined

    async def nora_joins(self) -> MemberActor:
        """The new member joins the server (the bot sees her join, as on Discord)."""
        self.joined = self.guild.add_member(self.newcomer)
        await self.env.settle()
        return self.joined

    @property
    def channels(self) -> list[ChannelHandle]:
        """Every mirrored channel, in the server's order."""
        return [channel for _, channels in self.groups for channel in channels]


async def build_world(env: Env, bot: ForumBridge, transcript: Transcript, *, source: str) -> DemoWorld:
    """Create the server and its people; the admin sets it up with /setup, /mirror apply and Integrations, narrated."""
    # The simulated bot account is called "TestBot"; the preview page shows this name on every card.
    with contextlib.suppress(AttributeError):  # a SimCord without this model keeps its default name
        env.backend.bot_user.name = BOT_NAME
    guild = env.create_guild(GUILD_NAME)
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    moderators = guild.create_role("Moderators")
    ada = guild.add_member(env.create_user("ada_admin", global_name="Ada"), roles=[admins])
    maria = guild.add_member(env.create_user("maria_mod", global_name="Maria"), roles=[moderators])
    ruth = guild.add_member(env.create_user("ruth_h", global_name="Ruth", avatar="5e1f0a"))
    tom = guild.add_member(env.create_user("tom_w", global_name="Tom", avatar="7c2d9b"))
    nora = env.create_user("nora_new", global_name="Nora New", avatar="a1b2c3")
    general = guild.create_text_channel(GENERAL_CHANNEL)
    for member in (ruth, tom):
        await bot.community.update_member(guild.id, member.id, approved=ESTABLISHED_POSTS)
    # What `python -m bot sync-commands` does once on a real server: the slash commands appear.
    await bot.tree.sync()
    await env.settle()
    admin = ada.user.global_name or ada.user.name
    transcript.heading(f"{admin}, an admin, sets the server up with the bot's slash commands")
    mod_channel = await admin_runs_setup(guild, ada, general, moderators, transcript)
    groups = await admin_runs_mirror_apply(bot, guild, ada, general, transcript, source=source)
    await admin_opens_moderator_commands(bot, guild, ada, moderators, transcript)
    channels = [channel for _, members in groups for channel in members]
    return DemoWorld(
        env,
        bot,
        guild,
        moderators,
        general,
        mod_channel,
        groups,
        pick_scene_channel(channels),
        ada,
        maria,
        ruth,
        tom,
        nora,
    )


def _by_id(guild: GuildHandle) -> dict[int, ChannelHandle]:
    return {channel.id: channel for channel in guild.channels.values()}


def _reply(result: InteractionResult) -> str:
    response = result.response
    return response.content if response is not None and response.content else ""


async def admin_runs_setup(
    guild: GuildHandle, admin: MemberActor, where: ChannelHandle, moderators: RoleHandle, transcript: Transcript
) -> ChannelHandle:
    """The admin runs `/setup role:@Moderators`; the moderator channel it made or adopted."""
    reply = _reply(await admin.slash(where, "setup", role=moderators))
    found = _SETUP_CHANNEL.search(reply)
    channel = _by_id(guild).get(int(found.group(1))) if found else None
    if found is None or channel is None:
        raise DemoSetupError(f"/setup did not set a moderator channel; it replied: {reply or '(nothing)'}")
    who = admin.user.global_name or admin.user.name
    role = f"@{moderators.name}"
    transcript.say(f"▶ {who} runs /setup role:{role} → #{channel.name} {found.group(2)}, role {role}")
    return channel


async def admin_runs_mirror_apply(
    bot: ForumBridge,
    guild: GuildHandle,
    admin: MemberActor,
    where: ChannelHandle,
    transcript: Transcript,
    *,
    source: str,
) -> list[tuple[str | None, list[ChannelHandle]]]:
    """The admin runs `/mirror apply`; the mirrored channels under their Discord categories."""
    reply = _reply(await admin.slash(where, "mirror apply"))
    records = [record for record in await bot.store.mirror.records(guild.id) if not record.archived]
    mirrored = {record.channel_id for record in records if record.kind is not ChannelKind.CATEGORY}
    categories = sum(record.kind is ChannelKind.CATEGORY for record in records)
    groups = _groups(bot, guild, mirrored)
    if not groups:
        raise DemoSetupError(f"/mirror apply made no channel to play the scene in; it replied: {reply or '(nothing)'}")
    failed = _FAILED.search(reply.split("\n", 1)[0])
    trouble = f" ({failed.group(1)} failed)" if failed and failed.group(1) != "0" else ""
    count = sum(len(members) for _, members in groups)
    who = admin.user.global_name or admin.user.name
    transcript.say(
        f"▶ {who} runs /mirror apply → {plural(count, 'channel')} created in {plural(categories, 'category')},"
        f" from {source}{trouble}"
    )
    return groups


async def admin_opens_moderator_commands(
    bot: ForumBridge, guild: GuildHandle, admin: MemberActor, moderators: RoleHandle, transcript: Transcript
) -> None:
    """What an admin does once in Server Settings → Integrations: the moderator role may use the moderator groups."""
    opened = [command for command in await bot.tree.fetch_commands() if command.name in MODERATOR_GROUPS]
    for command in opened:
        guild.set_command_permissions(command, {moderators: True})
    slashed = [f"/{command.name}" for command in opened]
    names = " and ".join(filter(None, [", ".join(slashed[:-1]), *slashed[-1:]]))
    who = admin.user.global_name or admin.user.name
    transcript.say(f"▶ {who} opens {names} to @{moderators.name} (Server Settings → Integrations)")


def _groups(bot: ForumBridge, guild: GuildHandle, mirrored: set[int]) -> list[tuple[str | None, list[ChannelHandle]]]:
    """The mirrored channels as Discord shows them: grouped by category, in position order."""
    server = bot.get_guild(guild.id)
    if server is None:
        return []
    handles = _by_id(guild)
    groups: list[tuple[str | None, list[ChannelHandle]]] = []
    for category, channels in server.by_category():
        members = [handles[channel.id] for channel in channels if channel.id in mirrored and channel.id in handles]
        if members:
            groups.append((category.name if category is not None else None, members))
    return groups


def pick_scene_channel(channels: list[ChannelHandle]) -> ChannelHandle:
    """The channel closest to the scene's subject (a lumbar fusion)."""
    for word in _SCENE_CHANNEL_WORDS:
        for channel in channels:
            if word in (channel.name or "").lower():
                return channel
    return channels[0]


def watch(world: DemoWorld, transcript: Transcript) -> None:
    """Point the transcript at every channel, the moderator channel as Maria sees it, and each DM."""
    me = world.bot.user
    transcript.bot_id = me.id if me is not None else None
    people = (world.maria.user, world.ruth.user, world.tom.user, world.newcomer)
    for user in (world.ada.user, *people):
        transcript.name_user(user.id, world.name(user))
    transcript.name_role(world.moderators.id, world.moderators.name)
    for channel in world.channels:
        transcript.watch(channel)
    transcript.watch(world.mod_channel, viewer=world.maria)
    for user in people:
        transcript.watch_dms(user, world.name(user))
