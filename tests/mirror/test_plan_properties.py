"""Whatever the forum and the guild look like, one apply makes them match and a second plan is empty."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.mirror.model import ChannelKind, DisplayAs, ForumCategory
from bot.mirror.plan import Create, Update, desired_tree
from tests.mirror.fake import FakeGuild, cat, heading, matches

WORDS = ["back", "neck", "pain", "surgery", "arthritis", "sleep", "gout", "ra", "fusion", "disc"]


@st.composite
def forums(draw: st.DrawFn) -> list[ForumCategory]:
    """A forum: a few headings, maybe a nested grouping, discussion categories anywhere."""
    headings = [
        heading(h, f"Heading {h}", order=draw(st.integers(0, 9))) for h in range(1, draw(st.integers(1, 4)) + 1)
    ]
    nested = []
    if draw(st.booleans()):
        nested = [cat(5, "Nested", parent=1, display=DisplayAs.CATEGORIES, order=draw(st.integers(0, 9)))]
    parents = [None, *[h.id for h in headings], *[n.id for n in nested]]
    categories: list[ForumCategory] = [*headings, *nested]
    for forum_id in draw(st.sets(st.integers(10, 40), max_size=14)):
        name = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3)))
        categories.append(
            cat(forum_id, name.title(), parent=draw(st.sampled_from(parents)), order=draw(st.integers(0, 9)))
        )
    return categories


@st.composite
def changed(draw: st.DrawFn, categories: list[ForumCategory]) -> list[ForumCategory]:
    """The same forum later: some renamed, moved, reordered, removed, added."""
    out = []
    grouping_ids = [c.id for c in categories if c.display_as is not DisplayAs.DISCUSSIONS]
    for before in categories:
        change = draw(st.sampled_from(["keep", "keep", "rename", "move", "reorder", "remove"]))
        after = before
        if change == "rename":
            word = draw(st.sampled_from(WORDS))
            after = replace(before, name=f"{before.name} {word}", urlcode=f"{before.urlcode}-{word}")
        elif change == "move" and before.display_as is DisplayAs.DISCUSSIONS:
            after = replace(before, parent_id=draw(st.sampled_from([None, *grouping_ids])))
        elif change == "reorder":
            after = replace(before, order=draw(st.integers(0, 9)))
        elif change == "remove":
            continue
        out.append(after)
    for forum_id in draw(st.sets(st.integers(41, 60), max_size=4)):
        out.append(cat(forum_id, f"New {forum_id}", parent=draw(st.sampled_from([None, *grouping_ids]))))
    kept = {c.id for c in out}
    # A category whose parent left the forum goes to the top, as the forum itself would show it.
    return [replace(c, parent_id=None) if c.parent_id not in kept else c for c in out]


def check_converged(guild: FakeGuild, categories: list[ForumCategory]) -> None:
    """The guild matches the forum, every archived channel is in the archive, and nothing is left to do."""
    desired = desired_tree(categories).channels
    matches(guild, desired)
    wanted = {d.forum_id for d in desired}
    # An empty source archives nothing (it is more likely a broken export than a forum with no categories).
    for record in guild.records.values() if desired else ():
        if record.forum_id not in wanted and record.channel_id in guild.channels:
            assert record.archived
            channel = guild.channels[record.channel_id]
            if channel.kind is not ChannelKind.CATEGORY:
                assert channel.parent_id == guild.archive_id
    assert guild.plan(categories).is_empty


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_one_apply_converges_from_any_start(data: st.DataObject) -> None:
    first = data.draw(forums())
    guild = FakeGuild()
    # Channels someone made by hand before the mirror ever ran, some with names the forum will want.
    for name in data.draw(st.lists(st.sampled_from(["back", "neck-pain", "general", "Heading 1"]), max_size=3)):
        kind = ChannelKind.CATEGORY if name[0].isupper() else ChannelKind.TEXT
        guild.add(name, kind, position=data.draw(st.integers(0, 5)))
    plan = guild.sync(first)
    assert guild.calls == plan.changes
    check_converged(guild, first)

    # Meanwhile on Discord: channels deleted and dragged around by hand.
    for forum_id in data.draw(st.lists(st.sampled_from(sorted(guild.records)), max_size=3)) if guild.records else []:
        guild.channels.pop(guild.records[forum_id].channel_id, None)
    for channel in list(guild.channels.values()):
        if data.draw(st.booleans()):
            guild.channels[channel.id] = replace(channel, position=data.draw(st.integers(0, 6)))

    second = data.draw(changed(first))
    before = guild.calls
    plan = guild.sync(second)
    assert guild.calls - before == plan.changes
    check_converged(guild, second)
    # A rename or topic change of a channel is never split over two calls.
    edited = [a.channel_id for a in plan.actions if isinstance(a, Update)]
    assert len(edited) == len(set(edited))
    made = [a.forum_id for a in plan.actions if isinstance(a, Create)]
    assert len(made) == len(set(made))
