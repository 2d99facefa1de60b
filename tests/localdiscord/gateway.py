"""The gateway websocket: HELLO, IDENTIFY/READY/GUILD_CREATE, heartbeats, RESUME and dispatched events."""

from __future__ import annotations

import asyncio
import importlib
import json
import secrets
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord
from aiohttp import WSMsgType, web

from . import payloads

if TYPE_CHECKING:
    from .server import LocalDiscord

HEARTBEAT_ACK = {"op": 11}
BACKLOG = 2000  # events kept per session for RESUME

_I = discord.Intents
GUILDS = _I(guilds=True).value
GUILD_MEMBERS = _I(members=True).value
GUILD_MODERATION = _I(moderation=True).value
GUILD_WEBHOOKS = _I(webhooks=True).value
GUILD_MESSAGES = _I(guild_messages=True).value
GUILD_REACTIONS = _I(guild_reactions=True).value
DM_MESSAGES = _I(dm_messages=True).value
DM_REACTIONS = _I(dm_reactions=True).value
MESSAGE_CONTENT = _I(message_content=True).value
_MESSAGE_EVENTS = frozenset({"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"})
_GUILDS_PREFIXES = ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE", "GUILD_ROLE_", "CHANNEL_", "THREAD_")


def required_intent(event: str, payload: dict[str, Any]) -> int | None:
    """The intent Discord requires before it sends an event; None for events every session gets."""
    in_dm = "guild_id" not in payload
    if event in _MESSAGE_EVENTS:
        return DM_MESSAGES if in_dm else GUILD_MESSAGES
    if event.startswith("MESSAGE_REACTION_"):
        return DM_REACTIONS if in_dm else GUILD_REACTIONS
    if event.startswith("GUILD_MEMBER_") and event != "GUILD_MEMBERS_CHUNK":
        return GUILD_MEMBERS
    if event.startswith("GUILD_BAN_"):
        return GUILD_MODERATION
    if event == "WEBHOOKS_UPDATE":
        return GUILD_WEBHOOKS
    if event.startswith(_GUILDS_PREFIXES):
        return GUILDS
    return None


class _Connection:
    """One websocket, with the transport compression the client asked for in its URL."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        # Compressing and sending must happen in one order, or the client's shared zlib stream breaks.
        self._lock = asyncio.Lock()
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._zstd: Any = None
        if compress == "zstd-stream":
            # discord.py asks for zstd when `zstandard` is installed (the `speed` extra), so it is importable here too.
            zstandard = importlib.import_module("zstandard")
            self._zstd = (zstandard.ZstdCompressor().compressobj(), zstandard.COMPRESSOBJ_FLUSH_BLOCK)
        elif compress not in (None, "zlib-stream"):
            raise ValueError(f"unsupported gateway compression {compress!r}")

    async def send(self, frame: dict[str, Any]) -> None:
        raw = json.dumps(frame, separators=(",", ":"))
        async with self._lock:
            if self._zlib is not None:
                # discord.py buffers binary frames until the Z_SYNC_FLUSH suffix 00 00 ff ff.
                data = self._zlib.compress(raw.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            elif self._zstd is not None:
                compressor, flush_block = self._zstd
                await self.ws.send_bytes(compressor.compress(raw.encode()) + compressor.flush(flush_block))
            else:
                await self.ws.send_str(raw)


@dataclass
class GatewaySession:
    """An identified session; it outlives its connection so that the client can RESUME it."""

    id: str
    identify: dict[str, Any]
    intents: int
    shard: tuple[int, int] | None
    connection: _Connection | None = None
    seq: int = 0
    backlog: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=BACKLOG))
    resumes: int = 0

    def wants(self, guild_id: int | None) -> bool:
        """Whether a guild's events go to this session's shard."""
        if self.shard is None or guild_id is None:
            return True
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id


class Gateway:
    """Serves /gateway and pushes events to every identified session."""

    def __init__(self, server: LocalDiscord, heartbeat_interval_ms: int = 41_250) -> None:
        self.server = server
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.sessions: dict[str, GatewaySession] = {}
        self.identifies: list[dict[str, Any]] = []  # every IDENTIFY's `d`, token included
        self.connections: set[_Connection] = set()
        self.connect_params: list[dict[str, str]] = []  # each connection's query: v, encoding, compress

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """One websocket connection, from HELLO to close."""
        ws = web.WebSocketResponse(compress=False, max_msg_size=0)
        await ws.prepare(request)
        self.connect_params.append(dict(request.query))
        try:
            conn = _Connection(ws, request.query.get("compress"))
        except (ValueError, ImportError):
            await ws.close(code=4000, message=b"Unsupported compression")
            return ws
        self.connections.add(conn)
        session: GatewaySession | None = None
        try:
            await conn.send({"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op, data = frame.get("op"), frame.get("d")
                if op == 1:
                    await conn.send(HEARTBEAT_ACK)
                elif op == 2:
                    session = await self._identify(conn, data, already=session is not None)
                elif op == 6:
                    session = await self._resume(conn, data)
                elif op == 8 and session is not None:
                    await self._members_chunk(session, data)
                # Presence (3) and voice state (4) updates are accepted and ignored.
        finally:
            self.connections.discard(conn)
            if session is not None and session.connection is conn:
                session.connection = None
                # Discord ends a session the client closes with 1000/1001 and keeps any other resumable.
                # (discord.py 2.7 with aiohttp 3.14 closes with 4000 even from Client.close(), as on Discord.)
                if ws.close_code in (1000, 1001):
                    self.sessions.pop(session.id, None)
            self.server._changed()
        return ws

    async def _identify(self, conn: _Connection, data: dict[str, Any], *, already: bool) -> GatewaySession | None:
        if already:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return None
        self.identifies.append(data)
        if data.get("token") != self.server.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard = tuple(data["shard"]) if data.get("shard") else None
        session = GatewaySession(
            secrets.token_hex(16),
            data,
            int(data.get("intents", 0)),
            shard,
            connection=conn,
        )
        self.sessions[session.id] = session
        world = self.server.world
        mine = [g for g in world.guilds.values() if world.bot.id in g.members and session.wants(g.id)]
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**payloads.user(world.bot), "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in mine],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.server.gateway_url,
            "application": {"id": str(world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["localdiscord"],
        }
        if shard is not None:
            ready["shard"] = list(shard)
        await self._emit(session, "READY", ready)
        for g in mine:
            await self._emit(session, "GUILD_CREATE", payloads.guild_create(world, g))
        self.server._changed()
        return session

    async def _resume(self, conn: _Connection, data: dict[str, Any]) -> GatewaySession | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.server.token:
            await conn.send({"op": 9, "s": None, "t": None, "d": False})
            return None
        if session.connection is not None and session.connection is not conn:
            await session.connection.ws.close(code=4000)
        session.connection = conn
        session.resumes += 1
        last_seen = int(data.get("seq") or 0)
        for frame in list(session.backlog):
            if frame["s"] > last_seen:
                await conn.send(frame)
        await self._emit(session, "RESUMED", {"_trace": ["localdiscord"]})
        self.server._changed()
        return session

    async def _members_chunk(self, session: GatewaySession, data: dict[str, Any]) -> None:
        world = self.server.world
        guild = world.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = str(data.get("query") or "").lower()
        found = [
            m
            for m in guild.members.values()
            if (m.user_id in wanted if wanted else world.user(m.user_id).username.lower().startswith(query))
        ]
        limit = int(data.get("limit") or 0)
        chunk = {
            "guild_id": str(guild.id),
            "members": [payloads.member(world, m) for m in (found[:limit] if limit else found)],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self._emit(session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _emit(self, session: GatewaySession, event: str, payload: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": 0, "s": session.seq, "t": event, "d": payload}
        session.backlog.append(frame)
        if session.connection is not None:
            await session.connection.send(frame)

    async def dispatch(self, event: str, payload: dict[str, Any]) -> int:
        """Send an event to every session whose intents and shard call for it; returns how many connections got it.

        A disconnected session keeps the event for its RESUME.
        """
        needed = required_intent(event, payload)
        raw_guild = payload.get("guild_id", payload.get("id") if event.startswith("GUILD_") else None)
        guild_id = int(raw_guild) if raw_guild is not None else None
        sent = 0
        for session in list(self.sessions.values()):
            if needed is not None and not session.intents & needed:
                continue
            if not session.wants(guild_id):
                continue
            if session.connection is not None:
                sent += 1
            await self._emit(session, event, self._visible(session, event, payload))
        return sent

    def _visible(self, session: GatewaySession, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        # Without the Message Content intent Discord blanks guild messages that neither mention nor come from the bot.
        if session.intents & MESSAGE_CONTENT or event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
            return payload
        bot_id = str(self.server.world.bot.id)
        if "guild_id" not in payload or payload.get("author", {}).get("id") == bot_id:
            return payload
        if any(u.get("id") == bot_id for u in payload.get("mentions", [])):
            return payload
        blank = {**payload, "content": "", "embeds": [], "attachments": [], "components": []}
        blank.pop("poll", None)
        return blank

    def forget_sessions(self) -> None:
        """Discord drops every session (one timed out, say): events reach no one until a client IDENTIFYs again.

        discord-api-docs, Topics/Gateway, Resuming / Invalid Session (opcode 9): a RESUME of a session Discord
        no longer has is answered with Invalid Session whose d is false, and the app must open a new connection
        and send Identify; the events in between are not replayed. (`_resume` answers so for unknown sessions.)
        """
        self.sessions.clear()

    async def send_reconnect(self) -> None:
        """Ask every connected client to reconnect (op 7); discord.py then RESUMEs."""
        for conn in list(self.connections):
            await conn.send({"op": 7, "s": None, "t": None, "d": None})

    async def close(self) -> None:
        """Close every websocket (the server is going away)."""
        for conn in list(self.connections):
            await conn.ws.close(code=1001, message=b"local discord stopping")
