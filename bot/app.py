"""The one public way to build Forum Bridge: from settings, or from a store and a policy already open.

`make run`, `forum-bridge sync`, the demo, the benches and the tests all build the bot here, so each runs the
same client, cogs and services as production. The signature of `open_bot` and `build_bot` is kept stable:
checks outside the test suite build the bot through them. Their keywords are:

- `database` (open_bot) / `store` (build_bot): the SQLite file to open (migrated on open), or a `Store`
  already open (the caller closes it).
- `policy`: the policy bundle, or a policy file to load (`None`: the shipped `data/policy.toml`).
- `mirror`: where `/mirror` reads the forum (`MirrorSettings`; default: the shipped `data/forum.toml`).
- `moderator_channel_id`, `moderator_role_id`: a guild's moderation until `/setup` records its own.
- `pacer`: the REST pacer (default: the bot's own `GlobalPacer`); `extensions`, `intents` and any other
  keyword go to `ForumBridge` and on to `discord.ext.commands.Bot` (tests pass `guild_ready_timeout`).

The client's constructor builds the services once (`bot.services`). `open_bot` yields a client that has not
started: run it inside the block (`async with bot: await bot.start(token)`, or SimCord's `simcord.run(bot)`),
so that it has closed, and written what it keeps behind, before the block ends and the store closes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import discord

from bot.client import EXTENSIONS, ForumBridge
from bot.community import Community
from bot.pacer import GlobalPacer
from bot.policy import PolicyBundle, load_policy_file
from bot.settings import MirrorSettings, Settings
from bot.store import Store

__all__ = ["build_bot", "open_bot", "open_from_settings"]


def _bundle(policy: PolicyBundle | Path | str | None) -> PolicyBundle:
    if isinstance(policy, PolicyBundle):
        return policy
    return load_policy_file(Path(policy)) if policy is not None else load_policy_file()


def build_bot(
    store: Store,
    policy: PolicyBundle | Path | str | None = None,
    *,
    mirror: MirrorSettings | None = None,
    moderator_channel_id: int | None = None,
    moderator_role_id: int | None = None,
    pacer: GlobalPacer | None = None,
    extensions: Sequence[str] = EXTENSIONS,
    intents: discord.Intents | None = None,
    **options: Any,
) -> ForumBridge:
    """The bot over an open store: its community cache, client and services (PolicyError for a bad file)."""
    community = Community(
        store,
        _bundle(policy),
        default_moderator_channel_id=moderator_channel_id,
        default_moderator_role_id=moderator_role_id,
    )
    return ForumBridge(
        community=community, extensions=extensions, intents=intents, pacer=pacer, mirror=mirror, **options
    )


@asynccontextmanager
async def open_bot(
    database: Path | str,
    policy: PolicyBundle | Path | str | None = None,
    *,
    mirror: MirrorSettings | None = None,
    moderator_channel_id: int | None = None,
    moderator_role_id: int | None = None,
    pacer: GlobalPacer | None = None,
    extensions: Sequence[str] = EXTENSIONS,
    intents: discord.Intents | None = None,
    **options: Any,
) -> AsyncIterator[ForumBridge]:
    """Load the policy, open the database, yield the bot; close the database after (PolicyError, StoreError)."""
    bundle = _bundle(policy)  # before the database: a bad policy file opens nothing
    store = await Store.open(database)
    try:
        bot = build_bot(
            store,
            bundle,
            mirror=mirror,
            moderator_channel_id=moderator_channel_id,
            moderator_role_id=moderator_role_id,
            pacer=pacer,
            extensions=extensions,
            intents=intents,
            **options,
        )
        yield bot
    finally:
        await store.close()


def open_from_settings(
    settings: Settings, *, policy: PolicyBundle | None = None, **options: Any
) -> AbstractAsyncContextManager[ForumBridge]:
    """`open_bot` with what `make run` reads from the environment (a policy already loaded from it may be given)."""
    return open_bot(
        settings.database,
        policy if policy is not None else settings.policy_file,
        mirror=settings.mirror,
        moderator_channel_id=settings.moderator_channel_id,
        moderator_role_id=settings.moderator_role_id,
        **options,
    )
