"""Work in flight: holds and decisions a shutdown lets finish (see InFlight.drain)."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


class InFlight:
    """Counts holds and decisions under way, so a shutdown can wait for them."""

    def __init__(self) -> None:
        self.busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        """One more piece of work under way."""
        self.busy += 1
        self._idle.clear()

    def leave(self) -> None:
        """One piece of work done."""
        self.busy -= 1
        if not self.busy:
            self._idle.set()

    async def drain(self, timeout: float) -> bool:  # noqa: ASYNC109 - a shutdown bounds its wait
        """Wait until no hold or decision is half done; False if some still were after timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("shutting down with %d holds or decisions still in flight", self.busy)
            return False
        return True


class Tracked(Protocol):
    """A part of the gate whose work counts as in flight."""

    inflight: InFlight


T = TypeVar("T", bound=Tracked)


def tracked(
    method: Callable[Concatenate[T, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[T, P], Coroutine[Any, Any, R]]:
    """Count the call as work in flight, so a shutdown can let it finish (see InFlight.drain)."""

    @functools.wraps(method)
    async def wrapper(part: T, /, *args: P.args, **kwargs: P.kwargs) -> R:
        part.inflight.enter()
        try:
            return await method(part, *args, **kwargs)
        finally:
            part.inflight.leave()

    return wrapper
