"""LocalDiscord: an aiohttp server on loopback that speaks Discord's REST API, CDN and gateway."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import BodyPartReader, web

from . import payloads
from .api import ApiError, Call, RecordedRequest, Reply, Router, UploadedFile
from .builders import Builders
from .events import Events
from .gateway import Gateway
from .ratelimits import DmOpenLimit, RateLimits
from .routes import ROUTER
from .world import StoredMessage, World

T = TypeVar("T")
_log = logging.getLogger(__name__)
_API_PREFIX = re.compile(r"/api/v\d+")
_CDN = re.compile(r"/attachments/(\d+)/(\d+)/[^/]+\Z")
NOT_FOUND = {"message": "404: Not Found", "code": 0}
# discord-api-docs, Resources/Message, Create Message, JSON/Form Params, enforce_nonce: "If true and nonce is
# present, it will be checked for uniqueness in the past few minutes." How many is not said: two, to be strict.
NONCE_WINDOW_S = 120.0


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: Any
    headers: dict[str, str]
    remaining: int


@dataclass
class _Waiter:
    check: Callable[[], Any]
    future: asyncio.Future[Any]


class LocalDiscord(Builders, Events):
    """A local Discord for one test: build the world, start it (async with), point discord.py at it.

    `echo_events` makes the bot's own REST writes come back over the gateway as on Discord (MESSAGE_CREATE
    for its messages, MESSAGE_DELETE for deletions...).
    """

    def __init__(
        self,
        *,
        token: str = "local-bot-token",
        bot_name: str = "Forum Bridge",
        heartbeat_interval_ms: int = 41_250,
        echo_events: bool = True,
        rate_limits: RateLimits | None = None,
        nonce_window_s: float = NONCE_WINDOW_S,
        dm_open_limit: DmOpenLimit | None = None,
    ) -> None:
        self.token = token
        self.nonce_window_s = nonce_window_s
        self.rate_limits = rate_limits  # None: no limits (the default for behaviour tests)
        self.dm_open_limit = dm_open_limit  # None: DM channels open as fast as asked (see ratelimits.DmOpenLimit)
        self.world = World(bot_name)
        self.gateway = Gateway(self, heartbeat_interval_ms)
        self.router = Router(list(ROUTER.routes))  # a copy, so a test may add routes of its own
        self.echo_events = echo_events
        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[RecordedRequest] = []
        self.server_errors: list[tuple[RecordedRequest, Exception]] = []  # bugs in the stand-in itself
        self.nonce_repeats = 0  # messages Discord refused to make twice (a repeated nonce with enforce_nonce)
        self.bot_nonces: dict[str, list[StoredMessage]] = {}  # the bot's messages by the nonce they were made with
        self._failures: list[_Failure] = []
        self._waiters: list[_Waiter] = []
        self._runner: web.AppRunner | None = None
        self._sock: socket.socket | None = None
        self.origin = ""

    # Lifecycle.

    @property
    def base_url(self) -> str:
        """What discord.http.Route.BASE should be, e.g. http://127.0.0.1:PORT/api/v10."""
        return f"{self._origin_or_fail()}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The gateway address, e.g. ws://127.0.0.1:PORT/gateway."""
        return self._origin_or_fail().replace("http://", "ws://", 1) + "/gateway"

    def _origin_or_fail(self) -> str:
        if not self.origin:
            raise RuntimeError("LocalDiscord is not started; use `async with LocalDiscord() as local:`")
        return self.origin

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_route("*", "/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, self._sock).start()
        self.origin = f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    async def stop(self) -> None:
        """Close the gateway sockets and the server (stop discord.py clients first, or they try to reconnect)."""
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # The single request-dispatch point.

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        at = time.perf_counter()
        raw_path = request.rel_url.raw_path
        prefix = _API_PREFIX.match(raw_path)
        start = prefix.end() if prefix else 0
        rec = RecordedRequest(request.method, request.rel_url.path[start:], dict(request.query), None, [], at)
        self.requests.append(rec)
        try:
            rec.json, rec.files = await _read_body(request)
        except ValueError:
            response = _json(400, {"message": "The request body contains invalid JSON.", "code": 50109})
        else:
            response = await self._answer_safely(rec, request, raw_path[start:], is_api=prefix is not None)
        rec.status = response.status
        rec.answered_at = time.perf_counter()
        self._changed()
        return response

    async def _answer_safely(
        self, rec: RecordedRequest, request: web.Request, raw_path: str, *, is_api: bool
    ) -> web.Response:
        try:
            return await self._answer(rec, request, raw_path, is_api=is_api)
        except ApiError as error:
            return _json(error.status, error.body())
        except Exception as error:
            # A bug here must fail fast: a 5xx would make discord.py retry for 16 s before giving up.
            _log.exception("LocalDiscord failed on %s %s", rec.method, rec.path)
            self.server_errors.append((rec, error))
            return _json(400, {"message": f"LocalDiscord bug: {error!r}", "code": 0})

    async def _answer(self, rec: RecordedRequest, request: web.Request, raw_path: str, *, is_api: bool) -> web.Response:
        found = self.router.match(rec.method, raw_path) if is_api else None
        if found is not None:
            rec.route = found[0].template
        failure = self._take_failure(rec)
        if failure is not None:
            rec.injected = True
            return _json(failure.status, failure.body, failure.headers)
        if not is_api:
            return self._cdn(rec)
        limit_headers: dict[str, str] = {}
        if self.rate_limits is not None:
            verdict = self.rate_limits.check(
                rec.method, rec.path, bot_authorized=request.headers.get("Authorization") == f"Bot {self.token}"
            )
            if not verdict.allowed:
                rec.rate_limited = verdict.scope
                return _json(429, verdict.body, verdict.headers)
            limit_headers = verdict.headers
        if found is None:
            self.unknown_routes.append(rec)
            return _json(404, NOT_FOUND)
        spec, params = found
        if spec.auth and request.headers.get("Authorization") != f"Bot {self.token}":
            return _json(401, {"message": "401: Unauthorized", "code": 0})
        result = await spec.handler(self, Call(rec, params))
        if result is None:
            return web.Response(status=204, headers=limit_headers)
        if isinstance(result, Reply):
            return _json(result.status, result.body, limit_headers)
        return _json(200, result, limit_headers)

    def _cdn(self, rec: RecordedRequest) -> web.Response:
        found = _CDN.match(rec.path)
        data = self.world.files.get(int(found.group(2))) if found else None
        if data is None:
            self.unknown_routes.append(rec)
            return _json(404, NOT_FOUND)
        rec.route = "/attachments/{channel_id}/{attachment_id}/{filename}"
        return web.Response(body=data, content_type="application/octet-stream")

    def advance_clock(self, seconds: float) -> None:
        """Move Discord's clock on (new snowflakes, the nonce window); the host's clock is left alone."""
        self.world.clock_offset_s += seconds

    # Error injection.

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        status: int,
        body: Any = None,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next `times` requests matching METHOD (or "*") and the path regex with this status."""
        default = {"message": f"{status}: injected by LocalDiscord", "code": 0}
        failure = _Failure(
            method.upper(),
            re.compile(path_pattern),
            status,
            default if body is None else body,
            dict(headers or {}),
            times,
        )
        self._failures.append(failure)

    def _take_failure(self, rec: RecordedRequest) -> _Failure | None:
        for failure in self._failures:
            if failure.method in ("*", rec.method) and failure.pattern.search(rec.path):
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    # Observation.

    def _changed(self) -> None:
        """Re-check waiters; called after every answered request and gateway change."""
        for waiter in list(self._waiters):
            if waiter.future.done():
                continue
            try:
                result = waiter.check()
            except Exception as error:
                waiter.future.set_exception(error)
                continue
            if result:
                waiter.future.set_result(result)

    # A timeout argument (ASYNC109) keeps test code short, and the error it raises names what never arrived.
    async def wait_until(self, check: Callable[[], T | None], *, timeout: float = 5.0, what: str = "") -> T:  # noqa: ASYNC109
        """Wait, without polling, until check() returns something truthy (re-checked on every change); return it."""
        result = check()
        if result:
            return result
        waiter = _Waiter(check, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(waiter.future, timeout)
        except TimeoutError:
            recent = ", ".join(f"{r.method} {r.path} -> {r.status}" for r in self.requests[-8:]) or "none"
            raise TimeoutError(
                f"timed out after {timeout}s waiting for {what or check}; recent requests: {recent}"
            ) from None
        finally:
            self._waiters.remove(waiter)

    async def wait_for_request(
        self,
        method: str,
        path_regex: str,
        *,
        start: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> RecordedRequest:
        """The first answered request at index >= start matching METHOD ("*" for any) and the path regex."""
        pattern, method = re.compile(path_regex), method.upper()
        cursor = start

        def check() -> RecordedRequest | None:
            # Only scan what is new since the last check, so long benches do not go quadratic.
            nonlocal cursor
            index, settled = cursor, True
            while index < len(self.requests):
                rec = self.requests[index]
                index += 1
                if rec.status is None:
                    settled = False
                elif method in ("*", rec.method) and pattern.search(rec.path):
                    return rec
                if settled:
                    cursor = index
            return None

        return await self.wait_until(check, timeout=timeout, what=f"{method} {path_regex}")

    def find_requests(self, method: str, path_regex: str) -> list[RecordedRequest]:
        """Every recorded request matching METHOD ("*" for any) and the path regex."""
        pattern, method = re.compile(path_regex), method.upper()
        return [r for r in self.requests if method in ("*", r.method) and pattern.search(r.path)]

    def messages_in(self, channel_id: int) -> list[StoredMessage]:
        """The messages a channel (or thread, or DM) holds now, oldest first."""
        return list(self.world.messages.get(channel_id, {}).values())

    @property
    def identifies(self) -> list[dict[str, Any]]:
        """Every IDENTIFY payload received."""
        return self.gateway.identifies

    @property
    def bot_user_id(self) -> int:
        """The bot's user id (also its application id)."""
        return self.world.bot.id

    # Shared by routes and events.

    async def dispatch(self, event: str, payload: dict[str, Any]) -> int:
        """Push an event to every identified session that should get it; returns how many did."""
        sent = await self.gateway.dispatch(event, payload)
        self._changed()
        return sent

    async def echo(self, event: str, payload: dict[str, Any]) -> None:
        """Dispatch what Discord would send back for the bot's own REST action, if echo_events is on."""
        if self.echo_events:
            await self.dispatch(event, payload)

    def message_event(self, stored: StoredMessage) -> dict[str, Any]:
        """A message as MESSAGE_CREATE/UPDATE carry it: with guild_id and the author's member object."""
        data = dict(payloads.rendered(self.world, stored))
        guild_id = data.get("guild_id")
        if guild_id is not None and "webhook_id" not in data:
            member = self.world.guilds[int(guild_id)].members.get(stored.author_id)
            if member is not None:
                data["member"] = payloads.member(self.world, member, with_user=False)
        return data

    async def post_message(self, stored: StoredMessage, *, dispatch: bool | None = None) -> StoredMessage:
        """Store a new message and dispatch MESSAGE_CREATE (by default only when echo_events is on)."""
        self.world.store_message(stored)
        if not stored.ephemeral and (self.echo_events if dispatch is None else dispatch):
            await self.dispatch("MESSAGE_CREATE", self.message_event(stored))
        return stored

    def store_file(
        self, channel_id: int, filename: str, data: bytes, content_type: str | None = None
    ) -> dict[str, Any]:
        """Keep an attachment's bytes; returns its payload, whose url this server serves."""
        attachment_id = self.world.next_id()
        self.world.files[attachment_id] = data
        url = f"{self._origin_or_fail()}/attachments/{channel_id}/{attachment_id}/{filename}"
        return payloads.attachment(attachment_id, filename, len(data), url, content_type)

    def store_uploads(
        self, channel_id: int, body: Mapping[str, Any], files: list[UploadedFile]
    ) -> list[dict[str, Any]]:
        """Attachments for `files[n]` parts, using the filenames/descriptions from body["attachments"]."""
        described = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
        out = []
        for index, upload in enumerate(files):
            meta = described.get(upload.field.removeprefix("files[").removesuffix("]"), described.get(str(index), {}))
            attachment = self.store_file(
                channel_id, meta.get("filename") or upload.filename, upload.data, upload.content_type
            )
            if meta.get("description"):
                attachment["description"] = meta["description"]
            out.append(attachment)
        return out


async def _read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    if request.content_type.startswith("multipart/"):
        body: Any = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                body = json.loads(await part.text())
            else:
                data = bytes(await part.read())
                files.append(
                    UploadedFile(
                        part.name or "", part.filename or part.name or "", data, part.headers.get("Content-Type")
                    )
                )
        return body, files
    if not request.can_read_body:
        return None, []
    raw = await request.read()
    return (json.loads(raw) if raw else None), []


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> web.Response:
    # discord.py only parses a body whose Content-Type is exactly application/json (no charset).
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json", headers=headers)
