"""Discord's 3-second deadline, checked where SimCord cannot: SimCord's deadline runs on a virtual clock.

Discord wants an interaction's first response within 3 seconds (discord-api-docs, Interactions/Receiving and
Responding, Responding to an Interaction: "you must send an initial response within 3 seconds of receiving the
event"). The store's work is what can take longer under load, so a handler that may be slow must send its first
response (often a defer) before it asks the database anything. This helper watches both in their real order:
each SQL statement the store runs (SQLite's own trace hook) against the REST calls the bot has made by then.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.store import Store

T = TypeVar("T")
EPHEMERAL = 1 << 6


async def answered_before_the_database(
    env: Any, store: Store, act: Callable[[], Awaitable[T]], *, ephemeral: bool | None = None
) -> T:
    """Run an interaction; assert its first response was sent before any SQL, and (if given) its ephemerality."""
    calls_at_each_statement: list[int] = []
    start = len(env.http_requests)
    # The trace hook runs in aiosqlite's thread as each statement executes; the bot awaits each one, so the
    # count of REST calls it sees is the count made before that statement.
    await store.db.connection.set_trace_callback(lambda _sql: calls_at_each_statement.append(len(env.http_requests)))
    try:
        result = await act()
    finally:
        await store.db.connection.set_trace_callback(None)
    callbacks = [
        index
        for index, request in enumerate(env.http_requests)
        if index >= start and request.method == "POST" and request.path.endswith("/callback")
    ]
    assert callbacks, "the interaction was never answered"
    first = callbacks[0]
    assert calls_at_each_statement, "no database work was seen: the check proves nothing here"
    early = [count for count in calls_at_each_statement if count <= first]
    assert not early, f"{len(early)} SQL statement(s) ran before the interaction's first response"
    if ephemeral is not None:
        flags = (env.http_requests[first].json or {}).get("data", {}).get("flags", 0) or 0
        assert bool(flags & EPHEMERAL) is ephemeral, f"first response flags {flags}"
    return result
