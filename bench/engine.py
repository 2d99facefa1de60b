"""What the policy engine costs per message, next to what discord.py spends parsing it.

Run from the repository root::

    python bench/engine.py [--messages N] [--seed S] [--link-share F] [--repeat K]

One run generates a corpus of patient chat (``bench/corpus.py``; about 5% of messages carry
links or email addresses) and measures, on that corpus:

* ``clean_us`` and ``link_us``: the median cost of one ``Engine.evaluate`` call for a
  message without and with a link or email (the corpus's ground truth decides which);
* ``parse_us``: the median cost of discord.py building a ``discord.Message`` from the
  MESSAGE_CREATE payload of the same message, on a real ``ConnectionState`` whose cache
  holds the guild, the channel and the members (what ``Intents.all()`` and chunking give
  a running bot);
* ``clean_ratio`` and ``link_ratio``: the engine's cost as a share of the parse cost;
* ``mix_us`` and ``mix_ratio``: the cost of the realistic mix, 95% clean messages and 5% with
  links (``0.95 × clean_us + 0.05 × link_us``, whatever ``--link-share`` the corpus has), and
  its share of the parse cost.

The targets judged (``targets_met`` names each with its verdict) are clean ≤ 0.10 × parse and
the mix ≤ 0.18 × parse. The link-message target of the foundation issue (≤ 0.50 × parse) is
retired (issue #12): ``link_floor_us`` showed that CPython's own passes over the text cost about
that much, so ``link_us`` and ``link_ratio`` are printed as figures and not judged.

Extras (on the same corpus): ``link_first_sight_us``, a link message's cost the first time it
is seen (caches hold only the messages before it); ``link_ascii_us`` and ``link_non_ascii_us``;
and where a link message's time goes, each stage timed on its own: ``link_precheck_us``,
``link_scan_us`` (``link_normalize_us`` of it) and ``link_classify_us`` (the rest of evaluate);
``link_floor_us`` (and ``link_floor_ratio``, its share of ``parse_us``): the pre-check plus
the regular-expression and substring passes the scan makes over the text (``text_passes``),
with no judgement, classification or verdict: what no rearranging of the Python code
around those passes can go below.

Every figure is printed as ``name: value``; ``misclassified`` counts messages where the
engine's finding (any link or email) disagrees with the corpus label, and up to five are
shown on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gc
import json
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import discord  # noqa: E402
from discord.http import HTTPClient  # noqa: E402
from discord.state import ConnectionState  # noqa: E402

from bench.corpus import CHANNEL_ID, GUILD_ID, CorpusAuthor, CorpusMessage, author_pool, generate  # noqa: E402
from bot.policy import load_policy_file  # noqa: E402
from bot.rules import AuthorFacts, Engine, MessageFacts, Policy, Verdict, warm  # noqa: E402
from bot.rules.scan import LINK_HINT, find_links, may_contain_link, normalize  # noqa: E402
from bot.rules.scan_tables import (  # noqa: E402
    # (The underscored names are the scan's own searches, for link_floor_us only: see text_passes.)
    _DISCORD_TOKEN,
    _NEXT_CANDIDATE,
    _NEXT_DOT_CANDIDATE,
    _WHOLE_TOKEN,
)

if TYPE_CHECKING:
    from discord.types.guild import Guild as GuildPayload
    from discord.types.message import Message as MessagePayload
    from discord.types.user import User as UserPayload

CLEAN_TARGET = 0.10
MIX_TARGET = 0.18
# The realistic mix the MIX_TARGET is about: the forum's share of messages with a link or an email.
MIX_LINK_SHARE = 0.05
DISCORD_EPOCH_MS = 1_420_070_400_000
BOT_USER_ID = 1148290000000000001
MODERATOR_ROLE_ID = 1148290451276845200
MEMBER_ROLE_ID = 1148290451276845201
TRUSTED_ROLE_ID = 1148290451276845202
BOT_ROLE_ID = 1148290451276845203
CATEGORY_ID = 1148290452044402769
# 2025-03-01T12:00:00Z: where the corpus's message ids start.
CORPUS_START_MS = 1_740_830_400_000


# ---------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------


@contextmanager
def gc_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector out of the timed region.

    discord.py allocates dozens of container objects per message, so collections trigger
    every few messages; a gen-2 collection walks every live object (the corpus, 20,000+
    payloads, the guild cache) and costs milliseconds. Whichever batch it lands in gets
    that whole cost, which is noise about the heap, not a cost of that message. Reference
    counting still frees every message as soon as it is dropped. A running bot does pay
    for collections, mostly on discord.py's allocation-heavy side, so leaving them out
    makes parse_us smaller and the ratios, if anything, pessimistic.
    """
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def median_us(samples: Sequence[float]) -> float:
    return statistics.median(samples) / 1000.0


def p90_us(samples: Sequence[float]) -> float:
    return statistics.quantiles(samples, n=10)[-1] / 1000.0


# ---------------------------------------------------------------------------------------
# Discord: a real ConnectionState with a guild, a text channel and its members in cache
# ---------------------------------------------------------------------------------------


def snowflake(ms: int, increment: int) -> int:
    return ((ms - DISCORD_EPOCH_MS) << 22) | (1 << 17) | (increment & 0xFFF)


def user_payload(author: CorpusAuthor) -> dict[str, Any]:
    """A user object as the API sends it in a message's ``author`` (2025 shape)."""
    return {
        "id": str(author.user_id),
        "username": author.username,
        "global_name": author.global_name,
        "discriminator": "0",
        "avatar": author.avatar,
        "avatar_decoration_data": None,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "clan": None,
        "primary_guild": None,
        "collectibles": None,
        "display_name_styles": None,
    }


def role_ids(author: CorpusAuthor) -> list[str]:
    roles = [str(MEMBER_ROLE_ID)] if author.approved_posts > 0 else []
    if author.trusted:
        roles.append(str(TRUSTED_ROLE_ID))
    if author.is_moderator:
        roles.append(str(MODERATOR_ROLE_ID))
    return roles


def partial_member_payload(author: CorpusAuthor) -> dict[str, Any]:
    """The ``member`` object of MESSAGE_CREATE (a guild member without its ``user``)."""
    return {
        "roles": role_ids(author),
        "nick": None,
        "avatar": None,
        "banner": None,
        "joined_at": author.joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }


def message_payload(message: CorpusMessage, index: int, authors: dict[int, CorpusAuthor]) -> dict[str, Any]:
    """A MESSAGE_CREATE ``d`` for a message in a guild text channel, shaped as the gateway sends it.

    Replies (``message_reference`` plus a whole ``referenced_message``) are left out: they
    make discord.py's parse dearer, and parse_us is the denominator of the ratios.
    """
    author = authors[message.author_id]
    ms = CORPUS_START_MS + index * 7_300
    message_id = snowflake(ms, index)
    mentions = []
    for user_id in message.mention_ids:
        mentioned = authors[user_id]
        mentions.append({**user_payload(mentioned), "member": partial_member_payload(mentioned)})
    return {
        "type": 0,
        "tts": False,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}000+00:00",
        "pinned": False,
        "nonce": str(snowflake(ms - 150, index + 1)),
        "mentions": mentions,
        "mention_roles": [],
        "mention_everyone": False,
        "member": partial_member_payload(author),
        "id": str(message_id),
        "flags": 0,
        "embeds": [],
        "edited_timestamp": None,
        "content": message.text,
        "components": [],
        "channel_id": str(CHANNEL_ID),
        "author": user_payload(author),
        "attachments": [],
        "guild_id": str(GUILD_ID),
        "channel_type": 0,
    }


def role_payload(role_id: int, name: str, position: int, permissions: str, color: int = 0) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "color": color,
        "colors": {"primary_color": color, "secondary_color": None, "tertiary_color": None},
        "hoist": position > 0,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": permissions,
        "managed": name == "Forum Bridge",
        "mentionable": False,
        "flags": 0,
    }


def text_channel_payload(channel_id: int, name: str, position: int, topic: str | None) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(GUILD_ID),
        "name": name,
        "position": position,
        "parent_id": str(CATEGORY_ID),
        "topic": topic,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 5,
        "flags": 0,
        "permission_overwrites": [
            {"id": str(GUILD_ID), "type": 0, "allow": "0", "deny": "2048"},
            {"id": str(MEMBER_ROLE_ID), "type": 0, "allow": "2048", "deny": "0"},
        ],
    }


def guild_payload(authors: Sequence[CorpusAuthor], with_members: bool) -> dict[str, Any]:
    """GUILD_CREATE's ``d`` for the forum's server: roles, channels, emoji and (optionally) members."""
    bot = CorpusAuthor(BOT_USER_ID, "Forum Bridge", None, None, "2025-01-01T00:00:00.000000+00:00", False, True, 0)
    members = []
    if with_members:
        for author in (*authors, bot):
            member = partial_member_payload(author)
            member["user"] = user_payload(author)
            members.append(member)
        members[-1]["roles"] = [str(BOT_ROLE_ID)]
        members[-1]["user"]["bot"] = True
    channel_names = (
        ("welcome", "Read this first"),
        ("general-chat", "Patient chat: spine, neck and joints. No medical advice."),
        ("back-pain", None),
        ("neck-pain", None),
        ("arthritis", "Rheumatoid arthritis, osteoarthritis and friends"),
        ("surgery-and-recovery", None),
        ("mod-queue", "Held messages (Forum Bridge)"),
    )
    channels: list[dict[str, Any]] = [
        {"id": str(CATEGORY_ID), "type": 4, "guild_id": str(GUILD_ID), "name": "Community", "position": 0}
    ]
    for position, (name, topic) in enumerate(channel_names):
        channel_id = CHANNEL_ID if name == "general-chat" else CHANNEL_ID + 1000 + position
        channels.append(text_channel_payload(channel_id, name, position, topic))
    return {
        "id": str(GUILD_ID),
        "name": "Spine-health & Arthritis-health Community",
        "icon": "8342729096ea3675442027381ff50dfe",
        "description": "The Discord home of the Spine-health and Arthritis-health patient forums.",
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "features": ["COMMUNITY", "NEWS", "WELCOME_SCREEN_ENABLED", "MEMBER_VERIFICATION_GATE_ENABLED"],
        "owner_id": str(authors[7].user_id),
        "application_id": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_id": str(CHANNEL_ID + 1000),
        "system_channel_flags": 0,
        "rules_channel_id": str(CHANNEL_ID + 1000),
        "public_updates_channel_id": str(CHANNEL_ID + 1006),
        "safety_alerts_channel_id": None,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 2,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "mfa_level": 1,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "max_members": 500000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "vanity_url_code": None,
        "roles": [
            role_payload(GUILD_ID, "@everyone", 0, "2222085186637376"),
            role_payload(MEMBER_ROLE_ID, "Member", 1, "2251799813685247", 0x3498DB),
            role_payload(TRUSTED_ROLE_ID, "Trusted", 2, "2251799813685247", 0x2ECC71),
            role_payload(MODERATOR_ROLE_ID, "Moderator", 3, "1099780063246", 0xE67E22),
            role_payload(BOT_ROLE_ID, "Forum Bridge", 4, "1099780063246"),
        ],
        "emojis": [
            {
                "id": emoji_id,
                "name": name,
                "roles": [],
                "require_colons": True,
                "managed": False,
                "animated": animated,
                "available": True,
            }
            for emoji_id, name, animated in (
                ("1148301120446939177", "spinehug", False),
                ("1148301188348526653", "spoonie", False),
                ("1148301250612961280", "wave", True),
            )
        ],
        "stickers": [],
        "joined_at": "2025-01-01T00:00:00.000000+00:00",
        "large": False,
        "unavailable": False,
        "member_count": len(authors) + 1,
        "voice_states": [],
        "members": members,
        "channels": channels,
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def build_state(loop: asyncio.AbstractEventLoop, authors: Sequence[CorpusAuthor], with_members: bool) -> Any:
    """A logged-in ConnectionState with the forum's guild in cache; returns its #general-chat.

    Nothing is sent anywhere: the HTTP client has no session until it logs in, and
    dispatch is a no-op.
    """
    state = ConnectionState(
        dispatch=lambda *args, **kwargs: None,
        handlers={},
        hooks={},
        http=HTTPClient(loop),
        intents=discord.Intents.all(),
    )
    state.loop = loop
    # What parse_ready does with the READY payload's user.
    bot_user = user_payload(CorpusAuthor(BOT_USER_ID, "Forum Bridge", None, None, "", False, True, 0))
    bot_user.update(bot=True, verified=True, mfa_enabled=True)
    state.user = discord.ClientUser(state=state, data=cast("UserPayload", bot_user))
    state._users[state.user.id] = state.user  # type: ignore[assignment]  # as parse_ready does
    guild = discord.Guild(data=cast("GuildPayload", guild_payload(authors, with_members)), state=state)
    state._add_guild(guild)
    channel = guild.get_channel(CHANNEL_ID)
    if not isinstance(channel, discord.TextChannel):
        raise RuntimeError("the guild payload did not give a text channel")
    if with_members and len(guild.members) != len(authors) + 1:
        raise RuntimeError(f"expected {len(authors) + 1} cached members, got {len(guild.members)}")
    return channel


def payload_batch(payload: MessagePayload, k: int) -> list[MessagePayload]:
    """k payloads to parse: the same dict k times, or k copies when parsing may change it.

    Without a member in cache, discord.py pops ``member`` out of each entry of
    ``mentions``; a second parse of that dict would do less work than the first.
    """
    if payload["mentions"]:
        return [copy.deepcopy(payload) for _ in range(k)]
    return [payload] * k


def text_passes(text: str, hint_at: int) -> None:
    """The regular-expression and substring work a link message's scan cannot skip, and nothing else.

    What bot.rules.scan runs over the text, in the same order: normalize(), the removal of
    Discord's <…> tokens, then each search for the next candidate, the start of its token
    and the one match that reads a usual token whole. Nothing is judged or classified and no
    link is built. (Tokens are cut at spaces only, so a text with line breaks is read a
    little more cheaply than the scan reads it: a floor, not an estimate.)
    """
    normalized, obfuscated = normalize(text)
    if "<" in normalized:
        normalized = _DISCORD_TOKEN.sub(" ", normalized)
    as_written = hint_at and normalized is text and not obfuscated and text[:hint_at].isascii()
    end = 1 + normalized.rfind(" ", 0, hint_at) if as_written else 0
    # The scan's choice of candidate search (the dot-only one is faster).
    searchable = "@" in normalized or (":" in normalized and (":/" in normalized or ":\\" in normalized))
    next_candidate = _NEXT_CANDIDATE if searchable else _NEXT_DOT_CANDIDATE
    while (candidate := next_candidate(normalized, end)) is not None:
        position, end = candidate.span()
        start = 1 + normalized.rfind(" ", 0, position)
        _WHOLE_TOKEN(normalized, start, end)


# ---------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=20_000, help="corpus size (default 20000)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--link-share", type=float, default=0.05, help="share of messages with links (default 0.05)")
    parser.add_argument("--repeat", type=int, default=20, help="calls per timed batch (default 20)")
    args = parser.parse_args(argv)
    if args.messages < 1000 or args.repeat < 1:
        parser.error("--messages must be at least 1000 and --repeat at least 1")
    return args


def targets_met(judged: dict[str, tuple[float, float]]) -> str:
    """ "yes" or "no", then each target judged with its verdict; link_ratio is a figure, not a target."""
    verdicts = [(name, value <= limit, limit) for name, (value, limit) in judged.items()]
    met = "yes" if all(ok for _, ok, _ in verdicts) else "no"
    listed = ", ".join(f"{name} <= {limit:.2f} {'yes' if ok else 'no'}" for name, ok, limit in verdicts)
    return f"{met} ({listed}; link_ratio not judged)"


def emit(name: str, value: object) -> None:
    if isinstance(value, float):
        value = f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}"
    print(f"{name}: {value}", flush=True)


async def run(args: argparse.Namespace) -> int:
    loop = asyncio.get_running_loop()
    authors = author_pool(args.seed)
    by_id = {author.user_id: author for author in authors}
    corpus = generate(args.messages, seed=args.seed, link_share=args.link_share, authors=authors)

    bundle = load_policy_file()
    policy: Policy = bundle.policy
    engine = Engine(bundle.lists)
    warm()
    facts_of = {
        a.user_id: AuthorFacts(
            a.user_id, a.is_moderator, a.approved_posts, a.trusted, a.trusted and a.approved_posts > 100
        )
        for a in authors
    }
    cases = [(facts_of[m.author_id], MessageFacts(m.text, guild_id=GUILD_ID)) for m in corpus]
    payloads = cast("list[MessagePayload]", [message_payload(m, i, by_id) for i, m in enumerate(corpus)])
    channel = build_state(loop, authors, with_members=True)
    uncached_channel = build_state(loop, authors, with_members=False)
    k = args.repeat
    clock = time.perf_counter_ns
    evaluate = engine.evaluate
    message_class = discord.Message

    # Warm-up: one pass over the whole corpus through both the engine and discord.py, so
    # every cache (the engine's host classes, the Public Suffix List lookups, discord.py's
    # user cache, the interpreter's specialised bytecode) is in the steady state a bot
    # that has been running for a while is in. The first-sight engine cost of each link
    # message is kept as an extra figure (caches only hold the messages before it).
    first_link_ns: list[float] = []
    verdicts: list[Verdict] = []
    with gc_paused():
        for (author, facts), message in zip(cases, corpus, strict=True):
            start = clock()
            verdict = evaluate(author, facts, policy)
            elapsed = clock() - start
            verdicts.append(verdict)
            if message.has_link:
                first_link_ns.append(elapsed)
        for payload in payloads:
            message_class(state=channel._state, channel=channel, data=payload)
            for data in payload_batch(payload, 1):
                message_class(state=uncached_channel._state, channel=uncached_channel, data=data)

    # The timed pass: per message, a batch of k engine calls, then a batch of k parses of
    # its payload, each divided by k. Interleaving puts both medians in the same stretch of
    # time, so a busy neighbour on the machine moves both rather than skewing the ratio.
    engine_ns: list[float] = []
    parse_ns: list[float] = []
    reps = range(k)
    with gc_paused():
        for (author, facts), payload in zip(cases, payloads, strict=True):
            start = clock()
            for _ in reps:
                evaluate(author, facts, policy)
            engine_ns.append((clock() - start) / k)
            batch = payload_batch(payload, k)
            start = clock()
            for data in batch:
                message_class(state=channel._state, channel=channel, data=data)
            parse_ns.append((clock() - start) / k)

    # Extra: the same parse without the members in cache (no chunking, or the members
    # intent off): discord.py then builds a Member from the payload for every message.
    # Extras are timed on a sample of about 5,000 messages, to keep the run short.
    sample = range(0, len(payloads), max(1, len(payloads) // 5000))
    uncached_ns: list[float] = []
    with gc_paused():
        for index in sample:
            batch = payload_batch(payloads[index], k)
            start = clock()
            for data in batch:
                message_class(state=uncached_channel._state, channel=uncached_channel, data=data)
            uncached_ns.append((clock() - start) / k)

    # Extra: discord.py's whole handling of the event from the gateway's decoded text: JSON
    # decoding (orjson when installed, as with discord.py[speed]) and parse_message_create
    # (channel lookup, the Message, dispatch, the message cache). Still without zlib and
    # websocket framing.
    from_json = discord.utils._from_json
    on_message_create = channel._state.parsers["MESSAGE_CREATE"]
    event_ns: list[float] = []
    with gc_paused():
        for index in sample:
            raw = json.dumps({"op": 0, "t": "MESSAGE_CREATE", "s": index + 1, "d": payloads[index]})
            on_message_create(from_json(raw)["d"])
            start = clock()
            for _ in reps:
                on_message_create(from_json(raw)["d"])
            event_ns.append((clock() - start) / k)

    # Extra: throughput of one plain pass, in corpus order, with no timer per message.
    with gc_paused():
        start = clock()
        for author, facts in cases:
            evaluate(author, facts, policy)
        pass_ns = clock() - start

    # Extra: where a link-bearing message's cost goes. Per link message, a batch of k calls
    # of each stage on its own: the pre-check search, the normalisation, the whole scan as
    # the engine calls it (from the pre-check's match, normalisation included), and the
    # whole evaluate again in this pass; the rest (classifying each link, the verdict) is
    # evaluate minus pre-check minus scan, per message.
    link_cases = [(author, facts) for (author, facts), m in zip(cases, corpus, strict=True) if m.has_link]
    stage_ns: dict[str, list[float]] = {"precheck": [], "normalize": [], "scan": [], "rest": [], "floor": []}
    hint_search = LINK_HINT.search
    with gc_paused():
        for author, facts in link_cases:
            text = facts.text
            hint = hint_search(text)
            hint_at = hint.start() if hint is not None else 0
            start = clock()
            for _ in reps:
                hint_search(text)
            precheck = (clock() - start) / k
            start = clock()
            for _ in reps:
                normalize(text)
            stage_ns["normalize"].append((clock() - start) / k)
            start = clock()
            for _ in reps:
                find_links(text, (), text_precheck=hint is not None, text_hint_at=hint_at)
            scan_ns = (clock() - start) / k
            start = clock()
            for _ in reps:
                text_passes(text, hint_at)
            stage_ns["floor"].append(precheck + (clock() - start) / k)
            start = clock()
            for _ in reps:
                evaluate(author, facts, policy)
            whole_ns = (clock() - start) / k
            stage_ns["precheck"].append(precheck)
            stage_ns["scan"].append(scan_ns)
            stage_ns["rest"].append(whole_ns - precheck - scan_ns)

    # Extra: the loop and timer overhead inside each batch, per call.
    with gc_paused():
        empty = []
        for _ in range(2000):
            start = clock()
            for _ in reps:
                pass
            empty.append((clock() - start) / k)

    clean = [ns for ns, m in zip(engine_ns, corpus, strict=True) if not m.has_link]
    linked = [ns for ns, m in zip(engine_ns, corpus, strict=True) if m.has_link]
    prechecked = [may_contain_link(m.text) for m in corpus]
    clean_fast = [ns for ns, m, p in zip(engine_ns, corpus, prechecked, strict=True) if not m.has_link and not p]
    clean_slow = [ns for ns, m, p in zip(engine_ns, corpus, prechecked, strict=True) if not m.has_link and p]

    clean_us, link_us, parse_us = median_us(clean), median_us(linked), median_us(parse_ns)
    clean_ratio, link_ratio = clean_us / parse_us, link_us / parse_us
    mix_us = (1 - MIX_LINK_SHARE) * clean_us + MIX_LINK_SHARE * link_us
    mix_ratio = mix_us / parse_us

    misclassified = [(m, v) for m, v in zip(corpus, verdicts, strict=True) if bool(v.links or v.emails) != m.has_link]

    emit("python", sys.version.split()[0])
    emit("discord_py", discord.__version__)
    emit("corpus_messages", len(corpus))
    emit("link_messages", len(linked))
    emit("link_share", len(linked) / len(corpus))
    emit("repeat", k)
    emit("clean_us", clean_us)
    emit("link_us", link_us)
    emit("parse_us", parse_us)
    emit("clean_ratio", clean_ratio)
    emit("link_ratio", link_ratio)
    emit("mix_us", mix_us)
    emit("mix_ratio", mix_ratio)
    emit("targets_met", targets_met({"clean_ratio": (clean_ratio, CLEAN_TARGET), "mix_ratio": (mix_ratio, MIX_TARGET)}))
    emit("misclassified", len(misclassified))
    emit("clean_p90_us", p90_us(clean))
    emit("link_p90_us", p90_us(linked))
    emit("parse_p90_us", p90_us(parse_ns))
    emit("clean_precheck_pass_share", len(clean_fast) / len(clean))
    emit("clean_precheck_pass_us", median_us(clean_fast))
    emit("clean_full_scan_us", median_us(clean_slow))
    emit("link_first_sight_us", median_us(first_link_ns))
    ascii_linked = [ns for ns, m in zip(engine_ns, corpus, strict=True) if m.has_link and m.text.isascii()]
    other_linked = [ns for ns, m in zip(engine_ns, corpus, strict=True) if m.has_link and not m.text.isascii()]
    emit("link_ascii_share", len(ascii_linked) / len(linked))
    emit("link_ascii_us", median_us(ascii_linked))
    emit("link_non_ascii_us", median_us(other_linked))
    emit("link_precheck_us", median_us(stage_ns["precheck"]))
    emit("link_scan_us", median_us(stage_ns["scan"]))
    emit("link_normalize_us", median_us(stage_ns["normalize"]))
    emit("link_classify_us", median_us(stage_ns["rest"]))
    emit("link_floor_us", median_us(stage_ns["floor"]))
    emit("link_floor_ratio", median_us(stage_ns["floor"]) / parse_us)
    emit("parse_uncached_members_us", median_us(uncached_ns))
    emit("gateway_event_us", median_us(event_ns))
    emit("engine_pass_mean_us", pass_ns / len(cases) / 1000)
    emit("engine_messages_per_s", round(len(cases) / (pass_ns / 1e9)))
    emit("batch_overhead_ns_per_call", statistics.median(empty))

    for message, verdict in misclassified[:5]:
        found = [link.url for link in verdict.links] + list(verdict.emails)
        print(
            f"misclassified: has_link={message.has_link} kinds={list(message.link_kinds)} "
            f"engine_found={found!r} text={message.text!r}",
            file=sys.stderr,
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
