"""The real bot end to end against LocalDiscord: clean-message throughput and hold latency.

Run from the repository root::

    python bench/gate.py [--clean N] [--holds N] [--rate R]

Everything runs in one process on one event loop, as ``make run`` builds the bot:
``ForumBridge(community=Community(store, bundle))`` with a real SQLite store in a temporary
folder and the shipped policy (``data/policy.toml``), connected over loopback to a
``tests.localdiscord.LocalDiscord`` (REST + zlib-stream gateway). Bot code is not changed;
the bench only wraps the gate's ``screen`` on the bot's own Gate instance.

Phases (every figure is printed as ``name: value``):

* clean throughput: N clean messages (``bench/corpus.py`` patient chat the engine allows)
  from ~300 established members (``approved_posts`` 5) across four channels, pushed over
  the gateway back to back. ``clean_msgs_per_s`` is N over the time from the first frame
  until the gate has screened the last message. The payloads are built and stored in the
  stand-in's world before the clock starts, so the timed part of the stand-in is only
  serialising, compressing and writing frames. A warm-up batch runs first.
* breakdown: a second, smaller clean batch with timers on the stand-in's dispatch,
  discord.py's frame handling (``received_message``: inflate, JSON, parse, scheduling),
  its MESSAGE_CREATE parser, ``commands.Bot.on_message`` and ``Gate.screen``; the rest of
  the wall time per message is the event loop, aiohttp's websocket reader and task
  switching (``other_us``). Kept out of the headline run so timers do not slow it.
* hold latency: a paced stream (default 20/s for 20 s, absolute deadlines via
  ``loop.call_at`` so it does not drift) alternating new members' first posts and link
  posts from established members. For each, latency runs from the moment the frame is
  handed to the stand-in to the arrival (``RecordedRequest.at``) of the card's
  ``POST /channels/{mod}/messages``; a card is matched to its message through its footer
  (``Item #<id>``) and the store (item id -> message id). Each hold costs several REST
  calls (``hold_rest_*``: delete, card-history lookup, card, DM channel, DM), and the bot's
  own global pacer (``bot/pacer.py``, 45/s) is in the path, as ``make run`` has it;
  ``--pacer-rate`` changes its budget (e.g. 100000 to see the bot's latency without it).
  The stand-in answers without rate limits unless ``--discord-limits`` turns on its
  Discord-like buckets. Holds whose card has not come ``--drain`` seconds after the last
  frame count as unfinished, at the time the bench stopped waiting (a lower bound).

The wrapper on ``screen`` adds, per call, one ``is not None`` test, one counter increment and
one comparison (an Event is set once, at the target), nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import discord  # noqa: E402

from bench.corpus import CHANNEL_ID, CorpusAuthor, author_pool, generate  # noqa: E402
from bot.client import ForumBridge  # noqa: E402
from bot.community import Community  # noqa: E402
from bot.pacer import GlobalPacer  # noqa: E402
from bot.policy import PolicyBundle, load_policy_file  # noqa: E402
from bot.rules import Action, AuthorFacts, Engine, MessageFacts, Verdict, warm  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.localdiscord import LocalDiscord, RateLimits, RecordedRequest, pointed_at, running  # noqa: E402
from tests.localdiscord import payloads as ld_payloads  # noqa: E402

CLEAN_TARGET_PER_S = 5_000
HOLD_P99_TARGET_MS = 50.0
ESTABLISHED_APPROVED = 5
CHANNEL_NAMES = ("general", "pain-management", "surgery-recovery", "off-topic")
FOOTER = re.compile(r"Item #(\d+)\Z")
LOGGERS = ("bot", "cogs", "discord")


# ---------------------------------------------------------------------------------------
# The community
# ---------------------------------------------------------------------------------------


@dataclass
class Place:
    """The guild the bench builds: channels, moderator channel and role, and who is who."""

    guild: int
    channels: list[int]
    mod_channel: int
    mod_role: int
    established: dict[int, int]  # corpus author id -> local user id
    regulars: list[int]  # established local users who are not moderators
    newcomers: list[int]  # local users with no approved posts


def build_place(local: LocalDiscord, pool: Sequence[CorpusAuthor], newcomers: int) -> Place:
    """A guild with four text channels, a private moderator channel, the pool and some newcomers."""
    perms = discord.Permissions(manage_messages=True, manage_webhooks=True)
    guild = local.add_guild("Spine & Arthritis Community", bot_permissions=perms.value)
    mod_role = local.add_role(guild, "Moderators", discord.Permissions(manage_messages=True))
    category = local.add_channel(guild, "Community", type=4)
    channels = [local.add_channel(guild, name, parent=category) for name in CHANNEL_NAMES]
    hidden = discord.PermissionOverwrite(view_channel=False)
    shown = discord.PermissionOverwrite(view_channel=True)
    mod_channel = local.add_channel(
        guild,
        "mod-queue",
        permission_overwrites={guild: hidden, local.bot_user_id: shown, mod_role: shown},
    )
    established: dict[int, int] = {}
    regulars: list[int] = []
    for author in pool:
        user = local.add_user(author.username, global_name=author.global_name)
        local.add_member(guild, user, roles=[mod_role] if author.is_moderator else [])
        established[author.user_id] = user
        if not author.is_moderator:
            regulars.append(user)
    fresh = [local.add_member(guild, local.add_user(f"newcomer{index}")) for index in range(newcomers)]
    return Place(guild, channels, mod_channel, mod_role, established, regulars, fresh)


def localise(text: str, mention_ids: Sequence[int], place: Place) -> str:
    """The corpus text with its user and channel mentions pointing at the local world."""
    for corpus_id in mention_ids:
        text = text.replace(f"<@{corpus_id}>", f"<@{place.established[corpus_id]}>")
    return text.replace(f"<#{CHANNEL_ID}>", f"<#{place.channels[0]}>")


async def prepare(local: LocalDiscord, channel: int, user: int, text: str) -> dict[str, Any]:
    """Store a member's message in the stand-in's world and return its MESSAGE_CREATE payload, unsent."""
    world = local.world
    author = ld_payloads.user(world.user(user))
    stored = ld_payloads.message(world, world.channel(channel), author, {"content": text})
    await local.post_message(stored, dispatch=False)
    return local.message_event(stored)


# ---------------------------------------------------------------------------------------
# Texts
# ---------------------------------------------------------------------------------------


def verdict_for(engine: Engine, bundle: PolicyBundle, text: str, approved: int) -> Verdict:
    """What the shipped policy decides for a non-moderator with `approved` posts."""
    author = AuthorFacts(1, approved_posts=approved)
    return engine.evaluate(author, MessageFacts(text), bundle.policy)


@dataclass
class Texts:
    """Clean texts with their corpus authors, and link texts the policy holds or blocks."""

    clean: list[tuple[str, int, tuple[int, ...]]]
    links: list[tuple[str, int, tuple[int, ...]]]
    dropped: int = 0  # corpus "clean" messages the engine would not allow (near misses)


def make_texts(
    engine: Engine, bundle: PolicyBundle, pool: Sequence[CorpusAuthor], clean: int, links: int, seed: int
) -> Texts:
    """Enough corpus messages of each kind, checked against the engine so each goes down its path."""
    out = Texts([], [])
    batch = seed
    while len(out.clean) < clean:
        for m in generate(clean - len(out.clean) + 100, seed=batch, link_share=0.0, authors=pool):
            if verdict_for(engine, bundle, m.text, ESTABLISHED_APPROVED).action is Action.ALLOW:
                out.clean.append((m.text, m.author_id, m.mention_ids))
            else:
                out.dropped += 1
        batch += 1000
    batch = seed + 1
    while len(out.links) < links:
        for m in generate(links * 2 + 50, seed=batch, link_share=1.0, authors=pool):
            if verdict_for(engine, bundle, m.text, ESTABLISHED_APPROVED).action is not Action.ALLOW:
                out.links.append((m.text, m.author_id, m.mention_ids))
        batch += 1000
    del out.clean[clean:], out.links[links:]
    return out


# ---------------------------------------------------------------------------------------
# Instruments
# ---------------------------------------------------------------------------------------


class ScreenCounter:
    """Wraps one Gate's screen: counts calls that returned a verdict, sets an Event at a target."""

    def __init__(self, inner: Callable[[discord.Message], Awaitable[Verdict | None]]) -> None:
        self.inner = inner
        self.done = 0
        self.target = -1
        self.reached = asyncio.Event()

    def expect(self, count: int) -> None:
        """Start counting afresh; `reached` is set when `count` verdicts have been returned."""
        self.done, self.target = 0, count
        self.reached.clear()

    async def __call__(self, message: discord.Message) -> Verdict | None:
        """Screen, then count (the bot's own echoed messages return None and are not counted)."""
        verdict = await self.inner(message)
        if verdict is not None:
            self.done += 1
            if self.done == self.target:
                self.reached.set()
        return verdict


@dataclass
class Timer:
    """Total seconds and calls of one instrumented step."""

    total: float = 0.0
    calls: int = 0
    samples: list[float] = field(default_factory=list)

    def add(self, seconds: float, keep: bool = False) -> None:
        """Record one call."""
        self.total += seconds
        self.calls += 1
        if keep:
            self.samples.append(seconds)

    def mean_us(self) -> float:
        """Mean microseconds per call."""
        return self.total / self.calls * 1e6 if self.calls else 0.0

    def typical_us(self) -> float:
        """Mean of the calls under 5x the median: drops the calls that waited for the socket to drain."""
        if not self.samples:
            return self.mean_us()
        cut = statistics.median(self.samples) * 5
        kept = [s for s in self.samples if s <= cut]
        return statistics.fmean(kept) * 1e6


def timed_sync(timer: Timer, func: Callable[[Any], None]) -> Callable[[Any], None]:
    """A parser wrapped with a timer."""

    def wrapper(data: Any) -> None:
        start = time.perf_counter()
        try:
            func(data)
        finally:
            timer.add(time.perf_counter() - start)

    return wrapper


def timed_async(timer: Timer, func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """A coroutine function wrapped with a timer (valid where it does not yield: all cached, clean path)."""

    async def wrapper(*args: Any) -> Any:
        start = time.perf_counter()
        try:
            return await func(*args)
        finally:
            timer.add(time.perf_counter() - start)

    return wrapper


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


# ---------------------------------------------------------------------------------------
# Phases
# ---------------------------------------------------------------------------------------


async def push(local: LocalDiscord, events: Sequence[dict[str, Any]], timer: Timer | None = None) -> None:
    """Send MESSAGE_CREATE frames back to back (yielding only when the socket asks to drain)."""
    if timer is None:
        for event in events:
            await local.dispatch("MESSAGE_CREATE", event)
        return
    clock = time.perf_counter
    for event in events:
        start = clock()
        await local.dispatch("MESSAGE_CREATE", event)
        timer.add(clock() - start, keep=True)


async def clean_run(local: LocalDiscord, counter: ScreenCounter, events: Sequence[dict[str, Any]]) -> float:
    """Seconds from the first frame until the gate has screened the last message."""
    counter.expect(len(events))
    start = time.perf_counter()
    await push(local, events)
    await asyncio.wait_for(counter.reached.wait(), timeout=60)
    return time.perf_counter() - start


async def breakdown_run(
    local: LocalDiscord, bot: ForumBridge, counter: ScreenCounter, events: Sequence[dict[str, Any]]
) -> dict[str, float]:
    """Per-message microseconds in each step of the clean path, with timers installed for this run only."""
    ws = bot.ws
    parsers = bot._connection.parsers
    send, receive, parse, on_message, screen = Timer(), Timer(), Timer(), Timer(), Timer()
    original_parser = parsers["MESSAGE_CREATE"]
    original_screen = counter.inner
    # Instance attributes shadow the class methods discord.py and the cog look up.
    ws.received_message = timed_async(receive, ws.received_message)  # type: ignore[method-assign, assignment]
    parsers["MESSAGE_CREATE"] = timed_sync(parse, original_parser)
    bot.on_message = timed_async(on_message, bot.on_message)  # type: ignore[method-assign, assignment]
    counter.inner = timed_async(screen, original_screen)
    try:
        counter.expect(len(events))
        start = time.perf_counter()
        await push(local, events, send)
        await asyncio.wait_for(counter.reached.wait(), timeout=60)
        wall = time.perf_counter() - start
    finally:
        del ws.received_message, bot.on_message
        parsers["MESSAGE_CREATE"] = original_parser
        counter.inner = original_screen
    n = len(events)
    wall_us = wall / n * 1e6
    # Per-call means: received_message also saw the odd heartbeat ACK, which barely moves its mean.
    figures = {
        "gateway_frame_us": send.typical_us(),
        "discord_receive_us": receive.mean_us(),
        "discord_parse_us": parse.mean_us(),
        "discord_on_message_us": on_message.mean_us(),
        "gate_screen_us": screen.mean_us(),
    }
    figures["discord_inflate_json_us"] = figures["discord_receive_us"] - figures["discord_parse_us"]
    measured = (
        figures["gateway_frame_us"]
        + figures["discord_receive_us"]
        + figures["discord_on_message_us"]
        + figures["gate_screen_us"]
    )
    figures["other_us"] = wall_us - measured
    figures["breakdown_wall_us"] = wall_us
    figures["breakdown_msgs_per_s"] = n / wall
    return figures


@dataclass
class HoldResult:
    """What the paced hold stream measured."""

    latencies_ms: list[float]  # frame -> card POST; unfinished holds counted at the give-up time
    to_delete_ms: list[float]
    cards: int
    unmatched: int
    unfinished: int
    lag_max_ms: float
    rest: dict[str, int]  # the bot's REST requests during the phase, by kind
    rest_seconds: float  # first frame to the last request the phase caused


async def hold_run(
    local: LocalDiscord,
    store: Store,
    counter: ScreenCounter,
    mod_channel: int,
    posts: Sequence[tuple[int, int, str]],
    rate: float,
    drain: float,
) -> HoldResult:
    """Send held messages at `rate` per second on absolute deadlines; time frame -> card POST."""
    loop = asyncio.get_running_loop()
    first_request = len(local.requests)
    sent_at: dict[int, float] = {}
    lag_max = 0.0
    counter.expect(len(posts))
    begin = loop.time() + 0.05
    for index, (channel, user, text) in enumerate(posts):
        deadline = begin + index / rate
        tick = loop.create_future()
        loop.call_at(deadline, tick.set_result, None)
        await tick
        lag_max = max(lag_max, loop.time() - deadline)
        # Built now, not ahead: the card lookup reads history after the message's snowflake time,
        # and a payload built seconds early would make that lookup return earlier cards.
        event = await prepare(local, channel, user, text)
        sent_at[int(event["id"])] = time.perf_counter()
        await local.dispatch("MESSAGE_CREATE", event)
    # Every hold has finished (card posted, author told) once its screen returned a verdict.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(counter.reached.wait(), timeout=drain)
    gave_up = time.perf_counter()

    card_path = f"/channels/{mod_channel}/messages"
    deleted = re.compile(r"/channels/\d+/messages/(\d+)\Z")
    latencies: list[float] = []
    to_delete: list[float] = []
    unmatched = cards = 0
    seen: set[int] = set()
    rest: dict[str, int] = dict.fromkeys(REST_KINDS, 0)
    phase = local.requests[first_request:]
    for rec in phase:
        rest[rest_kind(rec, card_path)] += 1
        if rec.status == 429:
            continue  # refused: discord.py waits and sends it again; the accepted one counts
        if rec.method == "DELETE":
            found = deleted.match(rec.path)
            if found and int(found.group(1)) in sent_at:
                to_delete.append((rec.at - sent_at[int(found.group(1))]) * 1000)
            continue
        if rec.method != "POST" or rec.path != card_path:
            continue
        cards += 1
        message_id = await card_message_id(store, rec)
        if message_id is None or message_id not in sent_at or message_id in seen:
            unmatched += 1
            continue
        seen.add(message_id)
        latencies.append((rec.at - sent_at[message_id]) * 1000)
    unfinished = len(sent_at) - len(seen)
    # An unfinished hold waited at least this long: count it so the percentiles are not flattered.
    latencies += [(gave_up - sent_at[m]) * 1000 for m in sent_at if m not in seen]
    first_sent = min(sent_at.values(), default=gave_up)
    last = max((rec.at for rec in phase), default=first_sent)
    return HoldResult(latencies, to_delete, cards, unmatched, unfinished, lag_max * 1000, rest, last - first_sent)


REST_KINDS = ("delete", "card_history_get", "card_post", "dm_open", "dm_post", "rate_limited", "other")


def rest_kind(rec: RecordedRequest, card_path: str) -> str:
    """Which step of a hold a REST request belongs to."""
    if rec.status == 429:
        return "rate_limited"
    if rec.method == "DELETE":
        return "delete"
    if rec.path == card_path:
        return "card_post" if rec.method == "POST" else "card_history_get"
    if rec.method == "POST" and rec.path == "/users/@me/channels":
        return "dm_open"
    if rec.method == "POST" and rec.path.endswith("/messages"):
        return "dm_post"
    return "other"


async def card_message_id(store: Store, rec: RecordedRequest) -> int | None:
    """The original message a card POST is about, through its footer and the store."""
    body = rec.json if isinstance(rec.json, dict) else {}
    for embed in body.get("embeds") or []:
        found = FOOTER.match(str((embed.get("footer") or {}).get("text", "")))
        if found:
            item = await store.item(int(found.group(1)))
            return item.message_id if item is not None else None
    return None


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    """Build the world, run the phases, return every figure."""
    bundle = load_policy_file()
    warm()
    engine = Engine(bundle.lists)
    pool = author_pool(args.seed)
    holds = args.holds
    newcomer_holds = (holds + 1) // 2
    breakdown = args.breakdown
    texts = make_texts(
        engine, bundle, pool, args.warmup + args.clean + breakdown + newcomer_holds, holds - newcomer_holds, args.seed
    )
    out: dict[str, Any] = {}
    # Off by default, as in the behaviour tests; --discord-limits adds Discord's global and per-route buckets.
    limits = RateLimits() if args.discord_limits else None
    async with LocalDiscord(rate_limits=limits) as local:
        place = build_place(local, pool, newcomer_holds)
        clean_events: list[dict[str, Any]] = []
        for index, (text, author, mentions) in enumerate(texts.clean[: args.warmup + args.clean + breakdown]):
            channel = place.channels[index % len(place.channels)]
            clean_events.append(
                await prepare(local, channel, place.established[author], localise(text, mentions, place))
            )
        warmup_events = clean_events[: args.warmup]
        timed_events = clean_events[args.warmup : args.warmup + args.clean]
        breakdown_events = clean_events[args.warmup + args.clean :]
        hold_posts: list[tuple[int, int, str]] = []
        newcomer_texts = iter(texts.clean[args.warmup + args.clean + breakdown :])
        link_texts = iter(texts.links)
        newcomers = iter(place.newcomers)
        for index in range(holds):
            channel = place.channels[index % len(place.channels)]
            if index % 2 == 0:
                text, _, mentions = next(newcomer_texts)
                user = next(newcomers)
            else:
                text, author, mentions = next(link_texts)
                user = place.established[author]
                if user not in place.regulars:  # moderators are exempt: give the post to a regular
                    user = place.regulars[index % len(place.regulars)]
            hold_posts.append((channel, user, localise(text, mentions, place)))

        with tempfile.TemporaryDirectory(prefix="gate-bench-") as folder, pointed_at(local):
            store = await Store.open(Path(folder) / "bench.sqlite3")
            try:
                community = Community(store, bundle)
                await community.set_moderation(place.guild, channel_id=place.mod_channel, role_id=place.mod_role)
                for user in place.established.values():
                    await community.update_member(place.guild, user, approved=ESTABLISHED_APPROVED)
                # The bot's own pacer, as `make run` builds it, unless --pacer-rate overrides its budget.
                pacer = GlobalPacer(rate=args.pacer_rate) if args.pacer_rate else None
                bot = ForumBridge(community=community, pacer=pacer, guild_ready_timeout=0.01)
                counter = ScreenCounter(bot.gate.screen)
                # The cog calls self.bot.gate.screen: an instance attribute on this Gate is what it finds.
                bot.gate.screen = counter  # type: ignore[method-assign]
                async with running(bot, local, timeout=10):
                    await clean_run(local, counter, warmup_events)
                    before = len(local.requests)
                    elapsed = await clean_run(local, counter, timed_events)
                    out["clean_msgs_per_s"] = len(timed_events) / elapsed
                    out["clean_messages"] = len(timed_events)
                    out["clean_seconds"] = elapsed
                    out["clean_rest_calls"] = len(local.requests) - before  # a clean message costs no REST call
                    if breakdown_events:
                        out.update(await breakdown_run(local, bot, counter, breakdown_events))
                    # Nothing clean may have been held: a check that the clean runs measured the allow path.
                    out["clean_held_items"] = len(await store.open_items(place.guild))
                    result = await hold_run(local, store, counter, place.mod_channel, hold_posts, args.rate, args.drain)
                    out["pacer_budget_per_s"] = bot.pacer.rate
                    out["pacer_waited"] = bot.pacer.waited
            finally:
                await store.close()
        out["server_errors"] = len(local.server_errors)
        out["unknown_routes"] = len(local.unknown_routes)
        out["deletes"] = sum(1 for rec in local.requests if rec.method == "DELETE" and rec.status != 429)
        out["discord_limits"] = "on" if limits is not None else "off"
    lat = result.latencies_ms
    out["holds_sent"] = holds
    out["holds_measured"] = len(lat) - result.unfinished
    out["holds_unfinished"] = result.unfinished
    out["holds_newcomer"] = newcomer_holds
    out["holds_link"] = holds - newcomer_holds
    out["cards_posted"] = result.cards
    out["cards_unmatched"] = result.unmatched
    if lat:
        out["hold_p50_ms"] = percentile(lat, 0.50)
        out["hold_p90_ms"] = percentile(lat, 0.90)
        out["hold_p99_ms"] = percentile(lat, 0.99)
        out["hold_max_ms"] = max(lat)
    if result.to_delete_ms:
        out["hold_to_delete_p50_ms"] = percentile(result.to_delete_ms, 0.50)
        out["hold_to_delete_p99_ms"] = percentile(result.to_delete_ms, 0.99)
    out["pace_lag_max_ms"] = result.lag_max_ms
    for kind, count in result.rest.items():
        out[f"hold_rest_{kind}"] = count
    requests = sum(result.rest.values())
    out["hold_rest_per_hold"] = requests / holds
    out["hold_rest_per_s"] = requests / result.rest_seconds if result.rest_seconds > 0 else 0.0
    out["clean_texts_dropped"] = texts.dropped
    out["cpus"] = os.cpu_count() or 0
    met = (
        out["clean_msgs_per_s"] >= CLEAN_TARGET_PER_S
        and bool(lat)
        and out["hold_p99_ms"] <= HOLD_P99_TARGET_MS
        and result.unmatched == 0
        and result.unfinished == 0
    )
    out["targets_met"] = "yes" if met else "no"
    return out


ORDER = (
    "clean_msgs_per_s",
    "hold_p50_ms",
    "hold_p99_ms",
    "hold_max_ms",
    "hold_p90_ms",
    "holds_measured",
    "holds_unfinished",
    "holds_sent",
    "holds_newcomer",
    "holds_link",
    "clean_messages",
    "clean_seconds",
    "cards_posted",
    "cards_unmatched",
    "deletes",
    "hold_to_delete_p50_ms",
    "hold_to_delete_p99_ms",
    "pace_lag_max_ms",
    "hold_rest_per_hold",
    "hold_rest_per_s",
    *(f"hold_rest_{kind}" for kind in REST_KINDS),
    "pacer_budget_per_s",
    "pacer_waited",
    "discord_limits",
    "gateway_frame_us",
    "discord_receive_us",
    "discord_inflate_json_us",
    "discord_parse_us",
    "discord_on_message_us",
    "gate_screen_us",
    "other_us",
    "breakdown_wall_us",
    "breakdown_msgs_per_s",
    "clean_rest_calls",
    "clean_held_items",
    "clean_texts_dropped",
    "server_errors",
    "unknown_routes",
    "cpus",
    "targets_met",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run the bench, print `name: value` lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clean", type=int, default=20_000, help="clean messages in the timed run")
    parser.add_argument("--holds", type=int, default=400, help="held messages in the paced stream")
    parser.add_argument("--rate", type=float, default=20.0, help="held messages per second")
    parser.add_argument("--warmup", type=int, default=1_000, help="clean messages sent before timing")
    parser.add_argument("--breakdown", type=int, default=5_000, help="clean messages in the timed breakdown (0: skip)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pacer-rate", type=int, default=0, help="the bot's REST budget per second (0: its default)")
    parser.add_argument("--discord-limits", action="store_true", help="the stand-in answers 429 like Discord")
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for holds after the last frame")
    args = parser.parse_args(argv)
    if args.clean < 1 or args.holds < 1 or args.rate <= 0:
        parser.error("--clean and --holds must be positive, --rate above 0")
    if min(args.warmup, args.breakdown, args.pacer_rate, args.drain) < 0:
        parser.error("--warmup, --breakdown, --pacer-rate and --drain must be 0 or more")
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    figures = asyncio.run(bench(args))
    for name in ORDER:
        if name in figures:
            value = figures[name]
            print(f"{name}: {value:.1f}" if isinstance(value, float) else f"{name}: {value}")
    return 0 if figures.get("server_errors") == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
