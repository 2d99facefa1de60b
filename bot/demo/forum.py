"""The demo server's channel map: the forum's categories, from data/forum.toml or a built-in list.

Only the keys the demo needs are read (id, name, urlcode, parent, and whether a category holds
discussions), so the demo keeps working while the mirror's file format grows. The simulated
server is laid out by `seed_channels`, the one place to swap for the mirror's planner and
executor once they exist.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.policy import DATA_DIR

if TYPE_CHECKING:
    from simcord import ChannelHandle, GuildHandle

FORUM_FILE = DATA_DIR / "forum.toml"
CHANNEL_NAME_LIMIT = 100

# How Vanilla says what a category shows: a heading or a list of categories holds no posts.
_CONTAINER_KINDS = frozenset({"heading", "categories"})
_DISCUSSION_KINDS = frozenset({"discussions"})
_FLAT = "flat"  # a container when it has children, else a list of discussions
_KIND_KEYS = ("display_as", "displayAs", "display", "kind", "type")


class ForumFileError(ValueError):
    """The forum file cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class ForumCategory:
    """One forum category, as much of it as the demo needs."""

    id: int
    name: str
    urlcode: str
    parent: int | None = None
    holds_discussions: bool = True
    order: int = 0


@dataclass(frozen=True, slots=True)
class CategorySource:
    """The categories to seed, and a line saying where they came from."""

    categories: tuple[ForumCategory, ...]
    description: str


@dataclass(slots=True)
class SeededForum:
    """The channels made for the forum's categories, by forum category id, in the forum's order."""

    channels: dict[int, ChannelHandle] = field(default_factory=dict)
    groups: list[tuple[str | None, list[ChannelHandle]]] = field(default_factory=list)
    urlcodes: dict[int, str] = field(default_factory=dict)


def _heading(id_: int, name: str, urlcode: str) -> ForumCategory:
    return ForumCategory(id_, name, urlcode, None, holds_discussions=False)


# A few of the spine and arthritis forum's categories, used when data/forum.toml is absent.
FALLBACK_CATEGORIES: tuple[ForumCategory, ...] = (
    _heading(1, "Spine", "spine"),
    ForumCategory(10, "Back Surgery and Neck Surgery", "back-surgery-and-neck-surgery", 1),
    ForumCategory(11, "Lumbar Fusion", "lumbar-fusion", 1),
    ForumCategory(12, "Lower Back Pain", "lower-back-pain", 1),
    ForumCategory(13, "Neck Pain", "neck-pain", 1),
    _heading(2, "Arthritis", "arthritis"),
    ForumCategory(20, "Rheumatoid Arthritis", "rheumatoid-arthritis", 2),
    ForumCategory(21, "Osteoarthritis", "osteoarthritis", 2),
    ForumCategory(22, "Ankylosing Spondylitis", "ankylosing-spondylitis", 2),
    _heading(3, "Community", "community"),
    ForumCategory(30, "Introductions", "introductions", 3),
    ForumCategory(31, "Exercise and Physical Therapy", "exercise-and-physical-therapy", 3),
)


def load_categories(path: Path = FORUM_FILE) -> CategorySource:
    """The forum file's categories when it exists and parses, else the built-in list (saying why)."""
    shown = f"data/{path.name}" if path.parent == DATA_DIR else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return CategorySource(FALLBACK_CATEGORIES, f"the built-in category list ({shown} not found)")
    except OSError as exc:
        return CategorySource(FALLBACK_CATEGORIES, f"the built-in category list ({shown}: {exc.strerror})")
    try:
        categories = parse_categories(text)
    except ForumFileError as exc:
        return CategorySource(FALLBACK_CATEGORIES, f"the built-in category list ({shown}: {exc})")
    return CategorySource(categories, shown)


def parse_categories(text: str) -> tuple[ForumCategory, ...]:
    """Categories from the forum file's text; raise ForumFileError when there are none to use."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ForumFileError(f"not valid TOML ({exc})") from exc
    entries: Any = raw.get("categories", raw.get("category"))
    if isinstance(entries, dict):
        entries = list(entries.values())  # tables keyed by slug, [categories.back-surgery]
    if not isinstance(entries, list) or not entries:
        raise ForumFileError("no [[categories]] entries")
    rows = [entry for entry in entries if isinstance(entry, dict)]
    by_urlcode: dict[str, int] = {}
    parsed: list[tuple[int, str, str, Any, bool | str | None, int]] = []
    for index, row in enumerate(rows, start=1):
        category_id = _as_id(row.get("id"))
        name = row.get("name")
        if category_id is None or not isinstance(name, str) or not name.strip():
            continue  # a row without an id or a name cannot be mapped: skip it, keep the rest
        urlcode = row.get("urlcode")
        urlcode = urlcode if isinstance(urlcode, str) and urlcode.strip() else name
        by_urlcode[urlcode] = category_id
        order = row.get("order")
        order = order if isinstance(order, int) and not isinstance(order, bool) else index
        parsed.append((category_id, name.strip(), urlcode.strip(), row.get("parent"), _kind(row), order))
    if not parsed:
        raise ForumFileError("no category has both an id and a name")
    ids = {row[0] for row in parsed}
    parents: dict[int, int | None] = {}
    for category_id, _, _, parent, _, _ in parsed:
        parent_id = _as_id(parent)
        if parent_id is None and isinstance(parent, str):
            parent_id = by_urlcode.get(parent)
        parents[category_id] = parent_id if parent_id in ids and parent_id != category_id else None
    has_children = {parent for parent in parents.values() if parent is not None}
    # A file that says what categories show means "discussions" when it says nothing (as the mirror
    # reads it); a file that never says is read by its shape: a category others sit under is a heading.
    says_kind = any(row[4] is not None for row in parsed)
    categories = tuple(
        ForumCategory(
            category_id,
            name,
            urlcode,
            parents[category_id],
            holds_discussions=(
                category_id not in has_children
                if kind == _FLAT or (kind is None and not says_kind)
                else kind is not False
            ),
            order=order,
        )
        for category_id, name, urlcode, _, kind, order in parsed
    )
    if not any(category.holds_discussions for category in categories):
        raise ForumFileError("no category holds discussions")
    return categories


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value)
        return number if number > 0 else None
    return None


def _kind(row: dict[str, Any]) -> bool | str | None:
    """True for discussions, False for a container, "flat" for either, None when the row does not say."""
    for key in _KIND_KEYS:
        value = row.get(key)
        if isinstance(value, str):
            kind = value.strip().lower()
            if kind in _CONTAINER_KINDS:
                return False
            if kind in _DISCUSSION_KINDS:
                return True
            if kind == _FLAT:
                return _FLAT
    for key in ("holds_discussions", "discussions"):
        value = row.get(key)
        if isinstance(value, bool):
            return value
    return None


def channel_name(text: str, taken: Iterable[str] = ()) -> str:
    """A valid Discord text-channel name for a forum urlcode, unique among `taken`."""
    base = re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-")[:CHANNEL_NAME_LIMIT] or "category"
    used = set(taken)
    name, number = base, 2
    while name in used:
        suffix = f"-{number}"
        name = base[: CHANNEL_NAME_LIMIT - len(suffix)] + suffix
        number += 1
    return name


def layout(
    categories: Sequence[ForumCategory], reserved: Iterable[str] = ()
) -> list[tuple[str | None, list[tuple[ForumCategory, str]]]]:
    """Discord's two levels for the forum tree, as the mirror lays it out: channels under top-level headings."""
    by_id = {category.id: category for category in categories}
    children: dict[int | None, list[ForumCategory]] = {}
    for category in by_id.values():
        parent = category.parent if category.parent in by_id and category.parent != category.id else None
        children.setdefault(parent, []).append(category)
    for siblings in children.values():
        siblings.sort(key=lambda c: (c.order, c.id))
    taken = set(reserved)
    groups: dict[int | None, list[tuple[ForumCategory, str]]] = {}
    visited: set[int] = set()
    stack: list[tuple[ForumCategory, int | None]] = [(root, None) for root in reversed(children.get(None, []))]
    while stack:
        node, heading = stack.pop()
        if node.id in visited:
            continue
        visited.add(node.id)
        below = heading
        if not node.holds_discussions:
            # A heading below the top has no Discord counterpart: its channels join the one above.
            below = node.id if heading is None else heading
            groups.setdefault(below, [])
        else:
            name = channel_name(node.urlcode, taken)
            taken.add(name)
            groups.setdefault(heading, []).append((node, name))
        stack.extend((kid, below) for kid in reversed(children.get(node.id, [])))
    return [(by_id[key].name[:100] if key is not None else None, members) for key, members in groups.items() if members]


def seed_channels(
    guild: GuildHandle, categories: Sequence[ForumCategory], *, reserved: Iterable[str] = ()
) -> SeededForum:
    """Create the forum's channels in the simulated server: a Discord category per heading, a text channel each."""
    seeded = SeededForum()
    for heading, members in layout(categories, reserved):
        parent = guild.create_category(heading) if heading is not None else None
        handles = []
        for category, name in members:
            handle = guild.create_text_channel(name, category=parent)
            seeded.channels[category.id] = handle
            seeded.urlcodes[category.id] = category.urlcode
            handles.append(handle)
        seeded.groups.append((heading, handles))
    return seeded
