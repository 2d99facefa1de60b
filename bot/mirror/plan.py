"""The pure planner: the forum's category tree in, the Discord changes that mirror it out.

`desired_tree` turns the forum's categories into the channels Discord should have (names,
topics, parents, order); `plan_mirror` diffs that against the stored mapping and the guild's
channels and returns ordered actions, each one Discord call. No Discord, no network, no
database: frozen dataclasses in and out.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.mirror.model import ChannelKind, DisplayAs, ExistingChannel, ForumCategory, GuildView, MirrorRecord

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


# --- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Adopt:
    """Record an existing channel with the right name as the category's (no Discord call)."""

    forum_id: int
    channel_id: int
    kind: ChannelKind
    name: str


@dataclass(frozen=True, slots=True)
class AdoptArchive:
    """Record an existing category named like the archive as the archive (no Discord call)."""

    channel_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Retire:
    """Mark a mapping archived whose category left the forum and whose channel is gone (no call)."""

    forum_id: int
    channel_id: int
    kind: ChannelKind


Bookkeeping = Adopt | AdoptArchive | Retire


@dataclass(frozen=True, slots=True)
class CreateArchive:
    """Create the Discord category that archived channels move to."""

    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Create:
    """Create a Discord category or channel for a forum category."""

    forum_id: int
    kind: ChannelKind
    name: str
    topic: str
    parent_forum_id: int | None
    position: int
    replaces: int | None = None  # the channel the mapping named, deleted by hand


@dataclass(frozen=True, slots=True)
class Update:
    """Rename, set the topic of, move and/or restore one channel, in one edit.

    One edit, not one each: Discord allows two name or topic changes per channel every ten
    minutes, so a forum rename (name, urlcode and link all change) must be a single call.
    """

    forum_id: int
    channel_id: int
    kind: ChannelKind
    name: str  # as it is now
    new_name: str | None = None
    new_topic: str | None = None
    move: bool = False
    parent_forum_id: int | None = None  # where it moves to (None: the top), when move is set
    restore: bool = False  # back from the archive: members may write again


@dataclass(frozen=True, slots=True)
class Placement:
    """A channel's new position among its siblings."""

    forum_id: int
    channel_id: int
    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Reorder:
    """Set the positions of some siblings, in one call, so they follow the forum's order."""

    parent_forum_id: int | None
    categories: bool  # the top-level categories, rather than channels
    placements: tuple[Placement, ...]


@dataclass(frozen=True, slots=True)
class Archive:
    """Move a channel to the archive and make it read-only for members (a category: read-only)."""

    forum_id: int
    channel_id: int
    kind: ChannelKind
    name: str


Action = CreateArchive | Create | Update | Reorder | Archive


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do, in order: bookkeeping (no calls) first, then actions (one Discord call each)."""

    bookkeeping: tuple[Bookkeeping, ...]
    actions: tuple[Action, ...]
    warnings: tuple[str, ...] = ()
    desired: tuple[DesiredChannel, ...] = ()

    @property
    def changes(self) -> int:
        """How many Discord calls applying the plan makes."""
        return len(self.actions)

    @property
    def is_empty(self) -> bool:
        """True when Discord and the mapping already match the forum."""
        return not self.actions and not self.bookkeeping


def _match_key(kind: ChannelKind, name: str) -> str:
    # Discord shows category names in capitals, so "Arthritis" and "ARTHRITIS" look the same there.
    return name.casefold() if kind is ChannelKind.CATEGORY else name


def _sort_key(channel: ExistingChannel) -> tuple[int, int]:
    # Discord orders siblings by position, then by id (older first).
    return channel.position, channel.id


def plan_mirror(
    tree: DesiredTree,
    records: Sequence[MirrorRecord],
    guild: GuildView,
    options: MirrorOptions = MirrorOptions(),
) -> Plan:
    """The ordered changes that make the guild mirror the forum, given what was mirrored before."""
    desired = tree.channels
    warnings = list(tree.warnings)
    channels = {c.id: c for c in guild.channels if c.id != guild.moderator_channel_id}
    by_forum = {record.forum_id: record for record in records}
    claimed = {record.channel_id for record in records}
    bookkeeping: list[Bookkeeping] = []
    archives: list[Archive] = []

    archive_id = guild.archive_category_id
    archive = channels.get(archive_id) if archive_id is not None else None
    if archive is None or archive.kind is not ChannelKind.CATEGORY:
        archive_id = None
    else:
        claimed.add(archive.id)

    # 1. What the mapping already knows.
    resolved: dict[int, ExistingChannel] = {}
    restoring: set[int] = set()
    replaced: dict[int, int] = {}
    for want in desired:
        record = by_forum.get(want.forum_id)
        if record is None:
            continue
        current = channels.get(record.channel_id)
        if current is None:
            if record.channel_id == guild.moderator_channel_id:
                warnings.append(
                    f"#{want.name} is now the moderator channel; the mirror leaves it alone and makes a new one"
                )
            replaced[want.forum_id] = record.channel_id
        elif current.kind is not want.kind:
            if not record.archived:
                archives.append(Archive(record.forum_id, current.id, current.kind, current.name))
            warnings.append(f"«{want.path[-1]}» is now a {want.kind}: its {current.kind} {current.name} is archived")
        else:
            resolved[want.forum_id] = current
            if record.archived:
                restoring.add(want.forum_id)

    # 2. Adopt channels that already have the right name, so nothing is duplicated.
    candidates: defaultdict[tuple[ChannelKind, str], list[ExistingChannel]] = defaultdict(list)
    for channel in sorted(channels.values(), key=_sort_key):
        if channel.id not in claimed and channel.kind in _MIRRORABLE:
            candidates[(channel.kind, _match_key(channel.kind, channel.name))].append(channel)
    blocked: set[int] = set()
    for want in desired:
        if want.forum_id in resolved:
            continue
        found = candidates.get((want.kind, _match_key(want.kind, want.name)))
        if not found:
            other = _OTHER_CHANNEL_KIND.get(want.kind)
            clash = candidates.get((other, want.name)) if other is not None else None
            if clash:
                # Adopting it would not last (a record of the wrong kind is archived on the next apply),
                # and a second channel of the same name beside it is a duplicate to members.
                blocked.add(want.forum_id)
                warnings.append(
                    f"#{want.name} already exists as a {other} channel, and the mirror makes {want.kind} channels:"
                    f" «{want.path[-1]}» is not mirrored until one of them is renamed (or"
                    f" FORUM_BRIDGE_MIRROR_CHANNELS is set to {other})"
                )
            continue
        parent = resolved.get(want.parent_forum_id) if want.parent_forum_id is not None else None
        parent_id = parent.id if parent is not None else None
        pick = next((c for c in found if c.parent_id == parent_id), found[0])
        found.remove(pick)
        resolved[want.forum_id] = pick
        replaced.pop(want.forum_id, None)
        bookkeeping.append(Adopt(want.forum_id, pick.id, want.kind, pick.name))

    # 3. Categories gone from the forum are archived, never deleted.
    wanted_ids = {want.forum_id for want in desired}
    leaving = [r for r in records if r.forum_id not in wanted_ids and not r.archived]
    if leaving and not desired:
        warnings.append("the forum source lists no categories at all; nothing is archived on its word")
        leaving = []
    for record in leaving:
        current = channels.get(record.channel_id)
        if current is None:
            bookkeeping.append(Retire(record.forum_id, record.channel_id, record.kind))
        else:
            archives.append(Archive(record.forum_id, current.id, current.kind, current.name))

    create_archive: list[CreateArchive] = []
    if archive_id is None and any(a.kind is not ChannelKind.CATEGORY for a in archives):
        existing_archive = next(
            (
                c
                for c in candidates.get((ChannelKind.CATEGORY, _match_key(ChannelKind.CATEGORY, options.archive_name)))
                or ()
            ),
            None,
        )
        if existing_archive is not None:
            bookkeeping.append(AdoptArchive(existing_archive.id, existing_archive.name))
        else:
            last = max((c.position for c in channels.values() if c.kind is ChannelKind.CATEGORY), default=-1)
            create_archive.append(CreateArchive(options.archive_name, last + 1))

    # 4. Creations and edits, then positions.
    create_at, reorders = _placements(desired, resolved)
    new_categories: list[Create] = []
    new_channels: list[Create] = []
    updates: list[Update] = []
    for want in desired:
        current = resolved.get(want.forum_id)
        if want.forum_id in blocked:
            continue
        if current is None:
            create = Create(
                want.forum_id,
                want.kind,
                want.name,
                want.topic,
                want.parent_forum_id,
                create_at[want.forum_id],
                replaces=replaced.get(want.forum_id),
            )
            (new_categories if want.kind is ChannelKind.CATEGORY else new_channels).append(create)
            continue
        update = _update(want, current, resolved, restore=want.forum_id in restoring)
        if update is not None:
            updates.append(update)

    actions: list[Action] = [*create_archive, *new_categories, *archives, *updates, *new_channels, *reorders]
    made = len(create_archive) + len(new_categories) + len(new_channels)
    warnings.extend(_guild_limit_warnings(guild, archive_id, archives, made))
    return Plan(tuple(bookkeeping), tuple(actions), tuple(warnings), desired)


def _guild_limit_warnings(
    guild: GuildView, archive_id: int | None, archives: Sequence[Archive], made: int
) -> list[str]:
    """Discord's limits, counted against this guild: what an apply would run into."""
    warnings = []
    total = len(guild.channels) + made
    if made and total > GUILD_CHANNEL_LIMIT:
        warnings.append(
            f"the server would have {total} channels; Discord allows {GUILD_CHANNEL_LIMIT}, so some creations will fail"
        )
    moving = sum(1 for archive in archives if archive.kind is not ChannelKind.CATEGORY)
    archived = sum(1 for c in guild.channels if archive_id is not None and c.parent_id == archive_id)
    if moving and archived + moving > CATEGORY_CHANNEL_LIMIT:
        warnings.append(
            f"the archive would hold {archived + moving} channels; Discord allows {CATEGORY_CHANNEL_LIMIT} in a"
            " category, so some archive moves will fail (move a few archived channels elsewhere by hand)"
        )
    return warnings


def _update(
    want: DesiredChannel, current: ExistingChannel, resolved: dict[int, ExistingChannel], *, restore: bool
) -> Update | None:
    new_name = want.name if current.name != want.name else None
    new_topic = want.topic if want.kind is not ChannelKind.CATEGORY and current.topic != want.topic else None
    if want.parent_forum_id is None:
        move = current.parent_id is not None
    else:
        parent = resolved.get(want.parent_forum_id)
        # A parent still to be created cannot hold the channel yet: it moves there after creation.
        move = parent is None or current.parent_id != parent.id
    if new_name is None and new_topic is None and not move and not restore:
        return None
    return Update(
        want.forum_id,
        current.id,
        want.kind,
        current.name,
        new_name=new_name,
        new_topic=new_topic,
        move=move,
        parent_forum_id=want.parent_forum_id,
        restore=restore,
    )


def _placements(
    desired: Sequence[DesiredChannel], resolved: dict[int, ExistingChannel]
) -> tuple[dict[int, int], list[Reorder]]:
    """Positions for new channels, and reorders for existing ones, so each group follows the forum.

    Only the mirrored channels' order among themselves matters; channels the mirror does not
    own may sit anywhere between them. When the existing ones are already in order and every
    new one fits between its neighbours, nothing existing moves; otherwise the group is
    renumbered 0, 1, 2… in one call.
    """
    groups: dict[tuple[int | None, bool], list[DesiredChannel]] = {}
    for want in desired:
        groups.setdefault((want.parent_forum_id, want.kind is ChannelKind.CATEGORY), []).append(want)
    create_at: dict[int, int] = {}
    reorders: list[Reorder] = []
    for (parent, is_category), members in groups.items():
        present = [resolved[m.forum_id] for m in members if m.forum_id in resolved]
        slots = _slot_new(members, resolved) if sorted(present, key=_sort_key) == present else None
        if slots is not None:
            create_at.update(slots)
            continue
        placements = []
        for index, member in enumerate(members):
            current = resolved.get(member.forum_id)
            if current is None:
                create_at[member.forum_id] = index
            elif current.position != index:
                placements.append(Placement(member.forum_id, current.id, current.name, index))
        if placements:
            reorders.append(Reorder(parent, is_category, tuple(placements)))
    return create_at, reorders


def _slot_new(members: Sequence[DesiredChannel], resolved: dict[int, ExistingChannel]) -> dict[int, int] | None:
    """Positions that put each new member between its existing neighbours, or None if one does not fit."""
    slots: dict[int, int] = {}
    previous: int | None = None
    for index, member in enumerate(members):
        current = resolved.get(member.forum_id)
        if current is not None:
            previous = current.position
            continue
        following = next((resolved[m.forum_id].position for m in members[index + 1 :] if m.forum_id in resolved), None)
        if previous is not None:
            # Same position as the one before: a new channel's id is the newest, so it sorts after it.
            position = previous
        elif following is not None:
            position = following - 1
        else:
            position = index  # nothing of this group exists yet
        if position < 0 or (following is not None and position >= following):
            return None
        slots[member.forum_id] = position
    return slots


# --- outcomes --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What became of one action: done, or why not."""

    action: Action
    ok: bool
    detail: str = ""
    called: bool = True  # False when the action was skipped before any call (its parent failed)


@dataclass(frozen=True, slots=True)
class ApplyReport:
    """Every action's outcome, in order, and the bookkeeping recorded without calls."""

    results: tuple[ActionResult, ...]
    bookkeeping: tuple[Bookkeeping, ...] = ()

    @property
    def done(self) -> int:
        """Actions Discord carried out."""
        return sum(result.ok for result in self.results)

    @property
    def failed(self) -> tuple[ActionResult, ...]:
        """Actions that failed or were skipped."""
        return tuple(result for result in self.results if not result.ok)

    @property
    def calls(self) -> int:
        """Discord calls made (one per action that got as far as calling)."""
        return sum(result.called for result in self.results)
