"""The simulated server: the forum's channels, a private moderator channel, and four people."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import discord
from simcord import ChannelHandle, Env, GuildHandle, MemberActor, RoleHandle, UserHandle

from bot.client import ForumBridge
from bot.demo.forum import CategorySource, SeededForum, seed_channels
from bot.demo.transcript import BOT_NAME, Transcript

GUILD_NAME = "Spine & Arthritis Forum"
MOD_CHANNEL = "moderators"
ESTABLISHED_POSTS = 12
# The scene is about recovering from a fusion: play it in the forum's closest category.
_SCENE_CHANNEL_WORDS = ("fusion", "back-surgery", "surgery", "spine", "back")


@dataclass(slots=True)
class DemoWorld:
    """Everything the scene acts on."""

    env: Env
    bot: ForumBridge
    guild: GuildHandle
    source: CategorySource
    forum: SeededForum
    moderators: RoleHandle
    mod_channel: ChannelHandle
    scene_channel: ChannelHandle
    maria: MemberActor
    ruth: MemberActor
    tom: MemberActor
    nora: MemberActor

    def name(self, member: MemberActor) -> str:
        """A person's display name."""
        return member.user.global_name or member.user.name


async def build_world(env: Env, bot: ForumBridge, source: CategorySource) -> DemoWorld:
    """Create the server, its channels and its people; record the moderator channel and role."""
    # The simulated bot account is called "TestBot"; the preview page shows this name on every card.
    with contextlib.suppress(AttributeError):  # a SimCord without this model keeps its default name
        env.backend.bot_user.name = BOT_NAME
    guild = env.create_guild(GUILD_NAME)
    moderators = guild.create_role("Moderators")
    maria = guild.add_member(env.create_user("maria_mod", global_name="Maria"), roles=[moderators])
    ruth = guild.add_member(env.create_user("ruth_h", global_name="Ruth", avatar="5e1f0a"))
    tom = guild.add_member(env.create_user("tom_w", global_name="Tom", avatar="7c2d9b"))
    nora = guild.add_member(env.create_user("nora_new", global_name="Nora New", avatar="a1b2c3"))
    forum = seed_channels(guild, source.categories, reserved={MOD_CHANNEL})
    overwrites: dict[
        RoleHandle | MemberActor | UserHandle | discord.Role | discord.Member | discord.User | discord.ClientUser,
        discord.PermissionOverwrite,
    ] = {
        guild.default_role: discord.PermissionOverwrite(view_channel=False),
        moderators: discord.PermissionOverwrite(view_channel=True),
    }
    if guild.me is not None:
        overwrites[guild.me] = discord.PermissionOverwrite(view_channel=True)
    mod_channel = guild.create_text_channel(MOD_CHANNEL, overwrites=overwrites)
    # What `/setup` will record; until then `make run` reads the same two ids from the environment.
    await bot.community.set_moderation(guild.id, channel_id=mod_channel.id, role_id=moderators.id)
    for member in (ruth, tom):
        await bot.community.update_member(guild.id, member.id, approved=ESTABLISHED_POSTS)
    await env.settle()
    return DemoWorld(
        env, bot, guild, source, forum, moderators, mod_channel, pick_scene_channel(forum), maria, ruth, tom, nora
    )


def pick_scene_channel(forum: SeededForum) -> ChannelHandle:
    """The channel closest to the scene's subject (a lumbar fusion)."""
    for word in _SCENE_CHANNEL_WORDS:
        for category_id, urlcode in forum.urlcodes.items():
            if word in urlcode.lower():
                return forum.channels[category_id]
    return next(iter(forum.channels.values()))


def watch(world: DemoWorld, transcript: Transcript) -> None:
    """Point the transcript at every channel, the moderator channel as Maria sees it, and each DM."""
    me = world.bot.user
    transcript.bot_id = me.id if me is not None else None
    people = (world.maria, world.ruth, world.tom, world.nora)
    for member in people:
        transcript.name_user(member.id, world.name(member))
    transcript.name_role(world.moderators.id, world.moderators.name)
    for channel in world.forum.channels.values():
        transcript.watch(channel)
    transcript.watch(world.mod_channel, viewer=world.maria)
    for member in people:
        transcript.watch_dms(member, world.name(member))
