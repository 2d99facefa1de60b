"""A simulated Discord (SimCord) with the real bot, a real SQLite store and a seeded community."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord
import pytest
import simcord

from bot.client import ForumBridge
from bot.models import OutboxKind, OutboxState, WelcomeSettings
from bot.store.outbox import OutboxRepo


@dataclass
class World:
    """The seeded community: channels, roles and people."""

    env: Any
    bot: ForumBridge
    guild: Any
    general: Any
    modqueue: Any
    forum: Any
    moderators_role: Any
    mod: Any
    mod2: Any
    alice: Any
    bob: Any
    newbie: Any
    helper: Any


@pytest.fixture
async def world(simcord_env: Any, simcord_bot: ForumBridge) -> World:
    """A spine-and-arthritis community with a private moderator channel and a few members."""
    env = simcord_env
    guild = env.create_guild("Spine & Arthritis Community")
    # The welcome DM on join has its own tests (tests/welcome); here DMs are the gate's alone.
    await simcord_bot.store.guilds.set_welcome(WelcomeSettings(guild.id, enabled=False))
    moderators = guild.create_role("Moderators")
    mod = guild.add_member(env.create_user("maria_mod", global_name="Maria (mod)"), roles=[moderators])
    mod2 = guild.add_member(env.create_user("sam_mod", global_name="Sam (mod)"), roles=[moderators])
    alice = guild.add_member(env.create_user("alice", global_name="Alice"))
    bob = guild.add_member(env.create_user("bob", global_name="Bob"))
    newbie = guild.add_member(env.create_user("newbie", global_name="Nora New", avatar="a1b2c3"))
    # Someone who can read the moderator channel (a trainee, say) without being a moderator.
    helper = guild.add_member(env.create_user("helen_helper", global_name="Helen"))
    general = guild.create_text_channel("back-surgery-and-neck-surgery")
    modqueue = guild.create_text_channel(
        "mod-queue",
        overwrites={
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            moderators: discord.PermissionOverwrite(view_channel=True),
            helper: discord.PermissionOverwrite(view_channel=True, add_reactions=True),
            guild.me: discord.PermissionOverwrite(view_channel=True),
        },
    )
    forum = guild.create_forum_channel("introductions")
    community = simcord_bot.community
    await community.set_moderation(guild.id, channel_id=modqueue.id, role_id=moderators.id)
    for established in (alice, bob):
        await community.update_member(guild.id, established.id, approved=5)
    await env.settle()
    return World(env, simcord_bot, guild, general, modqueue, forum, moderators, mod, mod2, alice, bob, newbie, helper)


def cards(world: World) -> list[discord.Message]:
    """The bot's cards in the moderator channel, oldest first."""
    return [m for m in world.modqueue.history() if m.embeds and (m.embeds[0].footer.text or "").startswith("Item #")]


def item_id_of(card: discord.Message) -> int:
    """The held item's id, read from a card's footer."""
    return int((card.embeds[0].footer.text or "").removeprefix("Item #"))


def posts(world: World, channel: Any | None = None) -> list[discord.Message]:
    """What members see in a channel (the general one by default)."""
    return list((channel or world.general).history())


def reposts(world: World, channel: Any | None = None) -> list[discord.Message]:
    """Messages published through a webhook."""
    return [m for m in posts(world, channel) if m.webhook_id is not None]


def fail_card_recording(monkeypatch: pytest.MonkeyPatch, why: str) -> None:
    """Make recording a card raise once it is on Discord (a crash, or a bug, between sending and recording)."""
    real_mark_done = OutboxRepo.mark_done

    async def failing(self: OutboxRepo, row_ids: Any, channel_id: Any, message_id: Any) -> None:
        rows = await self.rows((OutboxState.SENDING,))
        if any(row.kind is OutboxKind.CARD and row.id in row_ids for row in rows):
            raise RuntimeError(why)
        await real_mark_done(self, row_ids, channel_id, message_id)

    monkeypatch.setattr(OutboxRepo, "mark_done", failing)


__all__ = ["World", "cards", "fail_card_recording", "item_id_of", "posts", "reposts", "simcord"]


def dms(actor: Any) -> list[discord.Message]:
    """What the bot said to this member in DMs, oldest first."""
    return list(actor.user.dm_channel.history())


async def forum_post(world: World, actor: Any, title: str, content: str) -> tuple[Any, int]:
    """A member's new forum post: a thread whose starter message has the thread's id, as on Discord."""
    backend = world.env.backend
    post_id = backend.snowflake()
    thread = backend.create_thread(world.forum.id, title, actor.id, message_id=post_id, broadcast=False)
    backend.announce_thread_create(thread)
    handle = simcord.builders.ChannelHandle(world.env, world.guild, thread)
    allocate = backend.snowflake
    handed_out = []

    def starter_id() -> int:
        # SimCord has no member verb for forum posts; the first id it allocates for the
        # message is the thread's, as Discord does for a post's starter message.
        if not handed_out:
            handed_out.append(post_id)
            return post_id
        return allocate()

    backend.snowflake = starter_id
    try:
        await actor.send(handle, content)
    except (simcord.backend.errors.BackendError, KeyError):
        # The bot removed the post (and its thread) before SimCord could hand the message back.
        if thread.id in backend.channels:
            raise
    finally:
        backend.snowflake = allocate
    return handle, post_id
