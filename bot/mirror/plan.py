"""The pure planner: the forum's category tree in, the Discord changes that mirror it out.

Its parts: ``tree.py`` (the desired tree), ``actions.py`` (what a plan and its outcomes are made
of) and this module, the diff (matching, adoption, placement).

`desired_tree` turns the forum's categories into the channels Discord should have (names,
topics, parents, order); `plan_mirror` diffs that against the stored mapping and the guild's
channels and returns ordered actions, each one Discord call. No Discord, no network, no
database: frozen dataclasses in and out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from bot.mirror.actions import (
    Action,
    ActionResult,
    Adopt,
    AdoptArchive,
    ApplyReport,
    Archive,
    Bookkeeping,
    Create,
    CreateArchive,
    Placement,
    Plan,
    Reorder,
    Retire,
    Update,
)
from bot.mirror.model import ChannelKind, ExistingChannel, GuildView, MirrorRecord
from bot.mirror.tree import (
    _MIRRORABLE,
    _OTHER_CHANNEL_KIND,
    ARCHIVE_NAME,
    CATEGORY_CHANNEL_LIMIT,
    CHANNEL_NAME_LIMIT,
    GUILD_CHANNEL_LIMIT,
    PATH_SEPARATOR,
    TOPIC_LIMIT,
    DesiredChannel,
    DesiredTree,
    MirrorOptions,
    category_name,
    channel_slug,
    channel_topic,
    desired_tree,
    plain_text,
)

# The tree's and the actions' names stay importable from here, where the planner lived whole.
__all__ = [
    "ARCHIVE_NAME",
    "CATEGORY_CHANNEL_LIMIT",
    "CHANNEL_NAME_LIMIT",
    "GUILD_CHANNEL_LIMIT",
    "PATH_SEPARATOR",
    "TOPIC_LIMIT",
    "Action",
    "ActionResult",
    "Adopt",
    "AdoptArchive",
    "ApplyReport",
    "Archive",
    "Bookkeeping",
    "Create",
    "CreateArchive",
    "DesiredChannel",
    "DesiredTree",
    "MirrorOptions",
    "Placement",
    "Plan",
    "Reorder",
    "Retire",
    "Update",
    "category_name",
    "channel_slug",
    "channel_topic",
    "desired_tree",
    "plain_text",
    "plan_mirror",
]


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
    options: MirrorOptions = MirrorOptions(),  # noqa: B008 (frozen: one shared default is safe)
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
