"""The real bot in SimCord with a real store and a forum.toml the test can change between applies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.app import build_bot
from bot.client import ForumBridge
from bot.policy import PolicyBundle
from bot.settings import MirrorSettings
from bot.store import Store

BASE_URL = "https://forum.spine-health.com"
SMALL_FORUM: list[dict[str, Any]] = [
    {"id": 1, "name": "Back Pain and Neck Pain", "urlcode": "back-pain-and-neck-pain", "display_as": "heading"},
    {"id": 10, "name": "Lower Back Pain", "urlcode": "lower-back-pain", "parent": 1, "description": "Lumbar pain."},
    {"id": 11, "name": "Neck Pain", "urlcode": "neck-pain", "parent": 1},
    {"id": 2, "name": "Treatment", "urlcode": "treatment", "display_as": "heading"},
    {
        "id": 20,
        "name": "Back Surgery and Neck Surgery",
        "urlcode": "back-surgery-and-neck-surgery",
        "parent": 2,
        "description": "Preparing for surgery and recovering from it.",
    },
    {"id": 21, "name": "Injections", "urlcode": "injections", "parent": 2},
    {"id": 50, "name": "Introductions", "urlcode": "introductions"},
]


class ForumFile:
    """A forum.toml on disk that tests edit: rename, move, remove, add."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.categories = [dict(c) for c in SMALL_FORUM]
        self.write()

    def write(self) -> None:
        """Write the categories out."""
        parts = [f'[forum]\nbase_url = "{BASE_URL}"\n']
        for category in self.categories:
            lines = ["[[category]]", *(f"{key} = {json.dumps(value)}" for key, value in category.items())]
            parts.append("\n".join(lines) + "\n")
        self.path.write_text("\n".join(parts), encoding="utf-8")

    def change(self, forum_id: int, **fields: Any) -> None:
        """Change one category's fields."""
        next(c for c in self.categories if c["id"] == forum_id).update(fields)
        self.write()

    def remove(self, forum_id: int) -> None:
        """Remove a category from the forum."""
        self.categories = [c for c in self.categories if c["id"] != forum_id]
        self.write()

    def add(self, **fields: Any) -> None:
        """Add a category."""
        self.categories.append(fields)
        self.write()


@pytest.fixture
def forum_file(tmp_path: Path) -> ForumFile:
    """The forum's categories, as a file the bot reads."""
    return ForumFile(tmp_path / "forum.toml")


@pytest.fixture
def simcord_bot(store: Store, shipped: PolicyBundle, forum_file: ForumFile) -> ForumBridge:
    """The real bot, mirroring from the test's forum file."""
    return build_bot(store, shipped, mirror=MirrorSettings(file=forum_file.path))


@dataclass
class Place:
    """A community server before any set-up: an admin, a moderator, members."""

    env: Any
    bot: ForumBridge
    forum: ForumFile
    guild: Any
    general: Any
    moderators: Any
    admin: Any
    mod: Any
    member: Any
    newbie: Any

    def channel_calls(self, since: int = 0) -> list[Any]:
        """REST calls that change or read channels (not the replies: the interaction's, or the report message)."""
        return [
            r
            for r in self.env.http_requests[since:]
            if r.path.startswith(("/guilds/", "/channels/")) and "/messages" not in r.path
        ]

    def expire_interaction_tokens(self) -> None:
        """From now on, Discord refuses the interactions' webhook calls, as it does after 15 minutes.

        discord-api-docs, Interactions → Receiving and Responding: "Interaction tokens are valid for
        15 minutes"; follow-ups and edits of the reply go through /webhooks/{application.id}/{token}.
        Topics → Opcodes and Status Codes, JSON Error Codes: 50027 "Invalid Webhook Token" (with 401).
        The initial response (POST /interactions/{id}/{token}/callback) is not a webhook call: a defer works.
        """
        self.env.inject_error(
            "*",
            f"/webhooks/{self.bot.application_id}/*",
            status=401,
            code=50027,
            message="Invalid Webhook Token",
            times=None,
        )

    def discord_guild(self) -> discord.Guild:
        """The bot's view of the server."""
        guild = self.bot.get_guild(self.guild.id)
        assert guild is not None
        return guild

    def channel(self, name: str) -> discord.abc.GuildChannel:
        """A channel (or category) by name, from the bot's cache."""
        found = [c for c in self.discord_guild().channels if c.name == name]
        assert len(found) == 1, f"{len(found)} channels named {name!r}"
        return found[0]

    def member_of(self, actor: Any) -> discord.Member:
        """The bot's discord.Member for a SimCord actor."""
        member = self.discord_guild().get_member(actor.id)
        assert member is not None
        return member

    def bot_role(self) -> Any:
        """SimCord's record of the bot's managed role."""
        backend = self.env.backend
        roles = backend.guilds[self.guild.id].roles.values()
        return next(role for role in roles if role.managed)

    def take_from_bot(self, **denied: bool) -> None:
        """Take guild permissions away from the bot's role."""
        role = self.bot_role()
        permissions = discord.Permissions(role.permissions)
        permissions.update(**denied)
        self.env.backend.edit_role(self.guild.id, role.id, {"permissions": permissions.value})


@pytest.fixture
async def place(simcord_env: Any, simcord_bot: ForumBridge, forum_file: ForumFile) -> Place:
    """A spine-and-arthritis server with its commands synced, as an admin would after `sync-commands`."""
    env = simcord_env
    guild = env.create_guild("Spine & Arthritis Community")
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    moderators = guild.create_role("Moderators", permissions=discord.Permissions(manage_messages=True))
    admin = guild.add_member(env.create_user("ada_admin", global_name="Ada"), roles=[admins])
    mod = guild.add_member(env.create_user("maria_mod", global_name="Maria"), roles=[moderators])
    member = guild.add_member(env.create_user("alice", global_name="Alice"))
    newbie = guild.add_member(env.create_user("newbie", global_name="Nora New"))
    general = guild.create_text_channel("general")
    await simcord_bot.tree.sync()
    await env.settle()
    return Place(env, simcord_bot, forum_file, guild, general, moderators, admin, mod, member, newbie)
