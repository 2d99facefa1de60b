"""REST plumbing shared by the routes: requests as recorded, errors as Discord words them, and the router."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from .server import LocalDiscord


class ApiError(Exception):
    """An error answer in Discord's shape: an HTTP status, a JSON error code and a message."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors  # which field was wrong, for 50035 Invalid Form Body

    def body(self) -> dict[str, Any]:
        """The JSON body Discord sends with this error."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def missing_permissions() -> ApiError:
    """Discord's answer when the bot lacks a permission."""
    return ApiError(403, 50013, "Missing Permissions")


def missing_access() -> ApiError:
    """Discord's answer when the bot cannot see the channel at all."""
    return ApiError(403, 50001, "Missing Access")


@dataclass
class UploadedFile:
    """One `files[n]` part of a multipart request."""

    field: str
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class RecordedRequest:
    """One HTTP request the bot made, as received."""

    method: str
    path: str  # without the /api/v10 prefix, as Discord's docs write routes
    query: dict[str, str]
    json: Any
    files: list[UploadedFile]
    at: float  # time.perf_counter() when the request arrived
    route: str | None = None  # the matched template, e.g. /channels/{channel_id}/messages; None when unknown
    status: int | None = None  # set once answered
    answered_at: float | None = None
    injected: bool = False  # answered by fail_next rather than by a route
    rate_limited: str | None = None  # "global" or "route" when answered 429 by the rate limits

    def param(self, name: str) -> str | None:
        """A query parameter, or None."""
        return self.query.get(name)


@dataclass
class Call:
    """What a route handler gets: the recorded request and the values the route template captured."""

    request: RecordedRequest
    params: dict[str, str]

    @property
    def body(self) -> dict[str, Any]:
        """The JSON body (or multipart `payload_json`) as a dict; empty when there was none."""
        return self.request.json if isinstance(self.request.json, dict) else {}

    @property
    def files(self) -> list[UploadedFile]:
        """The uploaded files, in `files[n]` order."""
        return self.request.files

    def id(self, name: str) -> int:
        """A snowflake the template captured."""
        return int(self.params[name])


Handler = Callable[["LocalDiscord", Call], Awaitable[Any]]


@dataclass(frozen=True)
class Reply:
    """A success answer with a status other than 200 (a handler returning a plain value means 200, None means 204)."""

    status: int
    body: Any = None


@dataclass(frozen=True)
class RouteSpec:
    """One REST route: method, template, handler and whether it needs the bot token."""

    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool


def _compile(template: str) -> re.Pattern[str]:
    # Snowflake parameters only match digits, so literal segments such as @me or @original never collide with them.
    def group(match: re.Match[str]) -> str:
        name = match.group(1)
        return rf"(?P<{name}>\d+)" if name.endswith("_id") else rf"(?P<{name}>[^/]+)"

    escaped = re.sub(r"\\\{(\w+)\\\}", group, re.escape(template))
    return re.compile(escaped + r"/?\Z")


@dataclass
class Router:
    """A list of routes; the server matches them in order against the raw (still percent-encoded) path."""

    routes: list[RouteSpec] = field(default_factory=list)

    def route(self, method: str, template: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        """Register a handler for METHOD template."""

        def register(handler: Handler) -> Handler:
            self.routes.append(RouteSpec(method, template, _compile(template), handler, auth))
            return handler

        return register

    def include(self, *others: Router) -> None:
        """Add other routers' routes after these."""
        for other in others:
            self.routes.extend(other.routes)

    def match(self, method: str, raw_path: str) -> tuple[RouteSpec, dict[str, str]] | None:
        """The route for a request and its captured, percent-decoded values."""
        for spec in self.routes:
            if spec.method != method:
                continue
            found = spec.pattern.match(raw_path)
            if found:
                return spec, {k: unquote(v) for k, v in found.groupdict().items()}
        return None
