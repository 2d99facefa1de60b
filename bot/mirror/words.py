"""What the mirror says: plans, reports, status and the desired tree, as plain text."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.mirror.model import ChannelKind, ForumCategory, MirrorRecord, MirrorState
from bot.mirror.plan import (
    Action,
    Adopt,
    AdoptArchive,
    ApplyReport,
    Archive,
    Bookkeeping,
    Create,
    CreateArchive,
    DesiredChannel,
    DesiredTree,
    Plan,
    Reorder,
    Update,
)
from bot.text import plural


def label(kind: ChannelKind, name: str) -> str:
    """How a channel is named in text: #name for channels, "Name" for categories."""
    return f'"{name}"' if kind is ChannelKind.CATEGORY else f"#{name}"


def _parent(names: Mapping[int, str], forum_id: int | None) -> str:
    return "at the top (no category)" if forum_id is None else f'in "{names.get(forum_id, forum_id)}"'


def describe(action: Action, names: Mapping[int, str]) -> str:
    """One action on one line; names maps forum ids to their Discord category's name."""
    if isinstance(action, CreateArchive):
        return f'create category "{action.name}" for archived channels'
    if isinstance(action, Create):
        verb = "recreate (deleted by hand)" if action.replaces is not None else "create"
        if action.kind is ChannelKind.CATEGORY:
            return f'{verb} category "{action.name}"'
        kind = "forum " if action.kind is ChannelKind.FORUM else ""
        return f"{verb} {kind}#{action.name} {_parent(names, action.parent_forum_id)}"
    if isinstance(action, Update):
        parts = []
        if action.restore:
            parts.append("bring back from the archive")
        if action.new_name is not None:
            parts.append(f"rename to {label(action.kind, action.new_name)}")
        if action.move:
            parts.append(f"move {_parent(names, action.parent_forum_id)}")
        if action.new_topic is not None:
            parts.append("set topic")
        return f"{label(action.kind, action.name)}: {', '.join(parts)}"
    if isinstance(action, Reorder):
        what = "categories" if action.categories else f"channels {_parent(names, action.parent_forum_id)}"
        moved = ", ".join(
            label(ChannelKind.CATEGORY if action.categories else ChannelKind.TEXT, p.name) for p in action.placements
        )
        return f"reorder {what}: {moved}"
    assert isinstance(action, Archive)
    if action.kind is ChannelKind.CATEGORY:
        return f'archive category "{action.name}": read-only for members'
    return f"archive {label(action.kind, action.name)}: move to the archive, read-only for members"


def describe_bookkeeping(item: Bookkeeping) -> str:
    """One no-call change on one line."""
    if isinstance(item, Adopt):
        return f"adopt the existing {label(item.kind, item.name)} (no change on Discord)"
    if isinstance(item, AdoptArchive):
        return f'use the existing category "{item.name}" as the archive'
    return f"forget forum category {item.forum_id}: gone from the forum, and its channel was deleted"


def category_names(desired: Sequence[DesiredChannel]) -> dict[int, str]:
    """Forum id → Discord category name, for the categories the forum calls for."""
    return {d.forum_id: d.name for d in desired if d.kind is ChannelKind.CATEGORY}


def shape(desired: Sequence[DesiredChannel]) -> str:
    """ "4 categories, 20 text channels"."""
    counts = Counter(d.kind for d in desired)
    parts = [plural(counts[ChannelKind.CATEGORY], "category")]
    if counts[ChannelKind.TEXT] or not counts[ChannelKind.FORUM]:
        parts.append(plural(counts[ChannelKind.TEXT], "text channel"))
    if counts[ChannelKind.FORUM]:
        parts.append(plural(counts[ChannelKind.FORUM], "forum channel"))
    return ", ".join(parts)


def plan_text(plan: Plan, source: str) -> str:
    """The whole plan, readable: what the forum calls for, then every change in order."""
    names = category_names(plan.desired)
    lines = [f"Forum categories from {source}: {shape(plan.desired)}."]
    lines.extend(f"⚠️ {warning}" for warning in plan.warnings)
    if plan.is_empty:
        lines.append("Discord already matches the forum: nothing to change.")
        return "\n".join(lines)
    calls = f"{plural(plan.changes, 'change')} ({plural(plan.changes, 'Discord call')})"
    lines.append(f"{calls}:" if plan.actions else "No Discord changes.")
    lines.extend(f"{n}. {describe(action, names)}" for n, action in enumerate(plan.actions, start=1))
    if plan.bookkeeping:
        lines.append("Recorded without a Discord call:")
        lines.extend(f"• {describe_bookkeeping(item)}" for item in plan.bookkeeping)
    return "\n".join(lines)


def report_text(plan: Plan, report: ApplyReport) -> str:
    """What an apply did: counts, then every action in order, done (✓) or not (✗, with why)."""
    names = category_names(plan.desired)
    results = report.results
    if not results and not plan.bookkeeping:
        return "Discord already matched the forum: nothing was changed."
    failed = report.failed
    lines = [f"Applied {plural(len(results), 'change')}: {report.done} done, {len(failed)} failed."]
    lines.extend(f"⚠️ {warning}" for warning in plan.warnings)
    for result in results:
        mark = "✓" if result.ok else "✗"
        why = "" if result.ok else f": {result.detail}"
        lines.append(f"{mark} {describe(result.action, names)}{why}")
    if plan.bookkeeping:
        lines.append(f"Recorded {plural(len(plan.bookkeeping), 'existing channel')} without a Discord call:")
        lines.extend(f"• {describe_bookkeeping(item)}" for item in plan.bookkeeping)
    return "\n".join(lines)


def summary_line(plan: Plan, done: int, failed: int) -> str:
    """One line for the store: what the last apply did."""
    if plan.is_empty:
        return "nothing to change"
    return f"{plan.changes} changes: {done} done, {failed} failed; {len(plan.bookkeeping)} recorded"


def status_text(
    records: Sequence[MirrorRecord],
    state: MirrorState,
    present: Mapping[int, str],
    drift: Plan | None,
    now: datetime,
    *,
    last_tree: Sequence[ForumCategory] = (),
) -> str:
    """The last sync, the drift since, then the mapping: each forum category and its channel."""
    if not records and state.last_sync_at is None:
        return "The forum has not been mirrored here yet. `/mirror preview` shows what `/mirror apply` would do."
    active = [r for r in records if not r.archived]
    missing = [r for r in active if r.channel_id not in present]
    lines = [f"Mirrored: {len(active)} forum categories → channels, {len(records) - len(active)} archived."]
    if state.last_sync_at is not None:
        ago = _ago(now - state.last_sync_at)
        lines.append(f"Last sync: {ago} ago from {state.last_source}: {state.last_summary}.")
    if state.archive_category_id is not None:
        lines.append(f"Archive: <#{state.archive_category_id}>.")
    if missing:
        lines.append(f"Channels deleted by hand: {len(missing)} (the next apply recreates them).")
    if drift is None:
        lines.append("Drift: unknown (no sync recorded).")
    elif not drift.actions:
        lines.append("Drift: none; Discord still matches the last sync.")
    else:
        names = category_names(drift.desired)
        lines.append(f"Drift: {drift.changes} change(s) since the last sync; `/mirror apply` would:")
        lines.extend(f"• {describe(action, names)}" for action in drift.actions)
    forum_names = {category.id: category.name for category in last_tree}
    lines.append("Mapping (forum category → channel):")
    for record in records:
        name = forum_names.get(record.forum_id, "gone from the forum")
        where = "deleted by hand" if record.channel_id not in present else f"<#{record.channel_id}>"
        archived = " (archived)" if record.archived else ""
        lines.append(f"• {record.forum_id} «{name}» → {where}{archived}")
    return "\n".join(lines)


def _ago(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def tree_text(tree: DesiredTree, source: str) -> str:
    """The channels the forum calls for, as an indented tree (the CLI's `mirror preview`)."""
    lines = [f"From {source}: {shape(tree.channels)}.", ""]
    lines.extend(f"warning: {warning}" for warning in tree.warnings)
    for channel in tree.channels:
        where = " › ".join(channel.path)
        if channel.kind is ChannelKind.CATEGORY:
            lines.append(f'"{channel.name}"  [forum {channel.forum_id}: {where}]')
        else:
            indent = "    " if channel.parent_forum_id is not None else ""
            kind = "forum " if channel.kind is ChannelKind.FORUM else ""
            lines.append(f"{indent}{kind}#{channel.name}  [forum {channel.forum_id}: {where}]")
    return "\n".join(lines)
