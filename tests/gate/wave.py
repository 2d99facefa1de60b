"""A spam wave against the rate-limited LocalDiscord: the scene the wave test and bench/wave.py share.

200 held messages (links, from brand-new accounts) from 20 accounts over 8 channels in 10
seconds, sent over the gateway at an even pace to the real bot, which talks to a LocalDiscord
with Discord's rate limits (the global 50/s, per-channel buckets, Discord-shaped 429s).
What the wave left behind is read back from the stand-in's world and request log and from
the bot's store: `audit()` says what was removed, stored, carded, lost and sent twice.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.store import Store
from tests.localdiscord import LocalDiscord

WAVE_MESSAGES = 200
WAVE_ACCOUNTS = 20
WAVE_CHANNELS = 8
WAVE_SECONDS = 10.0
_ITEM_FOOTER = re.compile(r"Item #(\d+)\Z")
_GROUP_FOOTER = re.compile(r"Group #\d+ · items (.*)\Z")
_TEXTS = (
    "Best prices on meds, no prescription needed: cheap-pills.net/offer/{n}",
    "Lose weight fast!!! cheap-pills.net/slim?ref={n}",
    "Pain relief that works, order today: cheap-pills.net/relief/{n}",
    "Free trial for forum members only: pills-now.shop/free/{n}",
)
BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    read_message_history=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    manage_messages=True,
    manage_webhooks=True,
    moderate_members=True,
)
UNSETTLED = ("waiting", "queued", "sending")


@dataclass
class WavePlace:
    """The guild of the wave: its channels, the moderator channel, a moderator and the spam accounts."""

    local: LocalDiscord
    guild: int
    channels: list[int]
    mod_channel: int
    mod_role: int
    mod: int
    accounts: list[int]


def build_wave_place(local: LocalDiscord) -> WavePlace:
    """A guild with 8 text channels, a private moderator channel, a moderator and 20 brand-new accounts."""
    guild = local.add_guild("Spine & Arthritis Community", bot_permissions=BOT_PERMISSIONS.value)
    mod_role = local.add_role(guild, "Moderators", discord.Permissions(manage_messages=True))
    channels = [local.add_channel(guild, f"channel-{n}") for n in range(WAVE_CHANNELS)]
    hidden = discord.PermissionOverwrite(view_channel=False)
    shown = discord.PermissionOverwrite(view_channel=True)
    mod_channel = local.add_channel(
        guild, "mod-queue", permission_overwrites={guild: hidden, local.bot_user_id: shown, mod_role: shown}
    )
    mod = local.add_member(guild, local.add_user("maria_mod", global_name="Maria"), roles=[mod_role])
    accounts = [local.add_member(guild, local.add_user(f"deals{n:02d}")) for n in range(WAVE_ACCOUNTS)]
    return WavePlace(local, guild, channels, mod_channel, mod_role, mod, accounts)


@dataclass
class SentMessage:
    """One message of the wave."""

    id: int
    channel: int
    author: int


async def send_wave(
    place: WavePlace, *, messages: int = WAVE_MESSAGES, seconds: float = WAVE_SECONDS
) -> tuple[float, list[SentMessage]]:
    """Send the wave at an even pace (absolute deadlines, no drift); returns its start (perf_counter) and messages."""
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    start = loop.time()
    sent: list[SentMessage] = []
    for n in range(messages):
        delay = start + n * seconds / messages - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        author = place.accounts[n % len(place.accounts)]
        channel = place.channels[(n // len(place.accounts) + n) % len(place.channels)]
        said = await place.local.member_says(place.guild, channel, author, _TEXTS[n % len(_TEXTS)].format(n=n))
        sent.append(SentMessage(int(said["id"]), channel, author))
    return started, sent


def removal_times(local: LocalDiscord, wave: list[SentMessage]) -> dict[int, float]:
    """When each original was removed (the answer to its delete or bulk delete, perf_counter)."""
    wanted = {message.id for message in wave}
    removed: dict[int, float] = {}
    for request in local.requests:
        if request.status not in (200, 204) or request.answered_at is None:
            continue
        if request.method == "DELETE" and re.fullmatch(r"/channels/\d+/messages/\d+", request.path):
            ids = [int(request.path.rsplit("/", 1)[1])]
        elif request.method == "POST" and request.path.endswith("/messages/bulk-delete") and request.json:
            ids = [int(message_id) for message_id in request.json.get("messages", [])]
        else:
            continue
        for message_id in ids:
            if message_id in wanted and message_id not in removed:
                removed[message_id] = request.answered_at
    return removed


async def outbox_settled(store: Store) -> bool:
    """True when no outbox row waits or is on its way."""
    counts = await store.outbox.counts()
    return not any(counts.get(state) for state in UNSETTLED)


async def wait_for(check: Any, *, timeout: float, poll: float = 0.05) -> bool:  # noqa: ASYNC109
    """Poll an async or plain check until it is true; False at the timeout."""
    deadline = time.perf_counter() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return True
        if time.perf_counter() >= deadline:
            return False
        await asyncio.sleep(poll)


@dataclass
class WaveAudit:
    """What the wave left behind."""

    removed: int = 0
    stored: int = 0
    cards_posted: int = 0
    grouped_cards: int = 0
    reachable: int = 0
    duplicates_sent: int = 0
    unreachable_ids: list[int] = field(default_factory=list)
    hold_dms: int = 0
    outbox: dict[str, int] = field(default_factory=dict)

    @property
    def items_lost(self) -> int:
        """Messages of the wave not stored, or stored but on no card."""
        return WAVE_MESSAGES - min(self.stored, self.reachable)


def _card_items(payload: dict[str, Any]) -> set[int] | None:
    for embed in payload.get("embeds") or []:
        footer = (embed.get("footer") or {}).get("text") or ""
        single = _ITEM_FOOTER.match(footer)
        if single:
            return {int(single.group(1))}
        group = _GROUP_FOOTER.match(footer)
        if group:
            return {int(part.strip().lstrip("#")) for part in group.group(1).split(",") if part.strip()}
    return None


async def audit(place: WavePlace, store: Store, wave: list[SentMessage]) -> WaveAudit:
    """Count what was removed, stored, carded, lost and sent twice."""
    local = place.local
    result = WaveAudit()
    present = {m.id for channel in place.channels for m in local.messages_in(channel)}
    result.removed = sum(1 for message in wave if message.id not in present)
    items = {}
    for message in wave:
        item = await store.items.by_message(message.id)
        if item is not None:
            items[item.id] = item
    result.stored = len(items)
    cards_for: Counter[int] = Counter()
    card_ids: dict[int, set[int]] = {}
    for stored in local.messages_in(place.mod_channel):
        if stored.author_id != local.bot_user_id:
            continue
        covered = _card_items(stored.payload)
        if covered is None:
            continue
        result.cards_posted += 1
        result.grouped_cards += len(covered) > 1 or "Group #" in str(stored.payload.get("embeds"))
        card_ids[stored.id] = covered
        cards_for.update(covered)
    for item in items.values():
        on_card = item.card_message_id is not None and item.id in card_ids.get(item.card_message_id, set())
        if on_card:
            result.reachable += 1
        else:
            result.unreachable_ids.append(item.id)
    # Sent twice: an item on two cards, a nonce used for two messages, the same DM twice to one member.
    result.duplicates_sent = sum(count - 1 for count in cards_for.values() if count > 1)
    nonces: Counter[str] = Counter()
    dm_texts: Counter[tuple[int, str]] = Counter()
    for channel_id, messages in local.world.messages.items():
        for stored in messages.values():
            if stored.author_id != local.bot_user_id:
                continue
            if stored.payload.get("nonce") is not None:
                nonces[str(stored.payload["nonce"])] += 1
            if local.world.channel(channel_id).guild_id is None:
                dm_texts[(channel_id, stored.content)] += 1
                result.hold_dms += "waiting for a moderator" in stored.content
    result.duplicates_sent += sum(count - 1 for count in nonces.values() if count > 1)
    result.duplicates_sent += sum(count - 1 for count in dm_texts.values() if count > 1)
    result.outbox = await store.outbox.counts()
    return result
