"""Discord-like rate limits for LocalDiscord: the global budget, per-route buckets, 429s shaped like Discord's.

Numbers follow Discord's documentation and long-standing reports: 50 requests a second per bot
token across all routes; per channel about 5 new messages per 5 s and 5 deletes per second;
per webhook about 5 executions per 2 s. Interaction callbacks and webhook-token requests are
not on the bot's global budget.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RouteLimit:
    """A per-route bucket: `limit` requests per `per` seconds for each value of the major parameter."""

    method: str
    pattern: re.Pattern[str]
    limit: int
    per: float
    name: str


DEFAULT_ROUTE_LIMITS = (
    RouteLimit("POST", re.compile(r"^/channels/(\d+)/messages$"), 5, 5.0, "create-message"),
    RouteLimit("DELETE", re.compile(r"^/channels/(\d+)/messages/\d+$"), 5, 1.0, "delete-message"),
    RouteLimit("POST", re.compile(r"^/channels/(\d+)/messages/bulk-delete$"), 1, 1.0, "bulk-delete"),
    RouteLimit("POST", re.compile(r"^/webhooks/(\d+)/[^/]+$"), 5, 2.0, "execute-webhook"),
)


@dataclass
class _Window:
    started: float
    count: int = 0


@dataclass
class Verdict:
    """What the limiter says of one request: let through (with headers) or answer 429."""

    allowed: bool
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    scope: str | None = None


class RateLimits:
    """Fixed-window buckets, as Discord's are, with the headers discord.py paces itself by."""

    def __init__(
        self,
        *,
        global_per_second: int = 50,
        routes: tuple[RouteLimit, ...] = DEFAULT_ROUTE_LIMITS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.global_per_second = global_per_second
        self.routes = routes
        self._clock = clock
        self._global = _Window(clock())
        self._buckets: dict[tuple[str, str], _Window] = {}
        self.global_429s = 0
        self.route_429s = 0
        self.global_counted = 0

    def check(self, method: str, path: str, *, bot_authorized: bool) -> Verdict:
        """Count the request against its buckets; a 429 verdict if one is spent."""
        now = self._clock()
        on_global_budget = bot_authorized and not path.startswith("/interactions/")
        if on_global_budget:
            if now - self._global.started >= 1.0:
                self._global = _Window(now)
            if self._global.count >= self.global_per_second:
                self.global_429s += 1
                retry = max(self._global.started + 1.0 - now, 0.001)
                return Verdict(False, _limited_headers(retry, scope="global"), _body(retry, is_global=True), "global")
        route, major = self._route(method, path)
        headers: dict[str, str] = {}
        if route is not None:
            key = (route.name, major)
            window = self._buckets.get(key)
            if window is None or now - window.started >= route.per:
                window = self._buckets[key] = _Window(now)
            reset_after = max(window.started + route.per - now, 0.001)
            if window.count >= route.limit:
                self.route_429s += 1
                limited = _limited_headers(reset_after, scope="user")
                limited.update(_bucket_headers(route, 0, reset_after, now))
                return Verdict(False, limited, _body(reset_after, is_global=False), "route")
            window.count += 1
            headers = _bucket_headers(route, route.limit - window.count, reset_after, now)
        if on_global_budget:
            self._global.count += 1
            self.global_counted += 1
        return Verdict(True, headers)

    def _route(self, method: str, path: str) -> tuple[RouteLimit | None, str]:
        for route in self.routes:
            if route.method == method:
                match = route.pattern.match(path)
                if match is not None:
                    return route, match.group(1)
        return None, ""


def _bucket_headers(route: RouteLimit, remaining: int, reset_after: float, now: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(route.limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Bucket": route.name,
    }


def _limited_headers(retry_after: float, *, scope: str) -> dict[str, str]:
    headers = {
        "Retry-After": str(max(1, round(retry_after))),
        "X-RateLimit-Scope": scope,
        # discord.py reads a 429 without Via as Cloudflare's ban page and raises instead of waiting.
        "Via": "1.1 google",
    }
    if scope == "global":
        headers["X-RateLimit-Global"] = "true"
    return headers


def _body(retry_after: float, *, is_global: bool) -> dict[str, Any]:
    return {"message": "You are being rate limited.", "retry_after": round(retry_after, 3), "global": is_global}


@dataclass
class DmOpenLimit:
    """Opening DM channels too fast: past `limit` new DM channels in `per` seconds, Discord answers 40003.

    discord-api-docs, Topics/Opcodes and Status Codes, JSON Error Codes: "40003 | You are opening direct
    messages too fast". The table gives no HTTP status or numbers: bots see it as 403 Forbidden (as discord.py
    prints it, "403 Forbidden (error code: 40003)"), it carries no retry_after, and it is not a 429, so a
    client's rate-limit handling does not wait for it. The numbers here are the test's to choose.
    """

    limit: int
    per: float
    clock: Callable[[], float] = time.monotonic
    refused: int = 0  # 40003s answered
    _opened: list[float] = field(default_factory=list)

    def allow(self) -> bool:
        """Count one new DM channel; False (answer 40003) when too many were opened in the window."""
        now = self.clock()
        self._opened = [at for at in self._opened if now - at < self.per]
        if len(self._opened) >= self.limit:
            self.refused += 1
            return False
        self._opened.append(now)
        return True
