"""Pointing discord.py at a LocalDiscord, and running a client against it with a clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .server import LocalDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


def check_discord_hooks() -> None:
    """Fail loudly if discord.py no longer has the two class attributes LocalDiscord redirects."""
    base = getattr(Route, "BASE", None)
    gateway = getattr(DiscordWebSocket, "DEFAULT_GATEWAY", None)
    if not isinstance(base, str) or not isinstance(gateway, yarl.URL):
        raise RuntimeError(
            "discord.py changed: expected discord.http.Route.BASE (str) and "
            f"discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY (yarl.URL), found {base!r} and {gateway!r}"
        )


@contextlib.contextmanager
def pointed_at(local: LocalDiscord) -> Iterator[LocalDiscord]:
    """Send discord.py's REST calls and gateway connections to a started LocalDiscord; restore both after."""
    check_discord_hooks()
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = local.base_url
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(local.gateway_url)
    try:
        yield local
    finally:
        Route.BASE = old_base
        DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@contextlib.asynccontextmanager
async def running(
    client: ClientT,
    local: LocalDiscord,
    *,
    timeout: float = 5.0,  # noqa: ASYNC109 - bounds both the wait for READY and the close
) -> AsyncIterator[ClientT]:
    """Log a client in, connect it, wait for on_ready; on exit close it before the server can go away.

    Build the client with a small `guild_ready_timeout` (e.g. 0.01): discord.py waits that long after the last
    GUILD_CREATE before READY.
    """
    # login() first: it sets up the client's ready event, which wait_until_ready needs.
    await client.login(local.token)
    connection = asyncio.create_task(client.connect(reconnect=True), name="localdiscord client")
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait({connection, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if connection in done:
            connection.result()
            raise RuntimeError("the client's connection ended before it was ready")
        if ready not in done:
            raise TimeoutError(f"the client was not ready within {timeout}s")
        yield client
    finally:
        ready.cancel()
        await client.close()
        if connection.done():
            if not connection.cancelled():
                connection.exception()  # retrieved so asyncio does not warn; result() above raised it
        else:
            await asyncio.wait_for(connection, timeout)
