"""The pure planner's first half: the forum's category tree in, the channels Discord should have out.

`desired_tree` turns the forum's categories into the channels Discord should have (names,
topics, parents, order), with warnings for what Discord would refuse. No Discord, no network,
no database: frozen dataclasses in and out.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.mirror.model import ChannelKind, DisplayAs, ForumCategory

CHANNEL_NAME_LIMIT = 100
TOPIC_LIMIT = 1024
CATEGORY_CHANNEL_LIMIT = 50  # Discord's limit on channels in one category
GUILD_CHANNEL_LIMIT = 500  # Discord's limit on channels (categories included) in one server
ARCHIVE_NAME = "Archived"
PATH_SEPARATOR = " › "

_GROUPING = frozenset({DisplayAs.HEADING, DisplayAs.CATEGORIES})
_MIRRORABLE = frozenset({ChannelKind.CATEGORY, ChannelKind.TEXT, ChannelKind.FORUM})
# The two kinds of channel the mirror makes: members see one of each with the same name as a duplicate.
_OTHER_CHANNEL_KIND = {ChannelKind.TEXT: ChannelKind.FORUM, ChannelKind.FORUM: ChannelKind.TEXT}
_NOT_SLUG = re.compile(r"[^a-z0-9_-]+")
_HYPHENS = re.compile(r"-{2,}")
_BLOCK_TAG = re.compile(r"<\s*(?:br|/?p|/?div|/?li|/?ul|/?ol|/?h[1-6])\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


# --- the desired tree ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MirrorOptions:
    """Choices that shape the mirror: text or forum channels, and the archive category's name."""

    channel_kind: ChannelKind = ChannelKind.TEXT
    archive_name: str = ARCHIVE_NAME


@dataclass(frozen=True, slots=True)
class DesiredChannel:
    """A Discord category or channel the forum calls for."""

    forum_id: int
    kind: ChannelKind
    name: str
    topic: str  # always "" for a Discord category
    parent_forum_id: int | None  # the forum category whose Discord category holds it; None at the top
    path: tuple[str, ...]  # forum names from the top of the forum down to this category


@dataclass(frozen=True, slots=True)
class DesiredTree:
    """Every channel the forum calls for, in the forum's order, and what was odd about the source."""

    channels: tuple[DesiredChannel, ...]
    warnings: tuple[str, ...] = ()


def channel_slug(text: str) -> str:
    """Text as a Discord channel name: lowercase ASCII letters, digits, hyphens; at most 100 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = _HYPHENS.sub("-", _NOT_SLUG.sub("-", ascii_text)).strip("-_")
    return slug[:CHANNEL_NAME_LIMIT].rstrip("-_")


def category_name(name: str, forum_id: int) -> str:
    """A forum name as a Discord category name (one line, at most 100 characters)."""
    cleaned = _SPACE.sub(" ", name).strip()[:CHANNEL_NAME_LIMIT].rstrip()
    return cleaned or f"Category {forum_id}"


def plain_text(text: str) -> str:
    """A forum description without markup, on one line."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", text)))).strip()


def channel_topic(description: str, url: str, path: Sequence[str] = ()) -> str:
    """Description, forum path (for flattened categories) and link, within Discord's 1,024 characters."""
    where = f"Forum: {PATH_SEPARATOR.join(path)}" if path else ""
    text = plain_text(description)
    tail = "\n".join(part for part in (where, url) if part)
    if text and tail:
        room = TOPIC_LIMIT - len(tail) - 1
        if room < 2:
            text = ""  # the link matters more than the words
        elif len(text) > room:
            text = text[: room - 1].rstrip() + "…"
    topic = "\n".join(part for part in (text, tail) if part)
    if len(topic) > TOPIC_LIMIT:
        # Only a path or link longer than the limit itself gets here: keep the link whole if it fits.
        topic = url if url and len(url) <= TOPIC_LIMIT else topic[:TOPIC_LIMIT]
    return topic


def desired_tree(
    categories: Iterable[ForumCategory],
    options: MirrorOptions = MirrorOptions(),
    *,
    reserved_names: Iterable[str] = (),
    left_out: Iterable[str] = (),
) -> DesiredTree:
    """What Discord should hold for these forum categories, in the forum's order.

    ``left_out`` names the categories the source had but held back (private, archived), with why:
    they head the warnings, so the preview says what is not mirrored.
    """
    warnings: list[str] = [f"not mirrored: {line}" for line in left_out]
    by_id: dict[int, ForumCategory] = {}
    for category in categories:
        if category.id in by_id:
            warnings.append(f"forum category {category.id} is listed twice; the first one is used")
            continue
        by_id[category.id] = category
    children: defaultdict[int | None, list[ForumCategory]] = defaultdict(list)
    for category in by_id.values():
        parent = category.parent_id
        if parent is not None and (parent not in by_id or parent == category.id):
            warnings.append(
                f"«{category.name}» (forum {category.id}) has parent {parent}, which the forum did not list;"
                " it is placed at the top"
            )
            parent = None
        children[parent].append(category)
    for siblings in children.values():
        siblings.sort(key=lambda c: (c.order, c.id))

    # (category, kind, Discord parent, path, flattened), in depth-first forum order.
    placed: list[tuple[ForumCategory, ChannelKind, int | None, tuple[str, ...], bool]] = []
    visited: set[int] = set()
    stack: list[tuple[ForumCategory, int | None, tuple[str, ...]]] = [
        (category, None, ()) for category in reversed(children[None])
    ]
    while stack:
        node, discord_parent, ancestors = stack.pop()
        if node.id in visited:
            continue
        visited.add(node.id)
        path = (*ancestors, node.name)
        kids = children.get(node.id, [])
        groups = node.display_as in _GROUPING or (node.display_as is DisplayAs.FLAT and bool(kids))
        child_parent = discord_parent
        if groups and discord_parent is None:
            placed.append((node, ChannelKind.CATEGORY, None, path, False))
            child_parent = node.id
        elif not groups:
            placed.append((node, options.channel_kind, discord_parent, path, node.parent_id != discord_parent))
        # A grouping category below the top has no Discord counterpart (Discord has two levels):
        # its children join the Discord category above it, and its name lives on in their topics.
        stack.extend((kid, child_parent, path) for kid in reversed(kids))
    looped = sorted(set(by_id) - visited)
    if looped:
        warnings.append(f"forum categories {', '.join(map(str, looped))} are each other's parents; left out")

    names = _channel_names(
        [(node.id, node.urlcode, node.name) for node, kind, _, _, _ in placed if kind is not ChannelKind.CATEGORY],
        reserved=frozenset(reserved_names),
    )
    channels = tuple(
        DesiredChannel(
            forum_id=node.id,
            kind=kind,
            name=category_name(node.name, node.id) if kind is ChannelKind.CATEGORY else names[node.id],
            topic=""
            if kind is ChannelKind.CATEGORY
            else channel_topic(node.description, node.url, path if flattened else ()),
            parent_forum_id=parent,
            path=path,
        )
        for node, kind, parent, path, flattened in placed
    )
    warnings.extend(_limit_warnings(channels))
    return DesiredTree(channels, tuple(warnings))


def _channel_names(nodes: Sequence[tuple[int, str, str]], reserved: frozenset[str]) -> dict[int, str]:
    """Names unique among the mirrored channels: the oldest category (lowest id) keeps the plain one."""
    taken = set(reserved)
    names: dict[int, str] = {}
    wanted = {
        forum_id: channel_slug(urlcode) or channel_slug(name) or f"category-{forum_id}"
        for forum_id, urlcode, name in nodes
    }
    # Forum ids only grow, so a newcomer never takes a name from a channel that already has it.
    for forum_id in sorted(wanted):
        if wanted[forum_id] not in taken:
            names[forum_id] = wanted[forum_id]
            taken.add(wanted[forum_id])
    for forum_id in sorted(set(wanted) - set(names)):
        attempt = 1
        while True:
            suffix = f"-{forum_id}" if attempt == 1 else f"-{forum_id}-{attempt}"
            candidate = wanted[forum_id][: CHANNEL_NAME_LIMIT - len(suffix)].rstrip("-_") + suffix
            if candidate not in taken:
                break
            attempt += 1
        names[forum_id] = candidate
        taken.add(candidate)
    return names


def _limit_warnings(channels: Sequence[DesiredChannel]) -> list[str]:
    warnings = []
    per_parent: defaultdict[int, int] = defaultdict(int)
    for channel in channels:
        if channel.parent_forum_id is not None:
            per_parent[channel.parent_forum_id] += 1
    names = {channel.forum_id: channel.name for channel in channels}
    for parent, count in per_parent.items():
        if count > CATEGORY_CHANNEL_LIMIT:
            warnings.append(
                f"«{names.get(parent, parent)}» would hold {count} channels; Discord allows"
                f" {CATEGORY_CHANNEL_LIMIT} in a category, so the rest will fail"
            )
    if len(channels) > GUILD_CHANNEL_LIMIT:
        warnings.append(
            f"the forum calls for {len(channels)} channels; Discord allows {GUILD_CHANNEL_LIMIT} in a server"
        )
    return warnings
